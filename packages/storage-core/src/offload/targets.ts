import type { StorageDriver } from '../types.js';

/**
 * How offload and location reads find where bytes live. A target is one
 * place of a backend (its bucket, prefix, endpoint or root); a location keeps
 * resolving to the target it was stored in even after the backend's settings
 * move on. The registry implements it.
 */
export interface TargetResolver {
  /** The target new results of `backend` go to now. */
  current(backend: string): string;
  /** The backend name and a driver for `targetId`. MISCONFIGURED when it cannot be served. */
  open(targetId: string): { readonly backend: string; readonly driver: StorageDriver };
  /** True when `name` is a target id ("local", "r2.1") rather than a backend name ("r2"). */
  isTarget(name: string): boolean;
  /** Every target `backend` has had, oldest first (empty for an unknown backend). */
  targetsOf(backend: string): readonly string[];
  /** True when a driver is registered as `name` (local disk included), whether or not its settings were saved. */
  isProvider(name: string): boolean;
  /** True when `targetId` was its provider's and was forgotten (`removeTarget`): what it holds is unknown to Stowage. */
  wasForgotten(targetId: string): boolean;
}

/**
 * Typed events for metrics and audits. Listeners run synchronously inside the
 * operation that emits; a listener that throws is logged and ignored, so a
 * broken metrics hook can never break offload or generation.
 */
import { EventEmitter } from 'node:events';
import { errorFacts, type Logger } from './logger.js';
import type { MigrationProgress } from './migrate/migrate.js';
import type { OffloadStage } from './offload/types.js';
import type { ReconcileProgress } from './reconcile/report.js';

/** A result reached its backend and was verified. */
export interface OffloadStoredEvent {
  readonly backend: string;
  /** The target that holds it, e.g. "r2.1". */
  readonly target: string;
  readonly key: string;
  readonly location: string;
  /** Bytes of the original. */
  readonly size: number;
  /** Bytes of the original and its variants. */
  readonly bytes: number;
  /** How many variants travelled with it. */
  readonly variants: number;
  readonly checksum: string;
  readonly durationMs: number;
}

/** A result stayed on local disk because storing it elsewhere failed. */
export interface OffloadFailedEvent {
  readonly backend: string;
  readonly key: string;
  /** Where it failed: upload, verify, record (the caller's onStored) or resolve (no usable backend). */
  readonly stage: OffloadStage;
  readonly code: string;
  readonly message: string;
  /** Bytes of the original. */
  readonly size: number;
  readonly durationMs: number;
}

/** The local copy of an offloaded result was removed (or removing it failed). */
export interface LocalDeletedEvent {
  readonly backend: string;
  readonly key: string;
  readonly location: string;
  readonly ok: boolean;
  readonly code?: string;
}

/** New results go to local disk because the chosen default backend cannot be used. */
export interface BackendFallbackEvent {
  readonly from: string;
  readonly to: 'local';
  readonly reason: string;
}

/** A result moved by a migration: apps that keep their own copy of locations update it here. */
export interface MigrateMovedEvent {
  readonly jobId: string;
  readonly resultId: string;
  readonly path: string;
  readonly from: { readonly target: string; readonly location: string };
  readonly to: { readonly target: string; readonly location: string };
  readonly bytes: number;
}

/** A result a migration could not move; it stays where it was. */
export interface MigrateFailedEvent {
  readonly jobId: string;
  readonly resultId: string;
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

/**
 * The settings document changed (a provider saved, enabled, disabled or removed, or the default chosen),
 * here or in another process (seen by `registry.reload()`).
 */
export interface SettingsChangedEvent {
  readonly revision: number;
}

/** Event name → listener arguments. */
export interface StorageEventMap {
  'offload:stored': [OffloadStoredEvent];
  'offload:failed': [OffloadFailedEvent];
  'offload:local-deleted': [LocalDeletedEvent];
  'backend:fallback': [BackendFallbackEvent];
  'settings:changed': [SettingsChangedEvent];
  'migrate:moved': [MigrateMovedEvent];
  'migrate:failed': [MigrateFailedEvent];
  'migrate:progress': [MigrationProgress];
  'reconcile:progress': [ReconcileProgress];
}

/** The emitter apps subscribe to, e.g. `storage.events.on('offload:failed', e => counter.inc({ code: e.code }))`. */
export class StorageEvents extends EventEmitter<StorageEventMap> {}

/** Emits without letting a throwing listener escape. */
export function emitSafely<K extends keyof StorageEventMap>(
  events: StorageEvents,
  logger: Logger,
  name: K,
  ...args: StorageEventMap[K]
): void {
  try {
    (events.emit as (event: K, ...rest: StorageEventMap[K]) => boolean)(name, ...args);
  } catch (error) {
    logger.error({ event: name, error: errorFacts(error) }, 'storage event listener threw; ignored');
  }
}

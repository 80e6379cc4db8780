/**
 * What each of the storage's operations is given: the offload, recovery,
 * migration, reconcile and sweep contexts, built from the parts one Storage
 * holds (storage.ts). Kept apart so that the Storage class stays the public
 * surface and nothing more.
 */
import type { Catalog } from './catalog/types.js';
import { ErrorCode, StorageError } from './errors.js';
import type { StorageEvents } from './events.js';
import type { Logger } from './logger.js';
import type { MigrationContext } from './migrate/migrate.js';
import type { OffloadJournal } from './offload/journal.js';
import type { OffloadContext } from './offload/offload.js';
import type { RecoveryContext } from './offload/recover.js';
import type { TargetResolver } from './offload/targets.js';
import type { ReconcileJobContext } from './reconcile/job.js';
import type { SweepContext } from './reconcile/sweep.js';
import { type BackendRegistry, LOCAL_BACKEND } from './registry/registry.js';
import type { ResolvedStorageOptions } from './storage-options.js';

/** The parts of one Storage that its operations share. */
export interface StorageParts {
  readonly registry: BackendRegistry;
  readonly catalog: Catalog | undefined;
  readonly targets: TargetResolver;
  readonly journal: OffloadJournal;
  readonly owner: string;
  /** This process's host as intent owners name it. */
  readonly host: string;
  readonly tuning: ResolvedStorageOptions;
  readonly logger: Logger;
  readonly events: StorageEvents;
}

/** The catalog, or UNSUPPORTED naming what needed it. */
export function requireCatalog(parts: StorageParts, what: string): Catalog {
  if (!parts.catalog)
    throw new StorageError(ErrorCode.Unsupported, `${what}: needs the catalog, and this storage keeps none`);
  return parts.catalog;
}

/** One offload's context, with the storage's send slots and its receiver of driver writes given up on (see OffloadContext). */
export function offloadContext(
  parts: StorageParts,
  slots: Pick<OffloadContext, 'linger' | 'sendSlot'>,
): OffloadContext {
  return {
    registry: parts.registry,
    catalog: parts.catalog,
    targets: parts.targets,
    journal: parts.journal,
    logger: parts.logger,
    events: parts.events,
    localDriver: parts.registry.local,
    uploadTimeoutMs: parts.tuning.uploadTimeoutMs,
    signedUrlExpiresIn: parts.tuning.signedUrlExpiresIn,
    linger: slots.linger,
    sendSlot: slots.sendSlot,
  };
}

export function recoveryContext(parts: StorageParts, catalog: Catalog): RecoveryContext {
  return {
    catalog,
    targets: parts.targets,
    owner: parts.owner,
    host: parts.host,
    leaseMs: parts.tuning.leaseMs,
    resultsRoot: parts.registry.local.root,
    logger: parts.logger,
  };
}

export function migrationContext(parts: StorageParts, catalog: Catalog): MigrationContext {
  return {
    catalog,
    targets: parts.targets,
    isEnabled: (backend) => backend === LOCAL_BACKEND || parts.registry.provider(backend).enabled,
    owner: parts.owner,
    leaseMs: parts.tuning.leaseMs,
    resultsRoot: parts.registry.local.root,
    events: parts.events,
    logger: parts.logger,
  };
}

/** `requeued` is told when fix mode sends results back to the worker's queue. */
export function reconcileContext(parts: StorageParts, requeued: () => void): ReconcileJobContext {
  return {
    catalog: requireCatalog(parts, 'reconciling'),
    targets: parts.targets,
    resultsDisk: parts.registry.local,
    events: parts.events,
    logger: parts.logger,
    owner: parts.owner,
    leaseMs: parts.tuning.leaseMs,
    requeued,
  };
}

/** Sweeps every configured provider's targets (local disk keeps no incomplete uploads). */
export function sweepContext(parts: StorageParts): SweepContext {
  return {
    targets: parts.targets,
    providers: () =>
      parts.registry
        .providers()
        .filter((view) => view.configured && view.name !== LOCAL_BACKEND)
        .map((view) => view.name),
    logger: parts.logger,
  };
}

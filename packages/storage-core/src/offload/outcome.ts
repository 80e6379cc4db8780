/**
 * The one place offload outcomes are built, logged and emitted, so every exit
 * of the protocol reports the same facts the same way (and events always
 * carry size and duration).
 */
import { asStorageError, type StorageError } from '../errors.js';
import { emitSafely, type StorageEvents } from '../events.js';
import { formatLocation } from '../location.js';
import { errorFacts, type Logger } from '../logger.js';
import type { ChecksumKind, StorageDriver } from '../types.js';
import { type ObjectUrl, objectUrl } from './object-url.js';
import type { OffloadedVariant, OffloadOutcome, OffloadStage } from './types.js';

/** What the reporter needs from the storage. */
export interface OutcomeContext {
  readonly logger: Logger;
  readonly events: StorageEvents;
  readonly signedUrlExpiresIn: number;
  /** The results disk driver, for URLs of results that stay local. */
  readonly localDriver: StorageDriver;
}

/** A file of the result where it is now. */
export interface PlacedFile {
  readonly name: string;
  readonly path: string;
  readonly key: string;
  readonly size: number;
  readonly sha256: string | undefined;
}

/** Where the result is, for an outcome. */
export interface Placement {
  readonly backend: string;
  readonly target: string;
  readonly driver: StorageDriver;
  readonly files: readonly PlacedFile[];
  readonly resultId: string | undefined;
  readonly checksum: ChecksumKind | undefined;
}

/** Builds and reports the outcomes of one offload. */
export class OutcomeReporter {
  readonly #context: OutcomeContext;
  readonly #path: string;
  readonly #started = performance.now();

  constructor(context: OutcomeContext, path: string) {
    this.#context = context;
    this.#path = path;
  }

  /** Milliseconds since the offload began. */
  elapsed(): number {
    return Math.round(performance.now() - this.#started);
  }

  /**
   * The outcome of a result that stays on local disk. With `error`, the
   * failure is logged and emitted as 'offload:failed' (`attempted` names the
   * backend that failed); without, local is where it belongs.
   */
  async local(
    files: readonly PlacedFile[],
    failure?: { readonly attempted: string; readonly stage: OffloadStage; readonly cause: unknown },
    resultId?: string,
  ): Promise<OffloadOutcome> {
    const error = failure ? asStorageError(failure.cause, this.#path) : undefined;
    if (failure && error) {
      const { logger, events } = this.#context;
      logger.warn(
        { backend: failure.attempted, key: this.#path, stage: failure.stage, error: errorFacts(error) },
        'offload failed; the result stays on local disk',
      );
      emitSafely(events, logger, 'offload:failed', {
        backend: failure.attempted,
        key: this.#path,
        stage: failure.stage,
        code: error.code,
        message: error.message,
        size: files[0]?.size ?? 0,
        durationMs: this.elapsed(),
      });
    }
    const placement: Placement = {
      backend: 'local',
      target: 'local',
      driver: this.#context.localDriver,
      files,
      resultId,
      checksum: undefined,
    };
    return this.#build('local', placement, { error, failedStage: error ? failure?.stage : undefined });
  }

  /** The outcome of a verified result (not yet announced: see `stored`). */
  offloaded(placement: Placement): Promise<OffloadOutcome> {
    return this.#build('offloaded', placement, {});
  }

  /** Logs and emits 'offload:stored' for a recorded, verified result. */
  stored(outcome: OffloadOutcome): void {
    const { logger, events } = this.#context;
    const bytes = outcome.size + outcome.variants.reduce((sum, variant) => sum + variant.size, 0);
    logger.info(
      {
        backend: outcome.backend,
        key: outcome.key,
        location: outcome.location,
        size: outcome.size,
        checksum: outcome.checksum,
      },
      'result offloaded and verified',
    );
    emitSafely(events, logger, 'offload:stored', {
      backend: outcome.backend,
      target: outcome.target,
      key: outcome.key,
      location: outcome.location,
      size: outcome.size,
      bytes,
      variants: outcome.variants.length,
      checksum: outcome.checksum ?? 'none',
      durationMs: this.elapsed(),
    });
  }

  /** Logs and emits 'offload:local-deleted'. */
  localDeleted(outcome: OffloadOutcome, error: StorageError | undefined): void {
    const { logger, events } = this.#context;
    if (error) {
      logger.warn(
        { backend: outcome.backend, key: outcome.key, error: errorFacts(error) },
        'result offloaded but its local copy could not be removed',
      );
    }
    emitSafely(events, logger, 'offload:local-deleted', {
      backend: outcome.backend,
      key: outcome.key,
      location: outcome.location,
      ok: error === undefined,
      ...(error ? { code: error.code } : {}),
    });
  }

  async #build(
    status: OffloadOutcome['status'],
    placement: Placement,
    failure: { error?: StorageError | undefined; failedStage?: OffloadStage | undefined },
  ): Promise<OffloadOutcome> {
    const [original, ...variants] = placement.files;
    const key = original?.key ?? this.#path;
    const url = await this.#url(placement, key);
    const placedVariants: OffloadedVariant[] = [];
    for (const variant of variants) {
      const { name, path, key: variantKey, size, sha256 } = variant;
      placedVariants.push({
        name,
        path,
        key: variantKey,
        size,
        sha256,
        url: (await this.#url(placement, variantKey)).url,
      });
    }
    return {
      status,
      backend: placement.backend,
      target: placement.target,
      resultId: placement.resultId,
      key,
      location: formatLocation(placement.backend, key),
      url: url.url,
      urlKind: url.kind,
      urlExpiresAt: url.expiresAt,
      size: original?.size ?? 0,
      variants: placedVariants,
      sha256: original?.sha256,
      checksum: placement.checksum,
      localDeleted: false,
      error: failure.error,
      failedStage: failure.failedStage,
      localDeleteError: undefined,
      durationMs: this.elapsed(),
    };
  }

  // A URL is a convenience: failing to build one never fails the offload.
  async #url(placement: Placement, key: string): Promise<ObjectUrl> {
    try {
      return await objectUrl(placement.driver, key, this.#context.signedUrlExpiresIn);
    } catch (error) {
      this.#context.logger.warn(
        { backend: placement.backend, key, error: errorFacts(error) },
        'could not build a URL for the result',
      );
      return { url: undefined, kind: undefined, expiresAt: undefined };
    }
  }
}

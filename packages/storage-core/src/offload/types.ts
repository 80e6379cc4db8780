import type { StorageError } from '../errors.js';
import type { ChecksumKind } from '../types.js';

/** A finalized result on the local results disk. */
export interface OffloadInput {
  /** Relative key of the file on the results disk, e.g. "images/gemini/uuid.png"; reused as the remote key. */
  readonly path: string;
  /** MIME type; detected from the extension when omitted. */
  readonly contentType?: string;
  /**
   * User metadata stored with the object: keys of lower-case a-z, 0-9, "-" or
   * "_", printable ASCII values, at most 2 KiB in total including the "sha256"
   * entry offload adds (see `metadataProblems`). Checked before any upload.
   */
  readonly metadata?: Readonly<Record<string, string>>;
  /**
   * Other files of the same result on the results disk (thumbnails, sizes), by
   * name: `{ w320: 'images/x-320.webp' }`, or with a content type
   * `{ w320: { path: 'images/x-320.webp', contentType: 'image/webp' } }`.
   * They travel with the original: all are uploaded and verified before any
   * local copy is removed, and the result is offloaded only when every one is.
   * Names: lower-case letters, digits, "-" or "_", at most 64 characters.
   */
  readonly variants?: Readonly<Record<string, string | OffloadVariantInput>>;
}

/** A variant given with its content type. */
export interface OffloadVariantInput {
  readonly path: string;
  readonly contentType?: string;
}

/** Per-call choices for `offload()`. */
export interface OffloadOptions {
  /**
   * Awaited after the upload is verified and before the local copy is deleted:
   * record `outcome.location` in your database here. If it throws or rejects,
   * the local copy is kept, the outcome is 'local' with the error (stage
   * 'record'), and the verified remote copy is left in place for the next
   * offload of the same path to overwrite.
   */
  onStored?: (outcome: OffloadOutcome) => void | Promise<void>;
  /** Overrides the provider's delete-local setting for this call. */
  deleteLocal?: boolean;
  /**
   * Cancels the upload; the result stays local with code ABORTED. Offload waits
   * at most ABORT_GRACE_MS for the driver to wind down after the abort.
   */
  signal?: AbortSignal;
}

/** Where the failure happened when a result stayed local. */
export type OffloadStage = 'resolve' | 'upload' | 'verify' | 'record';

/** One variant as stored, in an outcome. */
export interface OffloadedVariant {
  readonly name: string;
  /** Its path on the results disk. */
  readonly path: string;
  /** Its key in the backend that holds the result. */
  readonly key: string;
  readonly size: number;
  readonly sha256: string | undefined;
  /** Its URL, like the original's. */
  readonly url: string | undefined;
}

/** What `offload()` reports. Never thrown: failures are in `error`. */
export interface OffloadOutcome {
  /** 'offloaded': verified on a remote backend. 'local': on the results disk (by choice or after a failure). */
  readonly status: 'offloaded' | 'local';
  /** The backend that holds the result now. */
  readonly backend: string;
  /** The target (the backend's place: bucket, prefix, root) that holds it, e.g. "r2.1"; "local" on the results disk. */
  readonly target: string;
  /** The catalog record of the result; undefined when the storage keeps no catalog. */
  readonly resultId: string | undefined;
  readonly key: string;
  /** `<backend>:<key>`: keep it; reads, URLs and deletes resolve through it. */
  readonly location: string;
  /** Public URL when the backend has a public base, else a presigned URL, else undefined. */
  readonly url: string | undefined;
  readonly urlKind: 'public' | 'signed' | undefined;
  /** Expiry of a signed URL. */
  readonly urlExpiresAt: Date | undefined;
  /** Bytes of the original. */
  readonly size: number;
  /** The variants, in the order given, where they are now. */
  readonly variants: readonly OffloadedVariant[];
  /** SHA-256 of the local file (hex), computed when an upload was attempted; also stored as metadata "sha256". */
  readonly sha256: string | undefined;
  /**
   * The integrity check the driver did on the upload, beyond the size check
   * offload always does. 'none': the driver proved nothing about the bytes, so
   * offload read the object back and compared its SHA-256 before reporting it offloaded.
   */
  readonly checksum: ChecksumKind | undefined;
  /** The local copy was removed (only after verification and recording, with delete-local on). */
  readonly localDeleted: boolean;
  /** Why the result stayed local, classified. Undefined when it is local because local is the default. */
  readonly error: StorageError | undefined;
  readonly failedStage: OffloadStage | undefined;
  /** The offload succeeded but removing the local copy failed; the result is in both places. */
  readonly localDeleteError: StorageError | undefined;
  readonly durationMs: number;
}

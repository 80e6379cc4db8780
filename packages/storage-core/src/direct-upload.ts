/**
 * Browser direct upload: the browser sends the bytes straight to the bucket
 * with a presigned PUT, the app's server never carries them. Two steps, both
 * on the server:
 *
 * 1. `presignUpload` checks what the browser says it will send (content type
 *    in an allowed list, size at most a limit: refused before anything is
 *    signed), names the key with the default backend's key template (see
 *    key-template.ts; it must have {uuid}, since a signed PUT replaces what is
 *    at its key, and no content token: the bytes are not there yet),
 *    and presigns a PUT with that exact type and length signed in.
 * 2. `recordUpload`, once the browser says it is done, looks at the object
 *    (HEAD: it exists, its size and type are the ones signed) and records it
 *    in the catalog as an offloaded result with no local copy, so its location
 *    resolves, migrates and reconciles like any other.
 */
import { randomUUID } from 'node:crypto';
import type { Catalog } from './catalog/types.js';
import { ErrorCode, StorageError } from './errors.js';
import { keyTemplateNeeds, renderKeyTemplate } from './key-template.js';
import { keyProblem } from './keys.js';
import { formatLocation } from './location.js';
import type { TargetResolver } from './offload/targets.js';
import type { BackendRegistry } from './registry/registry.js';
import type { PresignedRequest } from './types.js';

/** The key template of uploads when the provider sets none: dated folders, a fresh UUID, the extension. */
export const DEFAULT_UPLOAD_KEY_TEMPLATE = 'uploads/{year}/{month}/{uuid}.{extName}';

/** What the browser says it will upload, and the server's limits. */
export interface UploadRequest {
  /** The file's name in the browser, e.g. "cat.png" (only its last segment is used). */
  readonly fileName: string;
  /** The Content-Type the browser will send, e.g. "image/png". */
  readonly contentType: string;
  /** The exact number of bytes the browser will send. */
  readonly size: number;
  /** Content types allowed, exactly (e.g. ["image/png", "image/jpeg"]); every type when omitted. */
  readonly allowedTypes?: readonly string[];
  /** The largest upload allowed, in bytes; no limit when omitted. */
  readonly maxBytes?: number;
  /** Seconds the upload URL stays valid (the driver bounds it). Default 300. */
  readonly expiresIn?: number;
  /** Overrides the provider's key template (and DEFAULT_UPLOAD_KEY_TEMPLATE) for this upload. */
  readonly keyTemplate?: string;
}

/** A signed upload: where the object will be, and the request the browser sends. */
export interface PlannedUpload {
  readonly backend: string;
  /** The target the URL writes to: pass it to `recordUpload`. */
  readonly target: string;
  readonly key: string;
  /** `<backend>:<key>`, the location once recorded. */
  readonly location: string;
  /** Send `method` to `url` with exactly these headers and the file as body. */
  readonly request: PresignedRequest;
}

/** What the server expects to find once the browser is done. */
export interface RecordUploadInput {
  readonly target: string;
  readonly key: string;
  /** The signed size: the object must have exactly this many bytes. */
  readonly size: number;
  /** The signed type: the object must have it. */
  readonly contentType: string;
}

/** An upload found complete and recorded. */
export interface RecordedUpload {
  readonly backend: string;
  readonly target: string;
  readonly key: string;
  readonly location: string;
  readonly size: number;
  readonly contentType: string;
  /** The catalog record; undefined when the storage keeps no catalog. */
  readonly resultId: string | undefined;
}

/**
 * Checks `input` against its limits and signs a PUT to the default backend
 * under a templated key. Throws INVALID_INPUT (a type not allowed, too large,
 * a bad name or size: the message says which, for the browser to show),
 * MISCONFIGURED (local disk is the default, or the template lacks {uuid},
 * needs the content or gives an invalid key), or the driver's error.
 */
export async function presignUpload(registry: BackendRegistry, input: UploadRequest): Promise<PlannedUpload> {
  const name = uploadRequestName(input);
  const active = registry.active();
  if (active.name === 'local') {
    const why = active.fallback ? `: ${active.fallback.reason}` : '';
    throw new StorageError(
      ErrorCode.Misconfigured,
      `browser uploads go to a remote default backend, and new results go to local disk${why}`,
    );
  }
  const template = input.keyTemplate ?? active.keyTemplate ?? DEFAULT_UPLOAD_KEY_TEMPLATE;
  const needs = keyTemplateNeeds(template);
  if (needs.content) {
    throw new StorageError(
      ErrorCode.Misconfigured,
      'the key template uses {md5}, {sha256} or {hash8}, which a browser upload cannot know before its bytes arrive',
    );
  }
  // A signed PUT replaces whatever is at its key: only a fresh uuid keeps two uploads named alike apart.
  if (!needs.uuid) {
    throw new StorageError(
      ErrorCode.Misconfigured,
      'the key template of a browser upload needs {uuid}: without it two uploads of the same name would overwrite each other (pass keyTemplate, e.g. "uploads/{year}/{month}/{uuid}.{extName}")',
    );
  }
  const key = renderKeyTemplate(template, { path: name, time: Date.now(), uuid: randomUUID() });
  const request = await active.driver.presignPut(key, {
    contentType: input.contentType,
    contentLength: input.size,
    expiresIn: input.expiresIn ?? 300,
  });
  return { backend: active.name, target: active.target, key, location: formatLocation(active.name, key), request };
}

/**
 * Confirms that the object a signed upload wrote is there, with the signed
 * size and type, and records it in the catalog (an offloaded result with no
 * local copy; recording the same upload again returns the same record).
 * Throws NOT_FOUND when nothing was uploaded, CHECKSUM_MISMATCH when the
 * object is not what was signed (it is left for the caller to delete).
 */
export async function recordUpload(
  catalog: Catalog | undefined,
  targets: TargetResolver,
  input: RecordUploadInput,
): Promise<RecordedUpload> {
  const { backend, driver } = targets.open(input.target);
  const stat = await driver.stat(input.key);
  const wrong: string[] = [];
  if (stat.size !== input.size) wrong.push(`${stat.size} bytes instead of the ${input.size} signed`);
  if (stat.contentType !== input.contentType)
    wrong.push(`type "${stat.contentType}" instead of "${input.contentType}"`);
  if (wrong.length > 0) {
    throw new StorageError(
      ErrorCode.ChecksumMismatch,
      `the uploaded object "${input.key}" has ${wrong.join(' and ')}`,
      {
        key: input.key,
      },
    );
  }
  const location = formatLocation(backend, input.key);
  const recorded = { backend, target: input.target, key: input.key, location, size: stat.size };
  if (!catalog) return { ...recorded, contentType: input.contentType, resultId: undefined };
  const existing = await catalog.findByPath(input.key);
  if (existing && existing.targetId === input.target && existing.key === input.key) {
    return { ...recorded, contentType: input.contentType, resultId: existing.id };
  }
  const record = await catalog.insert({
    path: input.key,
    state: 'offloaded',
    targetId: input.target,
    key: input.key,
    location,
    files: [
      { name: '', path: input.key, key: input.key, size: stat.size, sha256: undefined, contentType: input.contentType },
    ],
    localCopy: false,
  });
  return { ...recorded, contentType: input.contentType, resultId: record.id };
}

/** The upload's file name, after its checks and limits; throws INVALID_INPUT saying what is wrong. */
function uploadRequestName(input: UploadRequest): string {
  const refuse = (message: string) => new StorageError(ErrorCode.InvalidInput, message);
  if (typeof input?.fileName !== 'string') throw refuse('upload: fileName must be a string');
  const name = input.fileName.split(/[/\\]/).at(-1) ?? '';
  if (keyProblem(name) || name.length > 255) throw refuse('upload: the file name is empty, too long or not allowed');
  if (typeof input.contentType !== 'string' || !/^[\w.+-]+\/[\w.+-]+$/.test(input.contentType)) {
    throw refuse('upload: contentType must be a MIME type such as image/png');
  }
  if (!Number.isSafeInteger(input.size) || input.size < 0) throw refuse('upload: size must be a whole number of bytes');
  if (input.allowedTypes && !input.allowedTypes.includes(input.contentType)) {
    throw refuse(`files of type ${input.contentType} are not allowed; allowed: ${input.allowedTypes.join(', ')}`);
  }
  if (input.maxBytes !== undefined && input.size > input.maxBytes) {
    throw refuse(`"${name}" is ${formatBytes(input.size)}; uploads are limited to ${formatBytes(input.maxBytes)}`);
  }
  return name;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/**
 * The keys a result's files get in the target: their relative paths, or what
 * the provider's key template gives them (see key-template.ts). A template's
 * facts are fixed by the catalog record (its id and creation time) and the
 * files' content, so every attempt at one record names the same keys; the
 * intent records them before the first byte goes out.
 *
 * Templated keys are written "only if absent" unless this record already
 * holds that key there: a template without a unique token (`{fileName}.{extName}`
 * for two results named alike) must never overwrite another result's object.
 */
import { createHash, randomUUID } from 'node:crypto';
import { asStorageError, ErrorCode, StorageError } from '../errors.js';
import { derivedUuid, keyTemplateNeeds, renderKeyTemplate } from '../key-template.js';
import type { JournalFile, RecordKeyFacts, Ticket } from './journal-types.js';

/** Content digests of one file, for the content tokens. */
interface Digests {
  readonly sha256: string;
  readonly md5: string;
}

/** How the keys of one offload are made, and why they cannot be, once asked. */
export class ResultKeyPlan {
  readonly #template: string | undefined;
  readonly #files: readonly JournalFile[];
  readonly #digests: readonly Digests[] | StorageError | undefined;
  #problem: StorageError | undefined;

  private constructor(
    template: string | undefined,
    files: readonly JournalFile[],
    digests: readonly Digests[] | StorageError | undefined,
  ) {
    this.#template = template;
    this.#files = files;
    this.#digests = digests;
  }

  /** The plan for `files` under `template` (undefined: relative paths); hashes the files when the template needs it. */
  static async of(template: string | undefined, files: readonly JournalFile[]): Promise<ResultKeyPlan> {
    const needsContent = template !== undefined && keyTemplateNeeds(template).content;
    return new ResultKeyPlan(template, files, needsContent ? await digestsOf(files) : undefined);
  }

  /** Keys come from a template (so they are written only if absent, see the module comment). */
  get templated(): boolean {
    return this.#template !== undefined;
  }

  /** The keys use the record's id (`{uuid}`). */
  get needsRecordId(): boolean {
    return this.#template !== undefined && keyTemplateNeeds(this.#template).uuid;
  }

  /**
   * The key of each file for this record, original first. Never throws: when
   * the template cannot name them (see `problem`), the relative paths stand in
   * and nothing is sent.
   */
  keysFor(record: RecordKeyFacts): readonly string[] {
    const paths = this.#files.map((file) => file.opened.path);
    this.#problem = undefined;
    if (this.#template === undefined) return paths;
    if (this.#digests instanceof StorageError) {
      this.#problem = this.#digests;
      return paths;
    }
    try {
      const keys = this.#files.map((file, index) =>
        renderKeyTemplate(this.#template as string, {
          path: file.opened.path,
          time: record.createdAt,
          uuid: derivedUuid(`${record.id ?? randomUUID()}\u0000${file.name}`),
          ...(Array.isArray(this.#digests) ? this.#digests[index] : {}),
        }),
      );
      if (new Set(keys).size !== keys.length) {
        throw new StorageError(
          ErrorCode.Misconfigured,
          `the key template gives two files of result "${paths[0]}" the same key; add {fileName}, {uuid} or {hash8} to it`,
          { key: paths[0] },
        );
      }
      return keys;
    } catch (error) {
      this.#problem = asStorageError(error, paths[0]);
      return paths;
    }
  }

  /** Why the last `keysFor` could not name the keys; undefined when it could. */
  get problem(): StorageError | undefined {
    return this.#problem;
  }

  /**
   * Whether `key` must be written only if absent: a templated key this record
   * does not already hold in `targetId`, served or kept (a new version at the
   * same key may replace the old one).
   */
  exclusive(ticket: Ticket, targetId: string, key: string): boolean {
    if (!this.templated) return false;
    const stale = ticket.stale;
    if (stale && stale.targetId === targetId && stale.keys.includes(key)) return false;
    return !ticket.kept.copies.some((copy) => copy.targetId === targetId && copy.keys.includes(key));
  }
}

/** The error when an "only if absent" write finds another object at a templated key. */
export function keyTakenByOther(key: string): StorageError {
  return new StorageError(
    ErrorCode.Misconfigured,
    `the key template gave key "${key}", which already holds another object; nothing was overwritten: add {uuid} or {hash8} to the template`,
    { key },
  );
}

/**
 * The error when a templated key holds this very file but another result
 * serves it: the catalog keeps one serving result per key (a location names
 * one result), so this one stays local rather than share the object.
 */
export function keyServedByOther(key: string): StorageError {
  return new StorageError(
    ErrorCode.Misconfigured,
    `the key template gave key "${key}", which already holds these very bytes for another result; a key serves one result, so this one stays local: add {uuid} to the template to store a copy of its own`,
    { key },
  );
}

/**
 * The error when a templated key holds this very file but a removal claimed
 * it (catalog/removal-claims.ts): the object may be gone any moment, so the result stays local and is
 * sent again once the removal is over.
 */
export function keyBeingRemoved(key: string): StorageError {
  return new StorageError(
    ErrorCode.Unavailable,
    `the key template gave key "${key}", which holds these very bytes but is being removed right now (a reconcile, a delete or a migration); the result stays local and is sent again later`,
    { key },
  );
}

async function digestsOf(files: readonly JournalFile[]): Promise<Digests[] | StorageError> {
  try {
    const digests: Digests[] = [];
    for (const file of files) {
      const sha256 = createHash('sha256');
      const md5 = createHash('md5');
      // Exactly the bytes that will be sent; a file that changes meanwhile is caught after the upload.
      if (file.opened.size > 0) {
        const stream = file.opened.handle.createReadStream({ start: 0, end: file.opened.size - 1, autoClose: false });
        for await (const chunk of stream) {
          sha256.update(chunk as Buffer);
          md5.update(chunk as Buffer);
        }
      }
      digests.push({ sha256: sha256.digest('hex'), md5: md5.digest('hex') });
    }
    return digests;
  } catch (error) {
    return asStorageError(error, files[0]?.opened.path);
  }
}

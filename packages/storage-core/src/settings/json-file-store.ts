/**
 * The embedded settings store: one JSON file, replaced atomically on every
 * change (`replaceFile`: temp file in the same directory, fsync, rename over
 * the old one, fsync the directory). A crash leaves either the old or the new
 * file, never a torn one. Saves are compare-and-set on the document's
 * revision, under a lock file (`<file>.lock`) that processes sharing the file
 * take in turn, so a change made by another process is never silently
 * overwritten: the later save fails with PRECONDITION_FAILED. The file is
 * created with mode 0600 because it names buckets and endpoints (secrets
 * inside are encrypted regardless).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { replaceFile } from '../atomic-file.js';
import { ErrorCode, StorageError } from '../errors.js';
import { isEncryptedSecret } from './crypto.js';
import { withFileLock } from './file-lock.js';
import {
  emptyDocument,
  revisionConflict,
  type SettingsDocument,
  type SettingsStore,
  type StoredProviderEntry,
} from './store.js';

/** The file format written; version 1 (no revision) is still read. */
const FORMAT_VERSION = 2;

interface FileShape {
  version: number;
  revision?: number;
  defaultBackend?: string | null;
  providers?: Record<string, StoredProviderEntry>;
  [field: string]: unknown;
}

export interface JsonFileSettingsStoreOptions {
  /** How long a save waits for another process holding the lock. Default 10 s. */
  readonly lockTimeoutMs?: number;
  /**
   * The host named in the lock file; a lock left by a process of this host that no longer
   * runs is broken. Processes that share the file from different process tables under one
   * host name (containers with host networking or a fixed `hostname:`) must each name their
   * own, as with `createStorage({ hostId })`. Default `os.hostname()`.
   */
  readonly hostId?: string;
}

/** Settings kept in one JSON file on local disk. */
export class JsonFileSettingsStore implements SettingsStore {
  readonly filePath: string;
  readonly #lockTimeoutMs: number | undefined;
  readonly #hostId: string | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  /** `filePath` is created on the first save; its directory is created when missing. */
  constructor(filePath: string, options: JsonFileSettingsStoreOptions = {}) {
    if (typeof filePath !== 'string' || filePath.length === 0) {
      throw new StorageError(ErrorCode.InvalidInput, 'settings file path must be a non-empty string');
    }
    if (options.hostId !== undefined && !(typeof options.hostId === 'string' && options.hostId.length > 0)) {
      throw new StorageError(ErrorCode.InvalidInput, 'settings store: hostId must be a non-empty string');
    }
    this.filePath = filePath;
    this.#lockTimeoutMs = options.lockTimeoutMs;
    this.#hostId = options.hostId;
  }

  /** Reads the file; an empty document when it does not exist yet. MISCONFIGURED when it is unreadable or malformed. */
  async load(): Promise<SettingsDocument> {
    await this.#queue.catch(() => undefined);
    return this.#read();
  }

  /** Replaces the file with `document` if its revision is still `expectedRevision`; PRECONDITION_FAILED otherwise. */
  save(document: SettingsDocument, expectedRevision: number): Promise<void> {
    const run = this.#queue.catch(() => undefined).then(() => this.#save(document, expectedRevision));
    this.#queue = run;
    return run;
  }

  async #save(document: SettingsDocument, expectedRevision: number): Promise<void> {
    await mkdir(dirname(this.filePath), { recursive: true }).catch((error: unknown) => {
      throw new StorageError(ErrorCode.Unavailable, `cannot create the folder of ${this.filePath}`, { cause: error });
    });
    const options = { timeoutMs: this.#lockTimeoutMs, ...(this.#hostId ? { hostId: this.#hostId } : {}) };
    await withFileLock(
      `${this.filePath}.lock`,
      async (lock) => {
        const stored = await this.#read();
        if (stored.revision !== expectedRevision)
          throw revisionConflict(this.filePath, stored.revision, expectedRevision);
        await lock.assertHeld();
        await this.#write(document);
      },
      options,
    );
  }

  async #read(): Promise<SettingsDocument> {
    let text: string;
    try {
      text = await readFile(this.filePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyDocument();
      throw new StorageError(ErrorCode.Misconfigured, `cannot read settings file ${this.filePath}`, { cause: error });
    }
    let parsed: FileShape;
    try {
      parsed = JSON.parse(text) as FileShape;
    } catch (error) {
      throw new StorageError(ErrorCode.Misconfigured, `settings file ${this.filePath} is not valid JSON`, {
        cause: error,
      });
    }
    return documentOf(parsed, this.filePath);
  }

  async #write(document: SettingsDocument): Promise<void> {
    const body: FileShape = { ...document, version: FORMAT_VERSION, defaultBackend: document.defaultBackend ?? null };
    try {
      await replaceFile(this.filePath, `${JSON.stringify(body, null, 2)}\n`, {
        prefix: `.${basename(this.filePath)}.`,
        mode: 0o600,
      });
    } catch (error) {
      throw new StorageError(ErrorCode.Unavailable, `cannot write settings file ${this.filePath}`, { cause: error });
    }
  }
}

function shapeProblems(parsed: FileShape): string[] {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return ['top level must be an object'];
  const problems: string[] = [];
  if (parsed.version !== FORMAT_VERSION && parsed.version !== 1) {
    problems.push(`version must be ${FORMAT_VERSION} (or 1, the format before revisions)`);
  }
  if (parsed.version === FORMAT_VERSION && !(Number.isSafeInteger(parsed.revision) && (parsed.revision ?? -1) >= 0)) {
    problems.push('revision must be a whole number of at least 0');
  }
  if (parsed.defaultBackend != null && typeof parsed.defaultBackend !== 'string') {
    problems.push('defaultBackend must be a string or null');
  }
  for (const [name, entry] of Object.entries(parsed.providers ?? {})) {
    if (typeof entry !== 'object' || entry === null || entry.name !== name) {
      problems.push(`providers.${name}: entry must be an object whose name is "${name}"`);
      continue;
    }
    if (typeof entry.settings !== 'object' || entry.settings === null)
      problems.push(`providers.${name}.settings: must be an object`);
    for (const [field, secret] of Object.entries(entry.secrets ?? {})) {
      if (!isEncryptedSecret(secret)) problems.push(`providers.${name}.secrets.${field}: not an encrypted value`);
    }
  }
  return problems;
}

function documentOf(parsed: FileShape, filePath: string): SettingsDocument {
  const problems = shapeProblems(parsed);
  if (problems.length > 0) {
    throw new StorageError(ErrorCode.Misconfigured, `settings file ${filePath} is malformed: ${problems.join('; ')}`);
  }
  // Fields this store does not know (the registry's signature, later ones) are kept verbatim.
  const { version, revision, defaultBackend, providers, ...rest } = parsed;
  return {
    ...(version === FORMAT_VERSION ? rest : {}),
    revision: version === FORMAT_VERSION ? (revision as number) : 0,
    defaultBackend: defaultBackend ?? undefined,
    providers: Object.fromEntries(Object.entries(providers ?? {}).map(([name, entry]) => [name, entryOf(name, entry)])),
  };
}

// Every field is kept (targets included): the entry's MAC covers all of them, so the registry judges them.
function entryOf(name: string, entry: StoredProviderEntry): StoredProviderEntry {
  return {
    ...entry,
    name,
    enabled: entry.enabled === true,
    deleteLocal: entry.deleteLocal === true,
    settings: entry.settings,
    secrets: entry.secrets ?? {},
    updatedAt: typeof entry.updatedAt === 'string' ? entry.updatedAt : new Date(0).toISOString(),
    // Kept verbatim (even if malformed) so the registry, not the store, judges it.
    ...(entry.mac !== undefined ? { mac: entry.mac } : {}),
  };
}

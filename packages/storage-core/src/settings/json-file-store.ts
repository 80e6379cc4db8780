/**
 * The embedded settings store: one JSON file, replaced atomically on every
 * change (`replaceFile`: temp file in the same directory, fsync, rename over
 * the old one, fsync the directory). A crash leaves either the old or the new
 * file, never a torn one. Writes in one process are serialized; separate processes
 * changing settings at the same moment may overwrite each other's change (last
 * writer wins), which suits admin edits; back the store with a database when
 * that is not enough. The file is created
 * with mode 0600 because it names buckets and endpoints (secrets inside are
 * encrypted regardless).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { replaceFile } from '../atomic-file.js';
import { ErrorCode, StorageError } from '../errors.js';
import { isEncryptedSecret } from './crypto.js';
import { emptySnapshot, type SettingsSnapshot, type SettingsStore, type StoredProviderEntry } from './store.js';

const FORMAT_VERSION = 1;

interface FileShape {
  version: number;
  defaultBackend?: string | null;
  providers?: Record<string, StoredProviderEntry>;
}

/** Settings kept in one JSON file on local disk. */
export class JsonFileSettingsStore implements SettingsStore {
  readonly filePath: string;
  #queue: Promise<unknown> = Promise.resolve();

  /** `filePath` is created on the first change; its directory is created when missing. */
  constructor(filePath: string) {
    if (typeof filePath !== 'string' || filePath.length === 0) {
      throw new StorageError(ErrorCode.InvalidInput, 'settings file path must be a non-empty string');
    }
    this.filePath = filePath;
  }

  /** Reads the file; an empty snapshot when it does not exist yet. MISCONFIGURED when it is unreadable JSON. */
  async load(): Promise<SettingsSnapshot> {
    await this.#queue.catch(() => undefined);
    return this.#read();
  }

  /** Inserts or replaces one provider's entry, atomically. */
  saveEntry(entry: StoredProviderEntry): Promise<void> {
    return this.#update((snapshot) => ({ ...snapshot, providers: { ...snapshot.providers, [entry.name]: entry } }));
  }

  /** Removes one provider's entry, atomically. */
  removeEntry(name: string): Promise<void> {
    return this.#update((snapshot) => {
      const { [name]: _removed, ...rest } = snapshot.providers;
      return { ...snapshot, providers: rest };
    });
  }

  /** Records the default backend, atomically. */
  saveDefault(name: string | undefined): Promise<void> {
    return this.#update((snapshot) => ({ ...snapshot, defaultBackend: name }));
  }

  #update(change: (snapshot: SettingsSnapshot) => SettingsSnapshot): Promise<void> {
    const run = this.#queue.catch(() => undefined).then(async () => this.#write(change(await this.#read())));
    this.#queue = run;
    return run;
  }

  async #read(): Promise<SettingsSnapshot> {
    let text: string;
    try {
      text = await readFile(this.filePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptySnapshot();
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
    return validateShape(parsed, this.filePath);
  }

  async #write(snapshot: SettingsSnapshot): Promise<void> {
    const body: FileShape = {
      version: FORMAT_VERSION,
      defaultBackend: snapshot.defaultBackend ?? null,
      providers: snapshot.providers as Record<string, StoredProviderEntry>,
    };
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

function validateShape(parsed: FileShape, filePath: string): SettingsSnapshot {
  const problems: string[] = [];
  if (typeof parsed !== 'object' || parsed === null) problems.push('top level must be an object');
  else {
    if (parsed.version !== FORMAT_VERSION) problems.push(`version must be ${FORMAT_VERSION}`);
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
  }
  if (problems.length > 0) {
    throw new StorageError(ErrorCode.Misconfigured, `settings file ${filePath} is malformed: ${problems.join('; ')}`);
  }
  return {
    defaultBackend: parsed.defaultBackend ?? undefined,
    providers: Object.fromEntries(
      Object.entries(parsed.providers ?? {}).map(([name, entry]) => [
        name,
        {
          name,
          enabled: entry.enabled === true,
          deleteLocal: entry.deleteLocal === true,
          settings: entry.settings,
          secrets: entry.secrets ?? {},
          updatedAt: typeof entry.updatedAt === 'string' ? entry.updatedAt : new Date(0).toISOString(),
          // Kept verbatim (even if malformed) so the registry, not the store, judges it.
          ...(entry.mac !== undefined ? { mac: entry.mac } : {}),
        },
      ]),
    ),
  };
}

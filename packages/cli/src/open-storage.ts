/**
 * Opens a Storage from the resolved config, through the public API only:
 * a JSON settings file, the results disk, the SQLite catalog (core) or the
 * Postgres one (@stowage/catalog-postgres, loaded only when configured), and
 * every definition the CLI knows.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createLocalDriver } from '@stowage/driver-local';
import {
  type Catalog,
  createStorage,
  JsonFileSettingsStore,
  type Logger,
  openSqliteCatalog,
  type Storage,
} from '@stowage/storage-core';
import type { CatalogLocation, ResolvedConfig } from './config.js';
import { cliDefinitions } from './definitions.js';
import { CliError } from './exit-codes.js';

/** A storage opened for one command, and how to close it. */
export interface OpenedStorage {
  readonly storage: Storage;
  readonly config: ResolvedConfig;
  /** Closes the storage, then the catalog it was given. */
  close(): Promise<void>;
}

/** Opens the config's storage; CliError (exit 2) when the results folder is missing. */
export async function openStorage(config: ResolvedConfig, logger: Logger): Promise<OpenedStorage> {
  await requireFolder(config);
  let local: ReturnType<typeof createLocalDriver>;
  try {
    local = createLocalDriver({ root: config.resultsDir, publicBaseUrl: config.resultsPublicBaseUrl });
  } catch (error) {
    throw new CliError('CONFIG', `config file ${config.file}: results: ${(error as Error).message}`);
  }
  await mkdir(dirname(config.settingsFile), { recursive: true });
  const catalog = await openCatalog(config.catalog);
  try {
    const storage = await createStorage({
      store: new JsonFileSettingsStore(config.settingsFile),
      appKey: config.appKey,
      local,
      definitions: await cliDefinitions(),
      catalog,
      logger,
      ...(config.concurrency !== undefined ? { concurrency: config.concurrency } : {}),
      ...(config.retry !== undefined ? { retry: config.retry } : {}),
    });
    return {
      storage,
      config,
      async close() {
        try {
          await storage.close();
        } finally {
          await catalog.close();
        }
      },
    };
  } catch (error) {
    await catalog.close();
    throw error;
  }
}

async function requireFolder(config: ResolvedConfig): Promise<void> {
  const found = await stat(config.resultsDir).catch(() => undefined);
  if (!found?.isDirectory()) {
    throw new CliError(
      'CONFIG',
      `config file ${config.file}: results.dir: the folder ${config.resultsDir} does not exist`,
    );
  }
}

async function openCatalog(location: CatalogLocation): Promise<Catalog> {
  if (location.kind === 'sqlite') {
    await mkdir(dirname(location.file), { recursive: true });
    return openSqliteCatalog({ file: location.file });
  }
  // Loaded only here, so an installation on SQLite never loads pg.
  const { openPostgresCatalog } = await import('@stowage/catalog-postgres');
  return openPostgresCatalog({
    connectionString: location.connectionString,
    ...(location.schema !== undefined ? { schema: location.schema } : {}),
  });
}

/** How the catalog is described in output: never the connection string (it holds a password). */
export function describeCatalog(location: CatalogLocation): Record<string, string> {
  return location.kind === 'sqlite'
    ? { kind: 'sqlite', file: location.file }
    : { kind: 'postgres', schema: location.schema ?? 'stowage' };
}

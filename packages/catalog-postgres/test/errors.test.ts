/**
 * What goes wrong on the way to the catalog gives a clear StorageError code
 * before anything is written, and never the password: bad options, a server
 * nobody answers on, one that never replies, refused credentials, a missing
 * database. And the catalog keeps to itself: a borrowed pool stays the app's,
 * with `pg`'s own type parsers.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { inspect } from 'node:util';
import { ErrorCode } from '@stowage/storage-core';
import { expectStorageError } from '@stowage/storage-core/testing';
import { findFreePort } from '@stowage/testing';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { openPostgresCatalog } from '../src/index.js';
import { Admin, passwordOf, uniqueSchema, urlForDatabase, urlWithPassword } from './support/postgres.js';
import { localRecord } from './support/records.js';

const { url } = inject('postgres');
const admin = new Admin(url);
afterAll(() => admin.end());

/** A password no server knows, recognisable in any text. */
function secret(): string {
  return `Pw-${randomBytes(9).toString('hex')}`;
}

/** Asserts that neither the error's message nor anything reachable from it (cause included) holds `password`. */
function expectNoPassword(error: Error, password: string) {
  expect(error.message).not.toContain(password);
  expect(inspect(error, { depth: 10 })).not.toContain(password);
  expect(inspect(error, { depth: 10 })).not.toContain(encodeURIComponent(password));
}

describe('opening the postgres catalog', () => {
  it('refuses bad options with one INVALID_INPUT naming every problem, echoing no value', async () => {
    const password = secret();
    const error = await expectStorageError(
      () =>
        openPostgresCatalog({
          connectionString: `mysql://app:${password}@db.internal/media`,
          schema: 'Media-Catalog',
          maxConnections: 0,
          connectTimeoutMs: -5,
        }),
      ErrorCode.InvalidInput,
    );
    for (const field of ['connectionString', 'schema', 'maxConnections', 'connectTimeoutMs']) {
      expect(error.message).toContain(field);
    }
    expect(error.message).not.toContain('Media-Catalog');
    expectNoPassword(error, password);
    const neither = await expectStorageError(() => openPostgresCatalog({}), ErrorCode.InvalidInput);
    expect(neither.message).toContain('connectionString or pool: give exactly one');
    const pool = new pg.Pool({ connectionString: url });
    await expectStorageError(() => openPostgresCatalog({ connectionString: url, pool }), ErrorCode.InvalidInput);
    await pool.end();
  });

  it('says UNAVAILABLE, naming host and port, when nothing listens there', async () => {
    const password = secret();
    const port = await findFreePort();
    const error = await expectStorageError(
      () => openPostgresCatalog({ connectionString: `postgresql://app:${password}@127.0.0.1:${port}/media` }),
      ErrorCode.Unavailable,
    );
    expect(error.message).toContain(`127.0.0.1:${port}/media`);
    expectNoPassword(error, password);
  });

  it('says TIMEOUT after connectTimeoutMs when the server accepts but never answers', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const password = secret();
    try {
      const started = Date.now();
      const error = await expectStorageError(
        () =>
          openPostgresCatalog({
            connectionString: `postgresql://app:${password}@127.0.0.1:${port}/media`,
            connectTimeoutMs: 300,
          }),
        ErrorCode.Timeout,
      );
      expect(Date.now() - started).toBeLessThan(10_000);
      expectNoPassword(error, password);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('says INVALID_CREDENTIALS for a wrong password, and never prints it or the right one', async () => {
    const wrong = secret();
    const error = await expectStorageError(
      () => openPostgresCatalog({ connectionString: urlWithPassword(url, wrong), schema: uniqueSchema() }),
      ErrorCode.InvalidCredentials,
    );
    expect(error.message).toContain('refused the user name or password');
    expectNoPassword(error, wrong);
    expectNoPassword(error, passwordOf(url));
  });

  it('says MISCONFIGURED, naming it, for a database that does not exist', async () => {
    const error = await expectStorageError(
      () => openPostgresCatalog({ connectionString: urlForDatabase(url, 'no_such_media_db') }),
      ErrorCode.Misconfigured,
    );
    expect(error.message).toContain('no_such_media_db');
    expectNoPassword(error, passwordOf(url));
  });
});

describe('the postgres catalog in an app', () => {
  it('borrows the app’s pool, leaves its int8 parsing alone and leaves it open on close', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    try {
      const catalog = await openPostgresCatalog({ pool, schema: admin.track(uniqueSchema()) });
      const record = await catalog.insert(
        localRecord('a.png', {
          files: [
            { name: '', path: 'a.png', key: 'a.png', size: 5_000_000_000, sha256: undefined, contentType: undefined },
          ],
          now: 1_700_000_000_000,
        }),
      );
      expect(await catalog.get(record.id)).toMatchObject({ createdAt: 1_700_000_000_000, version: 1 });
      expect(await catalog.count()).toEqual({ results: 1, bytes: 5_000_000_000 });
      // The app's own queries on the same pool still get pg's default: int8 as a string.
      expect((await pool.query('SELECT 5000000000::int8 AS n')).rows).toEqual([{ n: '5000000000' }]);
      await catalog.close();
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      const closed = await expectStorageError(() => catalog.get(record.id), ErrorCode.Unsupported);
      expect(closed.message).toContain('closed');
    } finally {
      await pool.end();
    }
  });

  it('refuses text Postgres cannot store (a NUL character) with INVALID_INPUT, storing nothing', async () => {
    const catalog = await openPostgresCatalog({ connectionString: url, schema: admin.track(uniqueSchema()) });
    try {
      await expectStorageError(
        () => catalog.insert(localRecord('nul.png', { metadata: { prompt: 'a\u0000b' } })),
        ErrorCode.InvalidInput,
      );
      expect(await catalog.findByPath('nul.png')).toBeUndefined();
    } finally {
      await catalog.close();
    }
  });
});

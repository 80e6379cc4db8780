import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdminHandler, toNodeHandler } from '@stowage/admin';
import { createLocalDriver } from '@stowage/driver-local';
import { r2DriverDefinition } from '@stowage/driver-r2';
import { s3DriverDefinitions } from '@stowage/driver-s3';
import { createStorage, JsonFileSettingsStore } from '@stowage/storage-core';

const dir = await mkdtemp(join(tmpdir(), 'stowage-admin-'));
await mkdir(join(dir, 'results'));
const definitions = [r2DriverDefinition, ...s3DriverDefinitions];
const storage = await createStorage({
  store: new JsonFileSettingsStore(join(dir, 'settings.json')),
  appKey: process.env.APP_KEY ?? randomBytes(32).toString('base64'),
  local: createLocalDriver({ root: join(dir, 'results') }),
  definitions,
});

// Your app decides who is an admin. Standing in for its sign-in here: one session cookie.
const adminSession = process.env.ADMIN_SESSION ?? randomBytes(16).toString('hex');
const authorize = (request) =>
  (request.headers.get('cookie') ?? '').split(/;\s*/).includes(`session=${adminSession}`)
    ? { allow: true, session: adminSession }
    : false;

const admin = toNodeHandler(createAdminHandler({ storage, authorize, definitions, basePath: '/admin/storage' }));
const server = createServer((req, res) => {
  if (req.url.startsWith('/admin/storage')) return admin(req, res);
  res.end('the rest of your app');
});
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`admin at http://127.0.0.1:${server.address().port}/admin/storage/ (cookie session=${adminSession})`);
});

import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalDriver } from '@stowage/driver-local';
import { r2DriverDefinition } from '@stowage/driver-r2';
import { s3DriverDefinitions } from '@stowage/driver-s3';
import { createStorage, JsonFileSettingsStore, streamToBuffer } from '@stowage/storage-core';

// The platform's results disk, and one finished result on it.
const dir = await mkdtemp(join(tmpdir(), 'stowage-quickstart-'));
const results = join(dir, 'results');
await mkdir(join(results, 'images/gemini'), { recursive: true });
await writeFile(join(results, 'images/gemini/cat.png'), randomBytes(2048));

const storage = await createStorage({
  store: new JsonFileSettingsStore(join(dir, 'settings.json')), // settings + default backend, persisted
  appKey: process.env.APP_KEY ?? randomBytes(32).toString('base64'), // encrypts stored secrets
  local: createLocalDriver({ root: results, publicBaseUrl: 'https://app.example/results' }),
  definitions: [r2DriverDefinition, ...s3DriverDefinitions],
});

// Admin: with R2 credentials in the environment, save them, test the connection, make R2 the default.
if (process.env.R2_ACCOUNT_ID) {
  await storage.registry.saveSettings('r2', {
    accountId: process.env.R2_ACCOUNT_ID,
    bucket: process.env.R2_BUCKET,
    accessKeyId: process.env.R2_ACCESS_KEY_ID,
    secretAccessKey: process.env.R2_SECRET_ACCESS_KEY,
    publicBaseUrl: process.env.R2_PUBLIC_BASE_URL,
  });
  const report = await storage.registry.testConnection('r2');
  console.log('test connection:', report.message);
  if (report.ok) {
    await storage.registry.enable('r2');
    await storage.registry.setDefault('r2');
  }
}

// App: offload a finished result. Never throws on storage errors; keep outcome.location.
const outcome = await storage.offload({ path: 'images/gemini/cat.png' });
console.log(outcome.status, outcome.location, outcome.url);

// Later: read it back through its location, whichever backend is the default by then.
const bytes = await streamToBuffer(await storage.read(outcome.location));
console.log(`read ${bytes.length} bytes from ${outcome.location}`);
await storage.close();

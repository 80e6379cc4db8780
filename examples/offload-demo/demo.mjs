#!/usr/bin/env node
// The offload demo: generates a few results on the local results disk and
// offloads them through the Stowage registry. Out of the box everything stays on
// local disk (no credentials); give R2 or S3 settings (README.md) to send them
// to a bucket. Prints where each result went and its URL.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLocalDriver } from '@stowage/driver-local';
import { r2DriverDefinition } from '@stowage/driver-r2';
import { s3DriverDefinitions } from '@stowage/driver-s3';
import { ConfigError, createStorage, JsonFileSettingsStore } from '@stowage/storage-core';
import { pino } from 'pino';
import { providerFromEnvironment } from './provider-config.mjs';
import { generateResults } from './sample-results.mjs';

const env = process.env;
const demoDir = resolve(env.STOWAGE_DEMO_DIR ?? join(tmpdir(), 'stowage-offload-demo'));
const resultsRoot = join(demoDir, 'results');
const locationsFile = join(demoDir, 'locations.json');
// Offloads finish concurrently: saves of the locations file run one after another so none is lost.
let saving = Promise.resolve();
await mkdir(resultsRoot, { recursive: true });

let provider;
try {
  provider = await providerFromEnvironment(env, process.argv.slice(2));
} catch (error) {
  console.error(`offload-demo: ${error.message}`);
  process.exit(2);
}

const storage = await createStorage({
  store: new JsonFileSettingsStore(join(demoDir, 'settings.json')),
  appKey: await applicationKey(),
  // The results disk, served by the app under this base URL (a static file route).
  local: createLocalDriver({
    root: resultsRoot,
    publicBaseUrl: env.STOWAGE_LOCAL_BASE_URL ?? 'http://localhost:3000/results',
  }),
  definitions: [r2DriverDefinition, ...s3DriverDefinitions],
  logger: pino({ level: env.STOWAGE_LOG_LEVEL ?? 'warn' }, pino.destination(2)),
});

console.log(`Stowage offload demo (data in ${demoDir})`);
if (provider) await configure(provider);
const active = storage.registry.active();
console.log(`default backend: ${storage.registry.defaultBackend}; new results go to: ${active.name}`);

const results = await generateResults(resultsRoot);
const locations = await loadLocations();
const outcomes = await storage.offloadMany(results, {
  // The app's "database": the location is saved before any local copy is removed.
  async onStored(outcome) {
    locations[outcome.key] = outcome.location;
    await saveLocations(locations);
  },
});
for (const outcome of outcomes) {
  if (outcome.status === 'local') locations[outcome.key] = outcome.location;
  console.log(`\n${outcome.key}`);
  console.log(`  went to   ${outcome.location}${outcome.status === 'offloaded' ? ' (offloaded, verified)' : ''}`);
  console.log(`  url       ${describeUrl(outcome)}`);
  if (outcome.status === 'offloaded')
    console.log(`  local     ${outcome.localDeleted ? 'deleted after verification' : 'kept'}`);
  if (outcome.error) console.log(`  stayed local because: [${outcome.error.code}] ${outcome.error.message}`);
}
await saveLocations(locations);
await storage.close();
const offloaded = outcomes.filter((o) => o.status === 'offloaded').length;
console.log(`\n${offloaded} of ${outcomes.length} results offloaded; locations saved in ${locationsFile}`);

function describeUrl(outcome) {
  if (!outcome.url) return '(none: this backend has no public or signed URLs)';
  return outcome.urlKind === 'signed'
    ? `${outcome.url} (signed, expires ${outcome.urlExpiresAt?.toISOString()})`
    : outcome.url;
}

/** Saves the provider's settings, enables it, tests the connection, and makes it the default when the test passes. */
async function configure({ backend, settings, source }) {
  if (backend === 'local') {
    await storage.registry.setDefault('local');
    return;
  }
  console.log(`configuring "${backend}" from ${source}`);
  try {
    await storage.registry.saveSettings(backend, settings);
    await storage.registry.enable(backend);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`offload-demo: the ${backend} settings are not usable:\n  - ${error.problems.join('\n  - ')}`);
    process.exit(2);
  }
  const report = await storage.registry.testConnection(backend);
  if (report.ok) {
    await storage.registry.setDefault(backend);
    console.log(`test connection: ${report.message}`);
  } else {
    console.log(`test connection failed: ${report.message}`);
    console.log(`keeping "${storage.registry.defaultBackend}" as the default backend`);
  }
}

/** STOWAGE_APP_KEY, else a key generated once for this demo folder (a real app must manage its own). */
async function applicationKey() {
  if (env.STOWAGE_APP_KEY) return env.STOWAGE_APP_KEY;
  const file = join(demoDir, 'app-key');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const key = randomBytes(32).toString('base64');
    await writeFile(file, `${key}\n`, { mode: 0o600 });
    return key;
  }
}

async function loadLocations() {
  try {
    return JSON.parse(await readFile(locationsFile, 'utf8'));
  } catch {
    return {};
  }
}

function saveLocations(value) {
  saving = saving.then(async () => {
    const temp = `${locationsFile}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`);
    await rename(temp, locationsFile);
  });
  return saving;
}

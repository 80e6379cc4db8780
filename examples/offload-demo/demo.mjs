#!/usr/bin/env node
// The demo: Stowage's life cycle in one run. Results with variants are
// generated on the results disk, offloaded to a remote and verified, and every
// URL is fetched over HTTP; then the default backend is switched (old URLs keep
// working), the old results are migrated to the new default (their locations
// now resolve there) and the new default is reconciled against the catalog.
// Out of the box the remotes are local folders the demo serves itself (a "NAS"
// and an "archive" disk); with R2 or S3 settings (README.md) the second one is
// the bucket.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLocalDriver, localDriverDefinition } from '@stowage/driver-local';
import { r2DriverDefinition } from '@stowage/driver-r2';
import { s3DriverDefinitions } from '@stowage/driver-s3';
import { ConfigError, createStorage, JsonFileSettingsStore } from '@stowage/storage-core';
import { pino } from 'pino';
import { startDiskServer } from './disk-server.mjs';
import { providerFromEnvironment } from './provider-config.mjs';
import { generateLateResult, generateResults } from './sample-results.mjs';
import { UrlChecks } from './url-check.mjs';

/** What proved the stored bytes, by the driver's checksum kind. */
const PROOF = {
  sha256: 'size, and SHA-256 checked by the backend',
  md5: 'size, and MD5 checked by the backend',
  'multipart-md5': 'size, and the MD5 of every part checked by the backend',
  none: 'size, and SHA-256 of the copy read back',
};

const env = process.env;
const started = performance.now();
const demoDir = resolve(env.STOWAGE_DEMO_DIR ?? (await mkdtemp(join(tmpdir(), 'stowage-demo-'))));
const folders = { results: join(demoDir, 'results'), nas: join(demoDir, 'nas'), archive: join(demoDir, 'archive') };
for (const folder of Object.values(folders)) await mkdir(folder, { recursive: true });

let remote;
try {
  remote = await providerFromEnvironment(env, process.argv.slice(2));
} catch (error) {
  console.error(`demo: ${error.message}`);
  process.exit(2);
}

const server = await startDiskServer(folders);
const storage = await createStorage({
  store: new JsonFileSettingsStore(join(demoDir, 'settings.json')), // the catalog is a SQLite file beside it
  appKey: await applicationKey(),
  local: createLocalDriver({ root: folders.results, publicBaseUrl: `${server.baseUrl}/results` }),
  definitions: [r2DriverDefinition, ...s3DriverDefinitions],
  logger: pino({ level: env.STOWAGE_LOG_LEVEL ?? 'warn' }, pino.destination(2)),
});
storage.registry.register(localDriverDefinition, { name: 'nas' });
storage.registry.register(localDriverDefinition, { name: 'archive' });
const urls = new UrlChecks();
let exitCode = 0;
try {
  exitCode = await lifeCycle();
} finally {
  await storage.close();
  await server.close();
}
process.exit(exitCode);

async function lifeCycle() {
  console.log(`Stowage demo (data in ${demoDir}; local folders served at ${server.baseUrl})`);

  // Both remotes' settings are saved (and so checked) first: bad settings stop the demo before it touches anything.
  const nas = { backend: 'nas', settings: diskSettings('nas') };
  const next = chooseNext();
  await save(nas);
  await save(next);

  console.log('\n1. A remote backend: "nas", a second local disk standing for a NAS or a bucket');
  if (!(await makeDefault(nas))) return 1;

  console.log('\n2. Offload results with their variants (verified, then the local copies removed)');
  const first = await storage.offloadMany(await generateResults(folders.results), { deleteLocal: true });
  for (const outcome of first) await showOutcome(outcome);

  console.log(`\n3. Switch the default to "${next.backend}" (${next.description}): nothing stored moves`);
  if (!(await makeDefault(next))) return 1;
  const late = await storage.offload(await generateLateResult(folders.results), { deleteLocal: true });
  await showOutcome(late);
  console.log('  URLs handed out before the switch still serve:');
  for (const outcome of first) await urls.check(outcome.key, outcome.url, outcome);

  console.log(`\n4. Migrate what "nas" holds to "${next.backend}"`);
  const plan = await storage.migrate({ from: 'nas', to: next.backend, dryRun: true });
  console.log(`  dry run: ${plan.results.total} results, ${plan.bytes.total} bytes would move; nothing touched`);
  const report = await storage.migrate({ from: 'nas', to: next.backend });
  const failures = Object.entries(report.failures).map(([code, count]) => `${count} ${code}`);
  console.log(
    `  ${report.state}: ${report.results.done} of ${report.results.total} results moved ` +
      `(${report.bytes.done} bytes, ${report.durationMs} ms), ${report.results.failed} failed${failures.length ? ` (${failures.join(', ')})` : ''}`,
  );
  console.log('  the same locations now resolve to the new place (source copies kept, so old URLs keep working too):');
  for (const outcome of first) {
    await urls.check(outcome.location, (await storage.url(outcome.location)).url, outcome);
    for (const variant of outcome.variants) {
      const now = await storage.url(outcome.location, { variant: variant.name });
      await urls.check(`${outcome.location} variant ${variant.name}`, now.url, variant);
    }
  }

  console.log(`\n5. Reconcile "${next.backend}" against the catalog`);
  const check = await storage.reconcile({ target: next.backend });
  console.log(
    `  listed ${check.listed.objects} objects (${check.listed.bytes} bytes), recorded ${check.recorded.files} files; ` +
      `orphans ${check.orphans.count}, missing ${check.missing.count}, mismatched ${check.mismatched.count}, ` +
      `unknown local files ${check.unknownLocalFiles.count}`,
  );

  const offloaded = [...first, late].filter((outcome) => outcome.status === 'offloaded').length;
  const agrees = check.missing.count === 0 && check.mismatched.count === 0;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `\n${offloaded} of ${first.length + 1} results offloaded and verified; ${urls.fetched - urls.failed} of ${urls.fetched} URLs ` +
      `served the recorded bytes; ${report.results.done} results migrated; the catalog ${agrees ? 'agrees' : 'DISAGREES'} ` +
      `with "${next.backend}" (${seconds} s)`,
  );
  return offloaded === first.length + 1 && urls.failed === 0 && report.results.failed === 0 && agrees ? 0 : 1;
}

/** The backend to switch to: the R2/S3 provider from the environment, else the embedded "archive" disk. */
function chooseNext() {
  if (remote && remote.backend !== 'local') return { ...remote, description: `settings from ${remote.source}` };
  return {
    backend: 'archive',
    settings: diskSettings('archive'),
    description: 'another local disk; give R2 or S3 settings to use a bucket here',
  };
}

function diskSettings(name) {
  return { root: folders[name], publicBaseUrl: `${server.baseUrl}/${name}` };
}

/** Saves a provider's settings (the registry checks them) and enables it; exits with status 2 naming every bad setting. */
async function save({ backend, settings }) {
  try {
    await storage.registry.saveSettings(backend, settings);
    await storage.registry.enable(backend);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`demo: the ${backend} settings are not usable:\n  - ${error.problems.join('\n  - ')}`);
    await storage.close();
    await server.close();
    process.exit(2);
  }
}

/** Tests the connection and, when the test passes, makes the provider the default. */
async function makeDefault({ backend }) {
  const report = await storage.registry.testConnection(backend);
  if (!report.ok) {
    console.log(`  test connection failed: ${report.message}`);
    console.log(`  keeping "${storage.registry.defaultBackend}" as the default backend; stopping here`);
    return false;
  }
  await storage.registry.setDefault(backend);
  console.log(`  test connection: ${report.message}`);
  console.log(`  default backend: ${storage.registry.defaultBackend}`);
  return true;
}

/** Prints where a result went, then fetches its URL and each variant's. */
async function showOutcome(outcome) {
  console.log(`  ${outcome.key}`);
  const verified = outcome.status === 'offloaded' ? ` (offloaded; verified: ${PROOF[outcome.checksum]})` : '';
  console.log(`    went to ${outcome.location}${verified}; local copy ${outcome.localDeleted ? 'removed' : 'kept'}`);
  if (outcome.error) console.log(`    stayed local because: [${outcome.error.code}] ${outcome.error.message}`);
  await urls.check('original', outcome.url, outcome);
  for (const variant of outcome.variants) await urls.check(`variant ${variant.name}`, variant.url, variant);
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

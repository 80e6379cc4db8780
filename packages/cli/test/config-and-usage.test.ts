/**
 * The built `stowage` binary without any server: a missing or bad config file
 * is a clear error naming the file and the field (exit 2); usage errors exit
 * 2 with `--json` error shapes; a secret on the command line is refused
 * without being repeated; offload on the results disk as the default, with
 * status and stats counting it, and --dry-run sending nothing.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_KEY, type CliWorld, createCliWorld } from './support.js';

let world: CliWorld;
afterEach(async () => {
  await world?.remove();
});

describe('config file', () => {
  it('names the missing file and tells how to give one', async () => {
    world = await createCliWorld();
    const result = await world.run(['status', '--config', 'nowhere.json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`config file ${join(world.dir, 'nowhere.json')}: not found`);
    const json = await world.json(['status', '--config', 'nowhere.json']);
    expect(json.code).toBe(2);
    expect(json.body).toEqual({ ok: false, error: { code: 'CONFIG', message: expect.stringContaining('not found') } });
  });

  it('is looked up in the current directory, and every bad field is named without its value', async () => {
    world = await createCliWorld();
    await writeFile(
      world.configFile,
      JSON.stringify({ settingsFile: 42, results: {}, appKeyEnv: 'not a name', catalg: 'postgres://u:hunter2@db/x' }),
    );
    const result = await world.run(['status']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`config file ${world.configFile}:`);
    for (const field of ['catalg: unknown field', 'settingsFile:', 'results.dir:', 'appKeyEnv:']) {
      expect(result.stderr).toContain(field);
    }
    expect(result.stderr).not.toContain('hunter2');
    await writeFile(world.configFile, '{ not json');
    expect((await world.run(['status'])).stderr).toContain(`config file ${world.configFile}: (file): not valid JSON`);
  });

  it('names the app key variable when it is not set, and a missing results folder', async () => {
    world = await createCliWorld();
    const unset = await world.run(['status'], { env: { STOWAGE_TEST_APP_KEY: '' } });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('appKeyEnv: the environment variable STOWAGE_TEST_APP_KEY is not set');
    await writeFile(
      world.configFile,
      JSON.stringify({ settingsFile: 's.json', results: { dir: 'gone' }, appKeyEnv: 'STOWAGE_TEST_APP_KEY' }),
    );
    const missing = await world.run(['status']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`results.dir: the folder ${join(world.dir, 'gone')} does not exist`);
  });

  it('names every bad retry value with the file, before the catalog is made', async () => {
    world = await createCliWorld({ retry: { firstDelayMs: -5, jitter: 7 } });
    const result = await world.run(['status']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `config file ${world.configFile}: retry.firstDelayMs: must be positive; retry.jitter: must be from 0 to below 1`,
    );
    expect(existsSync(join(world.dir, 'data'))).toBe(false);
  });
});

describe('usage', () => {
  it('exits 2 for an unknown command or option, with a JSON error under --json', async () => {
    world = await createCliWorld();
    const unknown = await world.run(['bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'bogus'");
    const json = await world.json(['offload']);
    expect(json.code).toBe(2);
    expect(json.body).toMatchObject({ ok: false, error: { code: 'USAGE', message: expect.stringContaining('paths') } });
    const help = await world.run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('reconcile');
  });

  it('shows a nested command’s own help for help <command> <subcommand>, as <command> <subcommand> --help does', async () => {
    world = await createCliWorld();
    for (const [path, usage] of [
      [['providers', 'set'], 'Usage: stowage providers set [options] <name>'],
      [['providers', 'list'], 'Usage: stowage providers list [options]'],
      [['providers'], 'Usage: stowage providers [options] [command]'],
      [['reconcile'], 'Usage: stowage reconcile [options] [target]'],
    ] as const) {
      const asked = await world.run([...path, '--help']);
      expect(asked.code).toBe(0);
      expect(asked.stdout).toContain(usage);
      for (const args of [['help', ...path], ...(path.length > 1 ? [[path[0], 'help', ...path.slice(1)]] : [])]) {
        const helped = await world.run(args);
        expect({ args, code: helped.code, stdout: helped.stdout }).toEqual({ args, code: 0, stdout: asked.stdout });
      }
    }
    // set's help lists the settings fields, which are added only when set is what runs.
    expect((await world.run(['help', 'providers', 'set'])).stdout).toContain('--key-prefix');
    const unknown = await world.run(['help', 'providers', 'sett']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Usage: stowage providers [options] [command]');
  });

  it('refuses a secret given on the command line and never repeats it', async () => {
    world = await createCliWorld();
    const secret = 'argv-secret-Zx9-0000';
    for (const args of [
      ['providers', 'set', 'minio', '--bucket', 'media', '--secret-access-key', secret],
      ['providers', 'set', 'minio', `--secret-access-key=${secret}`],
      ['providers', 'set', 'minio', `--secret_access_key=${secret}`],
    ]) {
      const result = await world.run(args);
      expect(result.code).toBe(2);
      expect(result.stdout + result.stderr).not.toContain(secret);
    }
    const refused = await world.run(['providers', 'set', 'minio', '--secret-access-key', secret]);
    expect(refused.stderr).toContain('secrets are never read from the command line; use --secret-from-env');
    // Nothing was saved.
    await expect(readFile(world.settingsFile, 'utf8').catch(() => '')).resolves.not.toContain('minio');
  });

  it('names an unset secret variable, a field that is no secret, and prompting without a terminal', async () => {
    world = await createCliWorld();
    const result = await world.run([
      'providers',
      'set',
      'minio',
      '--secret-from-env',
      'secretAccessKey=NOT_SET_ANYWHERE',
      'bucket=X',
      '--prompt-secret',
      'sessionToken',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('bucket is not a secret field of minio');
    const unset = await world.run([
      'providers',
      'set',
      'minio',
      '--secret-from-env',
      'secretAccessKey=NOT_SET_ANYWHERE',
    ]);
    expect(unset.stderr).toContain('secretAccessKey: the environment variable NOT_SET_ANYWHERE is not set');
    const prompt = await world.run(['providers', 'set', 'minio', '--prompt-secret', 'secretAccessKey']);
    expect(prompt.code).toBe(2);
    expect(prompt.stderr).toContain('cannot prompt, standard input is not a terminal');
  });

  it('does not repeat a secret pasted where the variable name goes', async () => {
    world = await createCliWorld();
    const secret = 'wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEY';
    const result = await world.run(['providers', 'set', 'minio', '--secret-from-env', `secretAccessKey=${secret}`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('secretAccessKey: no environment variable by the name given is set');
    expect(result.stdout + result.stderr).not.toContain(secret);
  });

  it('refuses local and unknown providers in providers set, and unknown ones in test', async () => {
    world = await createCliWorld();
    expect((await world.run(['providers', 'set', 'local', '--bucket', 'x'])).stderr).toContain(
      'set in the config file',
    );
    const unknown = await world.run(['providers', 'set', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown provider "nope"; known: r2, s3');
    for (const command of ['test', 'enable', 'disable', 'use']) {
      const result = await world.run([command, 'nope']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('unknown provider "nope"');
    }
    // A usage error changes nothing: not even the settings folder or the catalog were made.
    expect(existsSync(join(world.dir, 'data'))).toBe(false);
  });

  it('refuses an unknown provider in migrate, as destination as well as source (exit 2)', async () => {
    world = await createCliWorld();
    await world.addResult('images/a.png', 100);
    for (const args of [
      ['migrate', '--from', 'local', '--to', 'nope'],
      ['migrate', '--from', 'nope', '--to', 'local'],
    ]) {
      const result = await world.json<{ ok: boolean; error: { code: string; message: string } }>(args);
      expect(result.code).toBe(2);
      expect(result.body.error).toMatchObject({ code: 'USAGE' });
      expect(result.body.error.message).toContain('unknown provider "nope"; known: r2, s3');
    }
  });

  it('says a known provider has no settings saved in reconcile, sweep (its dry run too) and migrate, not that it is unknown (exit 2)', async () => {
    world = await createCliWorld();
    await world.addResult('images/a.png', 100);
    const nothingThere =
      'provider "minio" has no settings saved, so no target holds anything of it; save its settings first';
    for (const [args, message] of [
      [['reconcile', 'minio'], `reconcile: ${nothingThere}`],
      [['sweep', '--target', 'minio'], `sweep: ${nothingThere}`],
      [['sweep', '--dry-run', '--target', 'minio'], `sweep: ${nothingThere}`],
      [['migrate', '--from', 'minio', '--to', 'local'], `migrate: ${nothingThere}`],
      [
        ['migrate', '--from', 'local', '--to', 'minio'],
        'migrate: provider "minio" has no settings saved, so it has no target to move results to; save its settings first',
      ],
    ] as const) {
      const result = await world.run(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`stowage: ${message}\n`);
    }
  });

  it('refuses a worker concurrency that is no whole number, before the worker starts', async () => {
    world = await createCliWorld();
    for (const value of ['abc', '0', '1.5']) {
      const result = await world.run(['worker', '--concurrency', value]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('concurrency: must be a whole number, at least 1');
      expect(result.stdout).not.toContain('worker started');
    }
  });
});

describe('on the results disk alone', () => {
  it('offloads to local disk (the default), counts it in status and stats, and --dry-run sends nothing', async () => {
    world = await createCliWorld();
    await world.addResult('images/a.png', 1000);
    await world.addResult('images/nested/b.png', 2000);
    await world.addResult('videos/c.mp4', 3000);

    const dry = await world.json(['offload', 'images', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.body).toMatchObject({ ok: true, dryRun: true, backend: 'local', results: 2, bytes: 3000 });
    expect((await world.json<{ catalog: { total: number } }>(['status'])).body.catalog.total).toBe(0);

    const offload = await world.json<{
      summary: Record<string, number>;
      results: { path: string; location: string }[];
    }>(['offload', 'images', join(world.results, 'videos/c.mp4')]);
    expect(offload.code).toBe(0);
    expect(offload.body.summary).toEqual({ total: 3, offloaded: 0, local: 3, failed: 0, notStarted: 0, bytes: 6000 });
    expect(offload.body.results.map((r) => r.location).sort()).toEqual([
      'local:images/a.png',
      'local:images/nested/b.png',
      'local:videos/c.mp4',
    ]);

    const status = await world.json<{
      active: { name: string };
      targets: { id: string; results: number; bytes: number }[];
      catalog: { total: number; byState: Record<string, number> };
      providers: { name: string; isDefault: boolean }[];
    }>(['status']);
    expect(status.code).toBe(0);
    expect(status.body.active.name).toBe('local');
    expect(status.body.targets).toContainEqual(expect.objectContaining({ id: 'local', results: 3, bytes: 6000 }));
    expect(status.body.catalog).toMatchObject({ total: 3, byState: { local: 3, offloaded: 0 } });

    const stats = await world.run(['stats']);
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(/results: 3/);
    expect(stats.stdout).toMatch(/local\s+3\s+5\.9 KiB/);
  });

  it('names every path that is not on the results disk, before sending anything', async () => {
    world = await createCliWorld();
    await world.addResult('a.png', 10);
    const result = await world.json(['offload', 'a.png', 'missing.png', '/etc/hostname']);
    expect(result.code).toBe(2);
    expect(result.body).toMatchObject({ ok: false, error: { code: 'USAGE' } });
    const message = (result.body as { error: { message: string } }).error.message;
    expect(message).toContain('missing.png: not found on the results disk');
    expect(message).toContain('/etc/hostname: not found on the results disk');
    expect((await world.json<{ catalog: { total: number } }>(['status'])).body.catalog.total).toBe(0);
  });

  it('keeps the app key out of every output', async () => {
    world = await createCliWorld();
    const result = await world.run(['status', '--verbose']);
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(APP_KEY);
  });
});

describe('a secret pasted into another field', () => {
  const secret = 'PastedSecret0123456789abcdefXYZ';
  const env = { MINIO_SECRET: secret };
  const save = (extra: string[]) =>
    world.run(
      [
        'providers',
        'set',
        'minio',
        '--endpoint',
        'http://127.0.0.1:9',
        '--bucket',
        'media',
        '--access-key-id',
        'media-app',
        '--secret-from-env',
        'secretAccessKey=MINIO_SECRET',
        ...extra,
      ],
      { env },
    );

  it('is kept out of status, its targets included, as text and as JSON', async () => {
    world = await createCliWorld();
    // The key prefix is a placement field: it names the target's place, which status lists.
    expect((await save(['--key-prefix', secret])).code).toBe(0);
    const human = await world.run(['status']);
    const json = await world.run(['status', '--json']);
    expect(human.code).toBe(0);
    expect(json.code).toBe(0);
    expect(human.stdout).toContain('minio.1');
    expect(human.stdout + human.stderr).not.toContain(secret);
    expect(json.stdout + json.stderr).not.toContain(secret);
    expect(JSON.parse(json.stdout).targets).toContainEqual(
      expect.objectContaining({ id: 'minio.1', place: expect.objectContaining({ keyPrefix: '[redacted]' }) }),
    );
  });

  it('is never saved back as "[redacted]" by a later change of another field', async () => {
    world = await createCliWorld();
    expect((await save(['--key-prefix', secret])).code).toBe(0);
    const before = await readFile(world.settingsFile, 'utf8');
    // The stored key prefix shows as "[redacted]": keeping it from the view would store that text instead.
    const other = await world.run(['providers', 'set', 'minio', '--public-base-url', 'https://cdn.example/media']);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('keyPrefix: its stored value holds a secret');
    expect(other.stderr).toContain('--key-prefix');
    expect(other.stdout + other.stderr).not.toContain(secret);
    expect(await readFile(world.settingsFile, 'utf8')).toBe(before);
    // Given again, the change is saved.
    const fixed = await world.json<{ provider: { settings: Record<string, unknown> } }>([
      'providers',
      'set',
      'minio',
      '--key-prefix',
      'site-a',
      '--public-base-url',
      'https://cdn.example/media',
    ]);
    expect(fixed.code).toBe(0);
    expect(fixed.body.provider.settings).toMatchObject({
      keyPrefix: 'site-a',
      publicBaseUrl: 'https://cdn.example/media',
    });
  });
});

/**
 * The AWS SDK packages are pinned to exact versions, the same in every
 * package.json that names them, and the installed ones are those versions:
 * the canaries in packages/driver-s3/test/sdk-canaries.test.ts vouch for
 * exactly these.
 */
import { globSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { expect, it } from 'vitest';

const PINNED = [
  '@aws-sdk/client-s3',
  '@aws-sdk/lib-storage',
  '@aws-sdk/s3-request-presigner',
  '@smithy/node-http-handler',
];
/** Every package.json of the workspace (pnpm-workspace.yaml: packages/*, examples/*, bench) and the root's. */
const MANIFESTS = globSync(
  ['package.json', 'packages/*/package.json', 'examples/*/package.json', 'bench/package.json'],
  {
    cwd: new URL('..', import.meta.url).pathname,
  },
);

it('pins each SDK package to one exact version across the workspace, and that version is installed', async () => {
  expect(MANIFESTS).toEqual(expect.arrayContaining(['package.json', 'packages/driver-s3/package.json']));
  const specifiers = new Map<string, Set<string>>();
  for (const manifest of MANIFESTS) {
    const json = JSON.parse(await readFile(new URL(`../${manifest}`, import.meta.url), 'utf8'));
    for (const section of ['dependencies', 'devDependencies', 'peerDependencies']) {
      for (const [name, spec] of Object.entries<string>(json[section] ?? {})) {
        if (!PINNED.includes(name)) continue;
        expect(spec, `${manifest} ${section} ${name}`).toMatch(/^\d+\.\d+\.\d+$/);
        specifiers.set(name, (specifiers.get(name) ?? new Set()).add(spec));
      }
    }
  }
  const require = createRequire(new URL('../packages/driver-s3/package.json', import.meta.url));
  for (const name of PINNED) {
    const versions = [...(specifiers.get(name) ?? [])];
    expect(versions, name).toHaveLength(1);
    const installed = JSON.parse(await readFile(require.resolve(`${name}/package.json`), 'utf8')).version;
    expect(installed, name).toBe(versions[0]);
  }
});

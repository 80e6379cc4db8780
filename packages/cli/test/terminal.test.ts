/**
 * The binary on a terminal, through a real pseudo-terminal (`script` from
 * util-linux): long work draws a progress bar with counts, bytes, rate and
 * ETA; the hidden prompt takes a secret without echoing it, and the secret
 * ends up stored (encrypted), not on the screen.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { type CliWorld, createCliWorld, onTerminal } from './support.js';

let world: CliWorld;
afterEach(async () => {
  await world?.remove();
});

describe('on a terminal', () => {
  it('draws the offload progress bar with counts, bytes, rate and ETA', async () => {
    world = await createCliWorld();
    for (let i = 0; i < 12; i++) await world.addResult(`images/r${String(i).padStart(2, '0')}.png`, 10_240);
    const { code, screen } = await onTerminal(world, ['offload', 'images']);
    expect(code).toBe(0);
    // The bar as cli-progress draws it, last state: every result, every byte, a rate, nothing left.
    expect(screen).toMatch(/offload \[[█░]{24}\] 12\/12 \| 120\.0 KiB\/120\.0 KiB \| [\d.]+ (B|KiB|MiB)\/s \| ETA 0s/);
    expect(screen).toMatch(/offload \[[█░]{24}\] 0\/12 \| 0 B\/120\.0 KiB/);
    expect(screen).toContain('0 offloaded, 12 on local disk (0 failed) of 12 results, 120.0 KiB');
    // Not the plain lines meant for logs.
    expect(screen).not.toContain('offload: 12/12 results');
  });

  it('reads a secret at a hidden prompt, never echoing it', async () => {
    world = await createCliWorld();
    const secret = 'typed-at-the-prompt-Q7w-0000';
    const { code, screen } = await onTerminal(
      world,
      [
        'providers',
        'set',
        'minio',
        '--endpoint',
        'http://127.0.0.1:9',
        '--bucket',
        'media',
        '--access-key-id',
        'AKIDEXAMPLE',
        '--prompt-secret',
        'secretAccessKey',
      ],
      { when: 'secretAccessKey (hidden):', type: `${secret}\r` },
    );
    expect(screen).toContain('secretAccessKey (hidden):');
    expect(code).toBe(0);
    expect(screen).toContain('secretAccessKey: (set)');
    expect(screen).not.toContain(secret);
    const stored = await readFile(world.settingsFile, 'utf8');
    expect(stored).toContain('AKIDEXAMPLE');
    expect(stored).not.toContain(secret);
  });
});

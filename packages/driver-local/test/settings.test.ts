import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, ErrorCode, parseSettings } from '@stowage/storage-core';
import { expectStorageError } from '@stowage/storage-core/testing';
import { describe, expect, it } from 'vitest';
import { createLocalDriver, LocalDriver, localDriverDefinition } from '../src/index.js';

const SECRET = 'a-very-secret-signing-key-of-40-chars!!!';

function configError(input: unknown): ConfigError {
  try {
    createLocalDriver(input as never);
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('settings were accepted');
}

describe('localDriverDefinition', () => {
  it('registers as "local" / "Local disk" with the signing secret as its only secret field', () => {
    expect(localDriverDefinition.name).toBe('local');
    expect(localDriverDefinition.label).toBe('Local disk');
    expect(localDriverDefinition.secretFields).toEqual(['signingSecret']);
  });

  it('creates a working driver from settings that pass its schema', async () => {
    const root = await mkdtemp(join(tmpdir(), 'stowage-definition-'));
    try {
      const settings = parseSettings('local', localDriverDefinition.schema, { root });
      const driver = localDriverDefinition.create(settings);
      expect(driver).toBeInstanceOf(LocalDriver);
      expect(driver.kind).toBe('local');
      expect((await driver.probe()).ok).toBe(true);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('settings validation', () => {
  it('names every bad field at once, with code MISCONFIGURED', () => {
    const error = configError({ root: 'relative/dir', publicBaseUrl: 'not a url', signingSecret: 'short' });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe(ErrorCode.Misconfigured);
    expect(error.problems).toEqual([
      'root: must be an absolute path',
      'publicBaseUrl: must be an http(s) URL',
      'signingSecret: must be at least 32 characters',
      'signedUrlBaseUrl: required when signingSecret is set',
    ]);
  });

  it('requires root', () => {
    expect(configError({}).problems).toEqual(['root: required (an absolute folder path)']);
  });

  it('takes pruneEmptyFolders as an optional boolean, off when absent, and refuses anything else', () => {
    const schema = localDriverDefinition.schema;
    expect(parseSettings('local', schema, { root: '/srv/results' }).pruneEmptyFolders).toBeUndefined();
    expect(parseSettings('local', schema, { root: '/srv/results', pruneEmptyFolders: true }).pruneEmptyFolders).toBe(
      true,
    );
    expect(configError({ root: '/srv/results', pruneEmptyFolders: 'yes' }).problems).toEqual([
      'pruneEmptyFolders: must be true or false',
    ]);
  });

  it('requires signingSecret when signedUrlBaseUrl is set', () => {
    expect(configError({ root: '/srv/results', signedUrlBaseUrl: 'https://app.example/files' }).problems).toEqual([
      'signingSecret: required when signedUrlBaseUrl is set',
    ]);
  });

  it('never echoes the signing secret in errors', () => {
    const error = configError({ root: 'relative', signingSecret: `${SECRET}\n`, signedUrlBaseUrl: 'ftp://x' });
    expect(error.message).not.toContain(SECRET);
    expect(JSON.stringify(error)).not.toContain(SECRET);
  });

  it('keeps the secret out of the driver object and its capabilities follow the settings', () => {
    const plain = createLocalDriver({ root: '/srv/results' });
    expect(plain.capabilities).toEqual({ publicUrls: false, presignedUrls: false, incompleteUploads: false });
    const full = createLocalDriver({
      root: '/srv/results',
      publicBaseUrl: 'https://cdn.example.com/r',
      signingSecret: SECRET,
      signedUrlBaseUrl: 'https://app.example/files',
    });
    expect(full.capabilities).toEqual({ publicUrls: true, presignedUrls: true, incompleteUploads: false });
    expect(JSON.stringify(full)).not.toContain(SECRET);
    expect(Object.values(full).map(String).join(' ')).not.toContain(SECRET);
    expect(full.publicUrl('a b/c+d.png')).toBe('https://cdn.example.com/r/a%20b/c%2Bd.png');
  });

  it('caps presigned expiry at 7 days and refuses an expiry under one second', async () => {
    const driver = createLocalDriver({
      root: '/srv/results',
      signingSecret: SECRET,
      signedUrlBaseUrl: 'https://app.example/files',
    });
    const signed = await driver.presignGet('a.png', { expiresIn: 30 * 24 * 3600 });
    expect(signed.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(7 * 24 * 3600 * 1000);
    expect(signed.expiresAt.getTime() - Date.now()).toBeGreaterThan(7 * 24 * 3600 * 1000 - 5000);
    await expectStorageError(driver.presignGet('a.png', { expiresIn: 0 }), ErrorCode.InvalidInput);
    await expectStorageError(
      driver.presignPut('a.png', { contentType: 'image/png', contentLength: -1 }),
      ErrorCode.InvalidInput,
    );
  });
});

describe('probe', () => {
  it('reports a missing root at the connect step as BUCKET_NOT_FOUND, naming the folder', async () => {
    const report = await createLocalDriver({ root: '/nonexistent/stowage-root' }).probe();
    expect(report.ok).toBe(false);
    expect(report.failedStep).toBe('connect');
    expect(report.code).toBe(ErrorCode.BucketNotFound);
    expect(report.message).toContain('root directory "/nonexistent/stowage-root" does not exist');
  });
});

/**
 * A secret pasted into another field is scrubbed wherever it travels: in
 * another letter case (URL parsing lower-cases host names, so an S3 error
 * names "wj8kx2...invalid", not the secret as typed) and URL-encoded. Checked
 * through the S3 driver's own errors and through the registry (views, test
 * connection, fallback reasons, logs) with a real JSON settings file.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createS3Driver, minioDriverDefinition } from '../packages/driver-s3/src/index.js';
import { ErrorCode, type Logger, redactSecrets, redactSettings } from '../packages/storage-core/src/index.js';
import { workspaceForEachTest } from './support/fixture.js';

/** Mixed case, as real keys are: pasted into a host name it comes back lower-cased. */
const HOST_SECRET = 'Wj8Kx2PqR7zLm4NbQ1';
/** With "/", "+" and "=", as AWS secret keys have: pasted into a URL it comes back percent-encoded. */
const SLASHED_SECRET = 'aB3/dE+fG9=hI0jK1lM2';

function expectScrubbed(text: string, secrets: readonly string[]): void {
  const lower = text.toLowerCase();
  for (const secret of secrets) {
    for (const form of [secret, encodeURIComponent(secret), encodeURIComponent(secret).toLowerCase()]) {
      expect(lower).not.toContain(form.toLowerCase());
    }
  }
}

describe('redactSecrets', () => {
  it('scrubs a secret as given, in any case and URL-encoded', () => {
    const text = [
      `as given ${HOST_SECRET}`,
      `host ${HOST_SECRET.toLowerCase()}.invalid`,
      `upper ${HOST_SECRET.toUpperCase()}`,
      `path /${encodeURIComponent(SLASHED_SECRET)}`,
      `lower-hex /${encodeURIComponent(SLASHED_SECRET).toLowerCase()}`,
      `uri /${encodeURI(SLASHED_SECRET)}`,
    ].join('\n');
    const scrubbed = redactSecrets(text, [HOST_SECRET, SLASHED_SECRET, '', undefined]);
    expectScrubbed(scrubbed, [HOST_SECRET, SLASHED_SECRET]);
    expect(scrubbed.match(/\[redacted\]/g)).toHaveLength(6);
    expect(scrubbed).toContain('host [redacted].invalid');
  });

  it('scrubs secrets out of the other fields of settings for logs', () => {
    const settings = { endpoint: `https://${HOST_SECRET.toLowerCase()}.invalid`, secretAccessKey: HOST_SECRET };
    expect(redactSettings(settings, ['secretAccessKey'])).toEqual({
      endpoint: 'https://[redacted].invalid',
      secretAccessKey: '[redacted]',
    });
  });
});

describe('a secret pasted into the endpoint host', () => {
  it('never appears in the S3 driver errors, although the host comes back lower-cased', async () => {
    const driver = createS3Driver({
      provider: 'minio',
      endpoint: `http://${HOST_SECRET}.invalid`,
      bucket: 'media',
      accessKeyId: 'AKID',
      secretAccessKey: HOST_SECRET,
      retries: 0,
    });
    const error = await driver.stat('a.png').catch((caught: Error) => caught);
    expect(error).toMatchObject({ code: ErrorCode.Unavailable });
    expect((error as Error).message).toContain('ENOTFOUND');
    expectScrubbed((error as Error).message, [HOST_SECRET]);
    const report = await driver.probe();
    expect(report).toMatchObject({ ok: false, failedStep: 'connect' });
    expectScrubbed(report.message, [HOST_SECRET]);
    await driver.close();
  });

  describe('through the registry', () => {
    const ws = workspaceForEachTest();

    it('never appears in views, test connection reports, fallback reasons or logs', async () => {
      const lines: string[] = [];
      const record = (obj: Record<string, unknown>, msg: string) => lines.push(`${msg} ${JSON.stringify(obj)}`);
      const logger: Logger = { info: record, warn: record, error: record };
      const storage = await ws.open({ logger });
      storage.registry.register(minioDriverDefinition);
      const settings = {
        endpoint: `http://${HOST_SECRET}.invalid`,
        bucket: 'media',
        accessKeyId: 'AKID',
        secretAccessKey: HOST_SECRET,
        sessionToken: SLASHED_SECRET,
        publicBaseUrl: `https://cdn.example.com/${encodeURIComponent(SLASHED_SECRET)}`,
        retries: 0,
      };
      const entered = await storage.registry.testConnection('minio', settings);
      expect(entered).toMatchObject({ ok: false, failedStep: 'connect' });
      await storage.registry.saveSettings('minio', settings);
      await storage.registry.enable('minio');
      await storage.registry.setDefault('minio');
      const stored = await storage.registry.testConnection('minio');
      const view = storage.registry.provider('minio');
      expect(view.settings).toMatchObject({
        endpoint: 'http://[redacted].invalid',
        publicBaseUrl: 'https://cdn.example.com/[redacted]',
      });

      await ws.addResult('a.png');
      const outcome = await storage.offload({ path: 'a.png' });
      expect(outcome).toMatchObject({ status: 'local', failedStage: 'upload' });
      await storage.close();

      // The settings file holds the host as typed (it is a plain field); everything shown is scrubbed.
      expect(await readFile(ws.settingsFile, 'utf8')).not.toContain(SLASHED_SECRET);
      for (const text of [
        entered.message,
        stored.message,
        JSON.stringify(storage.registry.providers()),
        JSON.stringify(outcome),
        lines.join('\n'),
      ]) {
        expectScrubbed(text, [HOST_SECRET]);
      }
      expectScrubbed(JSON.stringify(storage.registry.providers()), [SLASHED_SECRET]);
      expectScrubbed(lines.join('\n'), [SLASHED_SECRET]);
    });
  });
});

/**
 * "Test connection" through the JSON API against a real S3 server (MinIO):
 * good settings pass every step; a wrong secret, a missing bucket and an
 * unreachable endpoint come back classified in words an admin acts on, and
 * no answer or log line holds the secret that was typed.
 */

import { createTestBucket, removeTestBucket } from '@stowage/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { type AdminWorld, openAdminWorld } from './support.js';

interface TestAnswer {
  provider: { configured: boolean; secrets: Record<string, { set: boolean }> };
  report: { ok: boolean; failedStep?: string; code?: string; message: string; steps: { step: string }[] };
}

describe('test connection against MinIO', () => {
  const s3 = inject('s3');
  let bucket: string;
  let world: AdminWorld;

  beforeAll(async () => {
    bucket = await createTestBucket(s3, 'admin-probe');
  });
  afterAll(async () => {
    await removeTestBucket(s3, bucket);
  });
  beforeEach(async () => {
    world = await openAdminWorld();
  });
  afterEach(async () => {
    await world.close();
  });

  const settings = (overrides: Record<string, unknown> = {}) => ({
    endpoint: s3.endpoint,
    region: s3.region,
    bucket,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    ...overrides,
  });

  async function test(body: Record<string, unknown>): Promise<{ answer: TestAnswer; text: string }> {
    const response = await world.api('POST', '/api/providers/minio/test', body);
    expect(response.status).toBe(200);
    const text = await response.text();
    return { answer: JSON.parse(text) as TestAnswer, text };
  }

  it('saves, then passes every step with the right settings', async () => {
    const { answer, text } = await test(settings());
    expect(answer.report.ok).toBe(true);
    expect(answer.report.steps.map((step) => step.step)).toEqual(['connect', 'write', 'read', 'compare', 'delete']);
    expect(answer.provider).toMatchObject({ configured: true, secrets: { secretAccessKey: { set: true } } });
    expect(text).not.toContain(s3.secretAccessKey);
  });

  it('says the provider rejected the credentials when the secret is wrong, and never repeats it', async () => {
    const wrong = 'wrong-secret-typed-by-the-admin-0123';
    const { answer, text } = await test(settings({ secretAccessKey: wrong }));
    expect(answer.report).toMatchObject({ ok: false, failedStep: 'connect', code: 'INVALID_CREDENTIALS' });
    expect(answer.report.message).toMatch(
      /the provider rejected the credentials\. Re-check the Access Key ID and Secret Access Key/,
    );
    expect(text).not.toContain(wrong);
    expect(world.logger.lines.join('\n')).not.toContain(wrong);
    expect(world.logger.lines.join('\n')).not.toContain(s3.secretAccessKey);
  });

  it('says the bucket does not exist, and that an endpoint cannot be reached', async () => {
    const missing = await test(settings({ bucket: `${bucket}-missing` }));
    expect(missing.answer.report).toMatchObject({ ok: false, code: 'BUCKET_NOT_FOUND' });
    expect(missing.answer.report.message).toMatch(/the bucket does not exist at this endpoint/);

    const unreachable = await test(settings({ endpoint: 'http://127.0.0.1:9', retries: 0, connectionTimeoutMs: 2000 }));
    expect(unreachable.answer.report).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
    expect(unreachable.answer.report.message).toMatch(/the endpoint could not be reached/);
  });
});

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AnyDriverDefinition, createSecretCipher, type StoredProviderEntry } from '../src/index.js';
import { localProviderView, providerView } from '../src/registry/provider-views.js';

const SECRET = 'secret-that-no-view-may-show-0123';
const cipher = createSecretCipher('views-test-app-key-0123456789abcdefghij');
const definition: AnyDriverDefinition = {
  name: 'r2',
  label: 'Cloudflare R2',
  schema: z.strictObject({ bucket: z.string(), secretAccessKey: z.string(), sessionToken: z.string().optional() }),
  secretFields: ['secretAccessKey', 'sessionToken'],
  fields: [],
  placementFields: ['bucket'],
  create: () => {
    throw new Error('views never build drivers');
  },
};
const entry: StoredProviderEntry = {
  name: 'r2',
  enabled: true,
  deleteLocal: true,
  settings: { bucket: 'media' },
  secrets: { secretAccessKey: cipher.encrypt('r2', 'secretAccessKey', SECRET) },
  updatedAt: '2026-12-01T00:00:00.000Z',
  mac: 'bWFj',
};

describe('provider views', () => {
  it('shows local disk as configured, enabled and rooted where the app put it', () => {
    expect(localProviderView('/srv/results', true)).toEqual({
      name: 'local',
      label: 'Local disk',
      configured: true,
      enabled: true,
      isDefault: true,
      deleteLocal: false,
      settings: { root: '/srv/results' },
      secrets: {},
      problems: [],
      updatedAt: undefined,
    });
  });

  it('shows a stored provider with whether each secret is set, never a secret or its ciphertext', () => {
    const view = providerView({ name: 'r2', definition, entry, isDefault: false, problems: [], secretValues: [] });
    expect(view).toEqual({
      name: 'r2',
      label: 'Cloudflare R2',
      configured: true,
      enabled: true,
      isDefault: false,
      deleteLocal: true,
      settings: { bucket: 'media' },
      secrets: { secretAccessKey: { set: true }, sessionToken: { set: false } },
      problems: [],
      updatedAt: '2026-12-01T00:00:00.000Z',
    });
    const text = JSON.stringify(view);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(entry.secrets.secretAccessKey?.ct);
    expect(text).not.toContain('bWFj');
  });

  it('shows a registered provider without settings as unconfigured, and a stored one without driver by name', () => {
    expect(
      providerView({ name: 'r2', definition, entry: undefined, isDefault: false, problems: [], secretValues: [] }),
    ).toMatchObject({
      configured: false,
      enabled: false,
      settings: {},
      secrets: { secretAccessKey: { set: false }, sessionToken: { set: false } },
    });
    const orphan = providerView({
      name: 'old',
      definition: undefined,
      entry,
      isDefault: true,
      problems: ['p'],
      secretValues: [],
    });
    expect(orphan).toMatchObject({ label: 'old', isDefault: true, secrets: { secretAccessKey: { set: true } } });
    expect(orphan.problems).toEqual(['p']);
  });
});

describe('provider views never show a secret', () => {
  it('scrubs a secret pasted into another field, or named in a problem, in any case or URL-encoded', () => {
    const pasted: StoredProviderEntry = {
      ...entry,
      settings: {
        bucket: 'media',
        endpoint: `https://${SECRET.toLowerCase()}.invalid`,
        note: encodeURIComponent(SECRET),
      },
    };
    const view = providerView({
      name: 'r2',
      definition,
      entry: pasted,
      isDefault: false,
      problems: [`cannot reach ${SECRET.toUpperCase()}.invalid`],
      secretValues: [SECRET],
    });
    expect(view.settings).toEqual({ bucket: 'media', endpoint: 'https://[redacted].invalid', note: '[redacted]' });
    expect(view.problems).toEqual(['cannot reach [redacted].invalid']);
  });

  it('hands out copies: changing a view changes nothing stored', () => {
    const view = providerView({ name: 'r2', definition, entry, isDefault: false, problems: [], secretValues: [] });
    (view.settings as Record<string, unknown>).bucket = 'changed';
    expect(entry.settings.bucket).toBe('media');
  });
});

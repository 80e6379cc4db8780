/**
 * The settings vault on its own: no store, no driver. Definitions here are
 * plain data (a strict zod schema and the secret field names).
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AnyDriverDefinition, ConfigError, ErrorCode, type StoredProviderEntry } from '../src/index.js';
import { type CandidateSettings, SettingsVault, type TrustedEntry, UNSIGNED_TRUST } from '../src/settings/vault.js';

const APP_KEY = 'vault-test-app-key-0123456789abcdefghijkl';
const SECRET = 'the-secret-access-key-0123456789';

const definition: AnyDriverDefinition = {
  name: 's3',
  label: 'S3',
  schema: z.strictObject({
    bucket: z.string({ error: 'required' }).min(3, 'must be at least 3 characters'),
    secretAccessKey: z.string({ error: 'required' }),
    region: z.string().optional(),
  }),
  secretFields: ['secretAccessKey'],
  fields: [],
  placementFields: ['bucket', 'region'],
  create: () => {
    throw new Error('the vault never builds drivers');
  },
};

const nothingStored: TrustedEntry = { entry: undefined, untrustedSecrets: [] };
/** Entry-level tests: a document trust that vouches for every entry (document-level tests are below). */
const ANY = UNSIGNED_TRUST;

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

function stored(vault: SettingsVault, input: Record<string, unknown>, enabled = true): StoredProviderEntry {
  const candidate: CandidateSettings = vault.candidate('s3', definition, input, nothingStored, { encrypt: true });
  return vault.seal('s3', candidate, { enabled });
}

describe('SettingsVault.candidate', () => {
  it('splits plain fields from secrets, encrypts the secrets and takes deleteLocal out', () => {
    const vault = new SettingsVault(APP_KEY);
    const candidate = vault.candidate(
      's3',
      definition,
      { bucket: 'media', secretAccessKey: SECRET, deleteLocal: true },
      nothingStored,
      { encrypt: true },
    );
    expect(candidate.plain).toEqual({ bucket: 'media' });
    expect(candidate.settings).toEqual({ bucket: 'media', secretAccessKey: SECRET });
    expect(candidate.deleteLocal).toBe(true);
    expect(candidate.encrypted.secretAccessKey).toMatchObject({ v: 1, alg: 'aes-256-gcm' });
    expect(JSON.stringify(candidate.encrypted)).not.toContain(SECRET);
    const notEncrypted = vault.candidate(
      's3',
      definition,
      { bucket: 'media', secretAccessKey: SECRET },
      nothingStored,
      {
        encrypt: false,
      },
    );
    expect(notEncrypted.encrypted).toEqual({});
  });

  it('lists every problem at once, unknown fields first, and never an entered value', () => {
    const vault = new SettingsVault(APP_KEY);
    const error = configError(() =>
      vault.candidate('s3', definition, { bucket: 'x', secret_key: SECRET, deleteLocal: 'yes' }, nothingStored, {
        encrypt: true,
      }),
    );
    expect(error.problems).toEqual(['secret_key: unknown setting', 'deleteLocal: must be true or false']);
    const schemaError = configError(() =>
      vault.candidate('s3', definition, { bucket: 'x', secret_key: SECRET }, nothingStored, { encrypt: true }),
    );
    expect(schemaError.problems).toEqual([
      'secret_key: unknown setting',
      'bucket: must be at least 3 characters',
      'secretAccessKey: required',
    ]);
    expect(`${error.message}${schemaError.message}`).not.toContain(SECRET);
    expect(
      configError(() => vault.candidate('s3', definition, [] as never, nothingStored, { encrypt: true })).problems,
    ).toEqual(['settings must be an object']);
  });
});

describe('SettingsVault.candidate with stored settings', () => {
  it('keeps a stored secret left blank, and the stored deleteLocal unless one is given', () => {
    const vault = new SettingsVault(APP_KEY);
    const entry = vault.seal(
      's3',
      vault.candidate(
        's3',
        definition,
        { bucket: 'media', secretAccessKey: SECRET, deleteLocal: true },
        nothingStored,
        {
          encrypt: true,
        },
      ),
      { enabled: true },
    );
    for (const blank of [undefined, null, '', '   ']) {
      const candidate = vault.candidate(
        's3',
        definition,
        { bucket: 'other', secretAccessKey: blank },
        vault.trusted(entry, ANY),
        {
          encrypt: true,
        },
      );
      expect(candidate.settings).toEqual({ bucket: 'other', secretAccessKey: SECRET });
      expect(candidate.encrypted.secretAccessKey).toBe(entry.secrets.secretAccessKey);
      expect(candidate.deleteLocal).toBe(true);
    }
  });

  it('refuses a lenient schema dropping a field, so a typo is never stored in the clear', () => {
    const lenient = { ...definition, schema: z.object({ bucket: z.string(), secretAccessKey: z.string() }) };
    const vault = new SettingsVault(APP_KEY);
    const error = configError(() =>
      vault.candidate('s3', lenient, { bucket: 'media', secretAccessKey: SECRET, Bucket: 'x' }, nothingStored, {
        encrypt: true,
      }),
    );
    expect(error.problems).toEqual(['Bucket: unknown setting']);
  });
});

describe('SettingsVault: stored entries', () => {
  it('opens a sealed entry into the driver settings, and signs every field', () => {
    const vault = new SettingsVault(APP_KEY);
    const entry = stored(vault, { bucket: 'media', secretAccessKey: SECRET, region: 'eu' });
    expect(entry).toMatchObject({
      name: 's3',
      enabled: true,
      deleteLocal: false,
      settings: { bucket: 'media', region: 'eu' },
    });
    expect(entry.mac).toEqual(expect.any(String));
    expect(vault.open('s3', definition, entry, ANY)).toEqual({
      bucket: 'media',
      secretAccessKey: SECRET,
      region: 'eu',
    });
    for (const edited of [
      { ...entry, enabled: false },
      { ...entry, settings: { bucket: 'evil-bucket', region: 'eu' } },
      { ...entry, mac: undefined },
    ]) {
      expect(() => vault.open('s3', definition, edited, ANY)).toThrow(/changed outside Stowage/);
      expect(vault.trusted(edited, ANY)).toMatchObject({ entry: undefined, untrustedSecrets: ['secretAccessKey'] });
    }
  });

  it('will not reuse the secrets of an entry that fails its check: they must be entered again', () => {
    const vault = new SettingsVault(APP_KEY);
    const tampered = { ...stored(vault, { bucket: 'media', secretAccessKey: SECRET }), deleteLocal: true };
    const trusted = vault.trusted(tampered, ANY);
    expect(trusted.problem?.code).toBe(ErrorCode.Misconfigured);
    const error = configError(() =>
      vault.candidate('s3', definition, { bucket: 'media', secretAccessKey: '' }, trusted, { encrypt: true }),
    );
    expect(error.problems).toEqual([expect.stringMatching(/^secretAccessKey: the stored value cannot be trusted/)]);
    const reentered = vault.candidate('s3', definition, { bucket: 'media', secretAccessKey: 'new-secret' }, trusted, {
      encrypt: true,
    });
    expect(reentered.deleteLocal).toBe(false);
  });
});

describe('SettingsVault: keys', () => {
  it('names a wrong application key as the cause, without showing either key', () => {
    const otherKey = 'another-app-key-for-the-vault-0123456789';
    const entry = stored(new SettingsVault(APP_KEY), { bucket: 'media', secretAccessKey: SECRET });
    const other = new SettingsVault(otherKey);
    expect(() => other.open('s3', definition, entry, ANY)).toThrow(/cannot decrypt.*application key is wrong/);
    const error = configError(() =>
      other.candidate('s3', definition, { bucket: 'media' }, { entry, untrustedSecrets: [] }, { encrypt: true }),
    );
    expect(error.problems).toEqual([expect.stringMatching(/^secretAccessKey: the stored value cannot be decrypted/)]);
    expect(error.message).not.toContain(APP_KEY);
    expect(error.message).not.toContain(otherKey);
  });

  it('without an application key: stores no secrets and signs nothing, and says so', () => {
    const vault = new SettingsVault(undefined);
    expect(vault.signs).toBe(false);
    expect(() =>
      vault.candidate('s3', definition, { bucket: 'media', secretAccessKey: SECRET }, nothingStored, { encrypt: true }),
    ).toThrow(/application key is needed/);
    const plain = vault.sign({
      name: 'p',
      enabled: true,
      deleteLocal: false,
      settings: {},
      secrets: {},
      updatedAt: '',
    });
    expect(plain).not.toHaveProperty('mac');
    expect(() => vault.check(plain, ANY)).not.toThrow();
    const signed = new SettingsVault(APP_KEY).sign(plain);
    expect(() => vault.check(signed, ANY)).toThrow(/are signed: an application key is needed/);
  });

  it('refuses a weak application key only when it is used, without echoing it', () => {
    const vault = new SettingsVault('too-short');
    expect(vault.signs).toBe(false);
    let message = '';
    try {
      vault.candidate('s3', definition, { bucket: 'media', secretAccessKey: SECRET }, nothingStored, { encrypt: true });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/at least 32 characters/);
    expect(message).not.toContain('too-short');
  });
});

describe('SettingsVault: the signed document', () => {
  const vault = new SettingsVault(APP_KEY);
  const r2v1 = stored(vault, { bucket: 'old-bucket', secretAccessKey: 'old-secret' });
  const r2v2 = stored(vault, { bucket: 'new-bucket', secretAccessKey: SECRET }, false);
  const cold = { ...stored(vault, { bucket: 'cold', secretAccessKey: SECRET }), name: 'cold' };
  const coldSigned = vault.sign(cold);
  const empty = { revision: 0, defaultBackend: undefined, providers: {} };
  // Revision 1: r2 (v1) enabled; revision 2: r2 replaced by v2 (disabled), cold added, cold the default.
  const rev1 = vault.nextDocument(empty, UNSIGNED_TRUST, { providers: { s3: r2v1 } });
  const rev2 = vault.nextDocument(rev1, vault.verifyDocument(rev1), {
    providers: { s3: r2v2, cold: coldSigned },
    defaultBackend: 'cold',
  });

  it('trusts the default and every entry of a document it signed', () => {
    expect(rev2).toMatchObject({ revision: 2, defaultBackend: 'cold', signature: { entries: { s3: r2v2.mac } } });
    const trust = vault.verifyDocument(rev2);
    expect(trust.defaultProblem).toBeUndefined();
    expect(trust.entryProblem(r2v2)).toBeUndefined();
    expect(trust.entryProblem(coldSigned)).toBeUndefined();
  });

  it('detects an edited default choice and keeps trusting the entries', () => {
    const trust = vault.verifyDocument({ ...rev2, defaultBackend: 's3' });
    expect(trust.defaultProblem?.message).toMatch(/default backend choice .* changed outside Stowage/);
    expect(trust.entryProblem(r2v2)).toBeUndefined();
  });

  it('detects an older, genuinely signed entry copied back, and only that one', () => {
    expect(() => vault.check(r2v1, UNSIGNED_TRUST)).not.toThrow();
    const trust = vault.verifyDocument({ ...rev2, providers: { ...rev2.providers, s3: r2v1 } });
    expect(trust.entryProblem(r2v1)?.message).toMatch(
      /"s3" cannot be trusted: they are not the version Stowage saved last/,
    );
    expect(trust.entryProblem(coldSigned)).toBeUndefined();
    expect(trust.defaultProblem).toBeUndefined();
  });

  it('detects an edited list of entries or revision', () => {
    const signature = rev2.signature as NonNullable<typeof rev2.signature>;
    const list = vault.verifyDocument({
      ...rev2,
      signature: { ...signature, entries: { ...signature.entries, s3: r2v1.mac as string } },
    });
    expect(list.entryProblem(r2v1)?.message).toMatch(/list of provider entries was changed/);
    expect(list.entryProblem(coldSigned)).toBeDefined();
    expect(list.defaultProblem).toBeUndefined();
    const revision = vault.verifyDocument({ ...rev2, revision: 1 });
    expect(revision.defaultProblem).toBeDefined();
    expect(revision.entryProblem(coldSigned)).toBeDefined();
  });

  it('never vouches again for an entry it did not trust, and drops an untrusted default', () => {
    const tampered = { ...rev2, defaultBackend: 's3', providers: { ...rev2.providers, s3: r2v1 } };
    const next = vault.nextDocument(tampered, vault.verifyDocument(tampered), {
      providers: { ...tampered.providers, cold: vault.sign({ ...coldSigned, enabled: false }) },
    });
    const trust = vault.verifyDocument(next);
    expect(next.defaultBackend).toBeUndefined();
    expect(trust.defaultProblem).toBeUndefined();
    expect(trust.entryProblem(r2v1)).toBeDefined();
    expect(trust.entryProblem(next.providers.cold as StoredProviderEntry)).toBeUndefined();
  });

  it('without an application key signs nothing; a signed document then cannot be checked', () => {
    const plain = new SettingsVault(undefined);
    expect(plain.nextDocument(empty, UNSIGNED_TRUST, { defaultBackend: 'x' })).not.toHaveProperty('signature');
    expect(plain.verifyDocument(rev2).defaultProblem?.message).toMatch(/application key is needed/);
    const unsigned = { ...rev2, signature: undefined };
    expect(vault.verifyDocument(unsigned).defaultProblem?.message).toMatch(/carry no signature/);
    expect(vault.verifyDocument(empty).defaultProblem).toBeUndefined();
  });
});

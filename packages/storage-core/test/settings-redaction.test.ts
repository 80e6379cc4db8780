import { describe, expect, it } from 'vitest';
import { isBlankSecret, redactSettings, secretStates, splitSecrets } from '../src/index.js';

describe('settings redaction', () => {
  it('treats missing, null, empty and blank strings as "leave the stored secret"', () => {
    expect([undefined, null, '', '   '].map(isBlankSecret)).toEqual([true, true, true, true]);
    expect(['x', 0, false].map(isBlankSecret)).toEqual([false, false, false]);
  });

  it('splits entered settings into plain fields and the secrets actually given', () => {
    expect(
      splitSecrets({ bucket: 'media', secretAccessKey: 'shh', sessionToken: '', region: undefined }, [
        'secretAccessKey',
        'sessionToken',
      ]),
    ).toEqual({ plain: { bucket: 'media' }, secrets: { secretAccessKey: 'shh' } });
  });

  it('says whether each secret is set, never its value', () => {
    const states = secretStates(['secretAccessKey', 'sessionToken'], { secretAccessKey: { ct: 'opaque' } });
    expect(states).toEqual({ secretAccessKey: { set: true }, sessionToken: { set: false } });
  });

  it('replaces secret values for logs', () => {
    expect(redactSettings({ bucket: 'media', secretAccessKey: 'shh' }, ['secretAccessKey'])).toEqual({
      bucket: 'media',
      secretAccessKey: '[redacted]',
    });
  });
});

import { describe, expect, it } from 'vitest';
import { type SettingsField, settingsFieldsProblems } from '../src/index.js';

const text = (name: string, overrides: Partial<SettingsField> = {}): SettingsField =>
  ({
    name,
    label: name,
    kind: 'text',
    help: `the ${name}`,
    required: false,
    placeholder: '',
    section: 'connection',
    ...overrides,
  }) as SettingsField;

describe('settingsFieldsProblems', () => {
  it('accepts well-formed fields', () => {
    expect(
      settingsFieldsProblems({
        secretFields: ['secret'],
        fields: [text('bucket'), text('secret', { kind: 'secret' })],
      }),
    ).toEqual([]);
  });

  it('names every problem: duplicates, missing label and help, a select without options, secrets shown in the clear', () => {
    expect(
      settingsFieldsProblems({
        secretFields: ['secretAccessKey'],
        fields: [
          text('bucket'),
          text('bucket'),
          text('region', { label: ' ', help: '' }),
          { ...text('acl'), kind: 'select', options: [] } as SettingsField,
          text('secretAccessKey'),
          text('token', { kind: 'secret' }),
          text('', { help: '' }),
        ],
      }),
    ).toEqual([
      'fields.bucket: listed twice',
      'fields.region: needs a label',
      'fields.region: needs a help text',
      'fields.acl: a select needs at least one option',
      'fields.secretAccessKey: is in secretFields, so its kind is "secret"',
      'fields.token: is a secret but not in secretFields',
      'fields[6]: needs a name',
      'fields[6]: needs a label',
      'fields[6]: needs a help text',
    ]);
  });

  it('refuses fields that are not an array', () => {
    expect(settingsFieldsProblems({ secretFields: [], fields: undefined as never })).toEqual([
      'fields: must be an array of settings fields',
    ]);
  });
});

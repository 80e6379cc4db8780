/**
 * Every driver definition describes its admin screen: each field it lists is
 * a setting its schema really checks (a value of the wrong type is refused at
 * that field), secrets are of kind "secret", selects have options, and the
 * R2 screen has the R2 guide's fields in the guide's order.
 */
import { describe, expect, it } from 'vitest';
import { localDriverDefinition } from '../packages/driver-local/src/index.js';
import { memoryDriverDefinition } from '../packages/driver-memory/src/index.js';
import { r2DriverDefinition } from '../packages/driver-r2/src/index.js';
import { minioDriverDefinition, S3_PRESETS, s3DriverDefinitions } from '../packages/driver-s3/src/index.js';
import {
  type AnyDriverDefinition,
  type SettingsField,
  settingsFieldsProblems,
} from '../packages/storage-core/src/index.js';

const DEFINITIONS: readonly AnyDriverDefinition[] = [
  localDriverDefinition,
  memoryDriverDefinition,
  r2DriverDefinition,
  ...s3DriverDefinitions,
];

/** A value the field's kind never accepts. */
function wrongValue(field: SettingsField): unknown {
  switch (field.kind) {
    case 'boolean':
      return 'not a boolean';
    case 'number':
      return 'not a number';
    case 'select':
      return 'not-one-of-the-options';
    default:
      return 12345;
  }
}

describe.each(DEFINITIONS.map((definition) => [definition.name, definition] as const))(
  'the settings fields of "%s"',
  (_name, definition) => {
    it('are well formed: names once, labels and help, select options, secrets of kind "secret"', () => {
      expect(definition.fields.length).toBeGreaterThan(0);
      expect(settingsFieldsProblems(definition)).toEqual([]);
    });

    it.each(definition.fields.map((field) => [field.name, field] as const))(
      '"%s" is a setting the schema checks',
      (name, field) => {
        const result = definition.schema.safeParse({ [name]: wrongValue(field) });
        expect(result.success).toBe(false);
        const paths = result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
        expect(paths).toContain(name);
      },
    );

    it.each(definition.fields.filter((field) => field.kind === 'select').map((field) => [field.name, field] as const))(
      'every option of "%s" is a value the schema accepts there',
      (name, field) => {
        if (field.kind !== 'select') throw new Error('unreachable');
        for (const option of field.options) {
          const result = definition.schema.safeParse({ [name]: option.value });
          const paths = result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
          expect(paths).not.toContain(name);
        }
      },
    );
  },
);

describe('the screens admins expect', () => {
  it('R2 shows the guide’s fields in its order, and no region', () => {
    expect(r2DriverDefinition.fields.map((field) => field.label)).toEqual([
      'Access Key ID',
      'Secret Access Key',
      'Account ID',
      'Bucket',
      'Custom Endpoint',
      'Jurisdiction',
      'Public / CDN URL',
      'Key Prefix',
      'Use path-style endpoint',
      'Part size (bytes)',
    ]);
    const secret = r2DriverDefinition.fields.find((field) => field.name === 'secretAccessKey');
    expect(secret).toMatchObject({ kind: 'secret', required: true });
    expect(secret?.help).toMatch(/leave blank on later edits to keep/);
  });

  it('a preset’s path-style default is the preset’s, so an untouched checkbox keeps the driver’s behaviour', () => {
    const pathStyle = minioDriverDefinition.fields.find((field) => field.name === 'forcePathStyle');
    expect(pathStyle).toMatchObject({ kind: 'boolean', default: S3_PRESETS.minio.forcePathStyle });
    expect(minioDriverDefinition.fields.find((field) => field.name === 'endpoint')).toMatchObject({ required: true });
  });

  it('presets without object ACLs offer no ACL field', () => {
    for (const definition of s3DriverDefinitions) {
      const preset = S3_PRESETS[definition.name as keyof typeof S3_PRESETS];
      const hasAcl = definition.fields.some((field) => field.name === 'acl');
      expect(hasAcl, definition.name).toBe(preset === undefined || preset.supportsAcl);
    }
  });
});

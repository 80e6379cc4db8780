import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ErrorCode } from '../src/index.js';
import { type AnyDriverDefinition, DriverCatalogue, unregisteredBackend } from '../src/registry/definitions.js';

const definition: AnyDriverDefinition = {
  name: 'archive',
  label: 'Archive',
  schema: z.strictObject({ root: z.string() }),
  secretFields: [],
  fields: [],
  placementFields: ['root'],
  create: () => {
    throw new Error('the catalogue never builds drivers');
  },
};

describe('DriverCatalogue', () => {
  it('registers a definition under its own name and under other names, in order', () => {
    const catalogue = new DriverCatalogue();
    catalogue.register(definition);
    catalogue.register(definition, 'nas');
    expect(catalogue.names()).toEqual(['archive', 'nas']);
    expect(catalogue.get('nas')).toBe(definition);
    expect(catalogue.has('cold')).toBe(false);
  });

  it('refuses bad, taken and reserved names, and definitions that cannot build a driver', () => {
    const catalogue = new DriverCatalogue();
    catalogue.register(definition);
    expect(() => catalogue.register(definition)).toThrow(/already registered as "archive"/);
    expect(() => catalogue.register(definition, 'Not Valid')).toThrow(/invalid backend name/);
    expect(() => catalogue.register(definition, 'local')).toThrow(/reserved.*name of its own/);
    expect(() => catalogue.register({ ...definition, create: undefined } as never, 'other')).toThrow(
      /needs a schema and a create function/,
    );
    for (const name of ['Not Valid', 'local', 'other']) expect(catalogue.has(name)).toBe(false);
    try {
      catalogue.register(definition, 'local');
    } catch (error) {
      expect(error).toMatchObject({ code: ErrorCode.InvalidInput });
    }
  });

  it('names an unregistered backend with one error: MISCONFIGURED, with the name in details', () => {
    const catalogue = new DriverCatalogue();
    expect(() => catalogue.require('r2')).toThrow('no driver is registered as "r2"');
    expect(unregisteredBackend('r2')).toMatchObject({ code: ErrorCode.Misconfigured, details: { backend: 'r2' } });
  });
});

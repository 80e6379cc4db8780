import { z } from 'zod';

/**
 * Settings of the memory driver as the registry stores them. `bucket` names
 * the in-process bucket the objects live in, so a driver the registry
 * rebuilds (after a settings edit) finds the objects it stored before.
 */
export const memoryDriverSettingsSchema = z.strictObject({
  /** Name of the in-process bucket. Default "default". */
  bucket: z
    .string({ error: 'must be a string' })
    .regex(/^[a-z0-9][a-z0-9.-]{0,62}$/, 'must be 1 to 63 lower-case letters, digits, "." or "-"')
    .optional(),
  /** Base URL for `publicUrl()`, as a CDN in front of the bucket would have. */
  publicBaseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
});

/** Validated memory driver settings. */
export type MemoryDriverSettings = z.infer<typeof memoryDriverSettingsSchema>;

import { isAbsolute } from 'node:path';
import { z } from 'zod';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/**
 * Settings of the local driver. `signingSecret` and `signedUrlBaseUrl` go
 * together: with both, presigned URLs are offered (served by
 * `createLocalFileHandler` mounted at `signedUrlBaseUrl`). A field it does
 * not declare is refused ("unknown setting"), never silently dropped.
 */
export const localDriverSettingsSchema = z
  .strictObject({
    /** Absolute path of the folder that holds the objects. */
    root: z
      .string({ error: 'required (an absolute folder path)' })
      .min(1, 'required (an absolute folder path)')
      .refine((value) => isAbsolute(value), 'must be an absolute path')
      .refine((value) => !value.includes('\u0000'), 'must not contain a NUL character'),
    /** Create the root folder when it is missing (default false: a missing root is reported). */
    createRoot: z.boolean({ error: 'must be true or false' }).optional(),
    /** Base URL under which the root is served publicly (CDN or static file server). */
    publicBaseUrl: httpUrl.optional(),
    /** HMAC key for presigned URLs; at least 32 characters. A secret: never logged or returned. */
    signingSecret: z.string({ error: 'must be a string' }).min(32, 'must be at least 32 characters').optional(),
    /** Where the app mounts `createLocalFileHandler`, e.g. https://app.example/files. */
    signedUrlBaseUrl: httpUrl.optional(),
    /**
     * Remove folders left empty by deletes, moves and failed writes, as object
     * stores have no folders (default false). Keep it off when anything else
     * writes into the root with `mkdir -p` + write (the media platform's
     * generators do): a folder removed between those two steps makes the write
     * fail. The driver's own folders (`.stowage-meta`, `.stowage-probe`) are pruned either way.
     */
    pruneEmptyFolders: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .superRefine((settings, ctx) => {
    if (settings.signingSecret !== undefined && settings.signedUrlBaseUrl === undefined) {
      ctx.addIssue({ code: 'custom', path: ['signedUrlBaseUrl'], message: 'required when signingSecret is set' });
    }
    if (settings.signedUrlBaseUrl !== undefined && settings.signingSecret === undefined) {
      ctx.addIssue({ code: 'custom', path: ['signingSecret'], message: 'required when signedUrlBaseUrl is set' });
    }
  });

/** Validated local driver settings. */
export type LocalDriverSettings = z.infer<typeof localDriverSettingsSchema>;

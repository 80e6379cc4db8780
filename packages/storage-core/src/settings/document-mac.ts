/**
 * Tamper and replay detection for the settings document as a whole. An entry's
 * own MAC (entry-mac.ts) proves Stowage wrote that content, not that it is the
 * current content: an older, genuinely signed entry could be copied back into
 * the file (a disabled provider's previous, enabled entry; old credentials),
 * and the default choice is in no entry at all. So the registry also signs the
 * document, bound to its revision (every change bumps it), with a key of its
 * own derived from the application key:
 *
 * - `defaultBackend`: HMAC over { revision, defaultBackend };
 * - `entries`: the MAC of every provider entry the registry vouches for, and
 *   `providers`: HMAC over { revision, entries }.
 *
 * Signed apart, an edited default leaves the entries trusted, and a replayed
 * entry (its MAC is not the one listed) leaves the default and the other
 * entries trusted. Editing the list or the revision breaks its signature.
 * A whole older file, signatures and all, is a consistent past state: telling
 * it from the current one would need state kept outside the file.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from './entry-mac.js';
import type { DocumentSignature, SettingsDocument } from './store.js';

const HKDF_INFO = 'stowage/settings-document-mac/v1';
const HKDF_SALT = 'stowage/settings-document';

/** What a document's signature vouches for. */
interface DocumentVerdict {
  /** The default choice is the one the registry signed at this revision. */
  readonly defaultSigned: boolean;
  /** The entry MACs signed at this revision, by provider name; undefined when that list's signature fails. */
  readonly entryMacs: Readonly<Record<string, string>> | undefined;
}

/** Signs and verifies settings documents with one application key. */
export interface DocumentSigner {
  /** The signature of `document`, vouching for the entries named in `vouched`. */
  sign(document: SettingsDocument, vouched: readonly string[]): DocumentSignature;
  /** What `document.signature` vouches for; nothing for a missing or malformed signature. */
  verify(document: SettingsDocument): DocumentVerdict;
}

/** Builds a signer from an application key that `createSecretCipher` already accepted. */
export function createDocumentSigner(appKey: string): DocumentSigner {
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(appKey, 'utf8'), HKDF_SALT, HKDF_INFO, 32));
  const mac = (content: unknown): string => createHmac('sha256', key).update(canonicalJson(content)).digest('base64');
  const defaultMac = (document: SettingsDocument): string =>
    mac({ part: 'defaultBackend', revision: document.revision, defaultBackend: document.defaultBackend ?? null });
  const providersMac = (revision: number, entries: Readonly<Record<string, string>>): string =>
    mac({ part: 'providers', revision, entries });
  return {
    sign(document, vouched) {
      const entries: Record<string, string> = {};
      for (const name of vouched) {
        const entryMac = document.providers[name]?.mac;
        if (typeof entryMac === 'string') entries[name] = entryMac;
      }
      return { defaultBackend: defaultMac(document), entries, providers: providersMac(document.revision, entries) };
    },
    verify(document) {
      const signature = document.signature as Partial<DocumentSignature> | undefined;
      const entries = signature?.entries;
      const entriesValid =
        typeof entries === 'object' &&
        entries !== null &&
        Object.values(entries).every((value) => typeof value === 'string');
      return {
        defaultSigned: equalMacs(signature?.defaultBackend, defaultMac(document)),
        entryMacs:
          entriesValid && equalMacs(signature?.providers, providersMac(document.revision, entries))
            ? entries
            : undefined,
      };
    },
  };
}

function equalMacs(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given, 'base64');
  const b = Buffer.from(expected, 'base64');
  return a.length === b.length && timingSafeEqual(a, b);
}

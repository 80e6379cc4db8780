/**
 * What a loaded settings document's signature lets the registry trust: the
 * default choice, and which provider entries are the versions Stowage last
 * vouched for (an older entry copied back, or one added by hand, is not).
 * Without an application key nothing is signed, and a signed document cannot
 * be checked.
 */
import { ErrorCode, StorageError } from '../errors.js';
import type { DocumentSigner } from './document-mac.js';
import type { SettingsDocument, StoredProviderEntry } from './store.js';

/** What a loaded document's signature lets the registry trust (see `SettingsVault.verifyDocument`). */
export interface DocumentTrust {
  /** Why the default choice cannot be trusted; undefined when it can. */
  readonly defaultProblem: StorageError | undefined;
  /** Why `entry` is not the one the registry last vouched for; undefined when it is. */
  entryProblem(entry: StoredProviderEntry): StorageError | undefined;
}

/** A document's trust when nothing is signed: no application key, or nothing saved yet. */
export const UNSIGNED_TRUST: DocumentTrust = { defaultProblem: undefined, entryProblem: () => undefined };

/** The trust of `document` under `signer` (undefined without an application key; `keyProblem` when the key was refused). */
export function documentTrust(
  signer: DocumentSigner | undefined,
  keyProblem: StorageError | undefined,
  document: SettingsDocument,
): DocumentTrust {
  if (!signer) {
    if (document.signature === undefined) return UNSIGNED_TRUST;
    const problem =
      keyProblem ?? unsignedProblem('the settings are signed: an application key is needed to check them');
    return { defaultProblem: problem, entryProblem: () => problem };
  }
  if (document.signature === undefined) {
    if (document.defaultBackend === undefined && Object.keys(document.providers).length === 0) return UNSIGNED_TRUST;
    return {
      defaultProblem: unsignedProblem(
        'the settings carry no signature (saved without an application key or by an older Stowage, or the signature was removed): the default backend choice is not trusted; choose it again',
      ),
      entryProblem: (entry) => notVouched(entry.name, 'the settings carry no signature'),
    };
  }
  const verdict = signer.verify(document);
  const { entryMacs } = verdict;
  return {
    defaultProblem: verdict.defaultSigned ? undefined : changedDefault(),
    entryProblem: (entry) => {
      if (!entryMacs)
        return notVouched(
          entry.name,
          'the list of provider entries was changed outside Stowage, or the app key is wrong',
        );
      if (typeof entry.mac === 'string' && entryMacs[entry.name] === entry.mac) return undefined;
      return notVouched(
        entry.name,
        'they are not the version Stowage saved last (an older copy was restored, or the entry was added outside Stowage)',
      );
    },
  };
}

function unsignedProblem(message: string): StorageError {
  return new StorageError(ErrorCode.Misconfigured, message);
}

function changedDefault(): StorageError {
  return new StorageError(
    ErrorCode.Misconfigured,
    'the default backend choice in the settings was changed outside Stowage, or the app key is wrong; new results go to local disk until the default is chosen again',
  );
}

function notVouched(name: string, why: string): StorageError {
  return new StorageError(
    ErrorCode.Misconfigured,
    `settings for "${name}" cannot be trusted: ${why}; save them again to trust them`,
    { details: { backend: name } },
  );
}

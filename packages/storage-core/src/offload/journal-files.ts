/**
 * What the offload journal records of a result's files: the records it writes
 * while the files are still local, and the checks on what a record already
 * holds (the very same unchanged files; the keys an abandoned attempt chose).
 */
import type { ResultFile, ResultRecord } from '../catalog/types.js';
import { sameFileIdentity } from '../file-source.js';
import type { JournalFile } from './journal-types.js';

/** The files as a record holds them while they are on the results disk (key = path). */
export function localFiles(files: readonly JournalFile[]): ResultFile[] {
  return files.map((file) => ({
    name: file.name,
    path: file.opened.path,
    key: file.opened.path,
    size: file.opened.size,
    sha256: undefined,
    contentType: file.contentType,
    identity: file.opened.identity,
  }));
}

/**
 * The keys an abandoned offload of these very files chose in this target (its
 * intent is still on the record, e.g. after a lost answer): a retry keeps
 * them even if the key template changed since, so nothing that attempt may
 * have stored is left behind at a key no intent names.
 */
export function pinnedKeys(
  record: ResultRecord,
  files: readonly JournalFile[],
  targetId: string,
): readonly string[] | undefined {
  const intent = record.intent;
  if (intent?.kind !== 'offload' || intent.targetId !== targetId || intent.keys?.length !== files.length) {
    return undefined;
  }
  return sameFiles(record, files) ? intent.keys : undefined;
}

/** The record holds these very files: same names, paths and unchanged local files. */
export function sameFiles(record: ResultRecord, files: readonly JournalFile[]): boolean {
  return (
    record.files.length === files.length &&
    record.files.every((file, index) => {
      const opened = files[index];
      return (
        opened !== undefined &&
        file.name === opened.name &&
        file.path === opened.opened.path &&
        file.identity !== undefined &&
        sameFileIdentity(file.identity, opened.opened.identity)
      );
    })
  );
}

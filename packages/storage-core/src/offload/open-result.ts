import { resolveContentType } from '../content-type.js';
import type { JournalFile } from './journal-types.js';
import type { PlacedFile } from './outcome.js';
import { openResultFile } from './result-file.js';
import type { OffloadInput } from './types.js';
import { variantsOf } from './validate-input.js';

/**
 * Opens the original and every variant of a validated input through the
 * results disk's containment rule; throws (closing what it opened) when one
 * is missing or not a regular file inside the root.
 */
export async function openResult(root: string, input: OffloadInput): Promise<JournalFile[]> {
  const specs = [
    { name: '', path: input.path, contentType: resolveContentType(input.path, input.contentType) },
    ...variantsOf(input).map((variant) => ({
      name: variant.name,
      path: variant.path,
      contentType: resolveContentType(variant.path, variant.contentType),
    })),
  ];
  const files: JournalFile[] = [];
  try {
    for (const spec of specs) files.push({ ...spec, opened: await openResultFile(root, spec.path) });
  } catch (error) {
    await closeResult(files);
    throw error;
  }
  return files;
}

/** Closes the handles `openResult` opened. */
export async function closeResult(files: readonly JournalFile[]): Promise<void> {
  await Promise.all(files.map((file) => file.opened.handle.close().catch(() => undefined)));
}

/** The result's files as they are on local disk, for outcomes of results that stay there. */
export function placedLocally(files: readonly JournalFile[]): PlacedFile[] {
  return files.map((file) => ({
    name: file.name,
    path: file.opened.path,
    key: file.opened.path,
    size: file.opened.size,
    sha256: undefined,
  }));
}

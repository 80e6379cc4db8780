import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** Every file and folder under `dir` as paths relative to it, sorted; folders end with "/". */
export async function treeOf(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (current: string) => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        found.push(`${relative(dir, path)}/`);
        await walk(path);
      } else {
        found.push(relative(dir, path));
      }
    }
  };
  await walk(dir);
  return found.sort();
}

/** Every file (not folder) under `dir`, as in treeOf. */
export async function filesUnder(dir: string): Promise<string[]> {
  return (await treeOf(dir)).filter((path) => !path.endsWith('/'));
}

/**
 * Every reference in the code to the architecture notes resolves: a
 * `docs/architecture.md, "<section>"` names a section that exists, and nothing
 * cites notes that are not in the repository (DESIGN.md, field notes).
 */
import { globSync, readFileSync, statSync } from 'node:fs';
import { expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const SOURCES = globSync(
  [
    'packages/*/src/**/*.ts',
    'packages/*/test/**/*.ts',
    'tests/**/*.ts',
    'examples/**/*.mjs',
    'bench/src/**/*.ts',
    'scripts/**/*',
  ],
  {
    cwd: root,
    exclude: (name) => name.includes('node_modules') || name.includes('/dist/'),
  },
).filter((file) => statSync(`${root}${file}`).isFile() && !file.endsWith('tests/doc-references.test.ts'));

it('resolves every docs/architecture.md section a comment names', () => {
  const sections = new Set(
    readFileSync(`${root}docs/architecture.md`, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('## '))
      .map((line) => line.slice(3).trim()),
  );
  const references: string[] = [];
  for (const file of SOURCES) {
    const text = readFileSync(`${root}${file}`, 'utf8').replace(/\n\s*\*\s*/g, ' ');
    for (const match of text.matchAll(/docs\/architecture\.md, "([^"]+)"/g)) {
      references.push(match[1] as string);
      expect(sections, `${file}: "${match[1]}"`).toContain(match[1]);
    }
  }
  expect(references.length).toBeGreaterThan(0);
});

it('cites no notes that are not in the repository', () => {
  const offenders = SOURCES.filter((file) =>
    /DESIGN\.md|FIELD[- _]NOTES/i.test(readFileSync(`${root}${file}`, 'utf8')),
  );
  expect(offenders).toEqual([]);
});

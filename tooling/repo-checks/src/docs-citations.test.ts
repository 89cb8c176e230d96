/**
 * Every document a file of this repository cites must be one a reader can
 * open: a `docs/<file>.md#<heading>` that exists, or a public source. The
 * scan covers every tracked text file (`git ls-files`) except the lockfile,
 * `node_modules` and `dist`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findDocsCitations, findForbiddenCitations, headingSlugs, slugOf } from './docs-citations.js';

const root = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: dirname(fileURLToPath(import.meta.url)), encoding: 'utf8' }).trim();
const self = relative(root, fileURLToPath(import.meta.url));
const checker = relative(root, fileURLToPath(new URL('./docs-citations.ts', import.meta.url)));

function trackedTextFiles(): Array<{ path: string; text: string }> {
  const paths = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0');
  const out: Array<{ path: string; text: string }> = [];
  for (const path of paths) {
    if (path === '' || path === 'pnpm-lock.yaml' || /(^|\/)(node_modules|dist)\//.test(path)) continue;
    const abs = join(root, path);
    if (!existsSync(abs)) continue; // deleted in the working tree, not yet committed
    const bytes = readFileSync(abs);
    if (bytes.includes(0)) continue; // binary
    out.push({ path, text: bytes.toString('utf8') });
  }
  return out;
}

const slugCache = new Map<string, Set<string> | undefined>();
function slugsOf(repoPath: string): Set<string> | undefined {
  if (!slugCache.has(repoPath)) {
    const abs = join(root, repoPath);
    slugCache.set(repoPath, existsSync(abs) ? headingSlugs(readFileSync(abs, 'utf8')) : undefined);
  }
  return slugCache.get(repoPath);
}

describe('the citation checker', () => {
  it('makes GitHub slugs: lowercase, punctuation dropped, spaces to -, inline code and links reduced to text', () => {
    expect(slugOf('Numbers and addresses')).toBe('numbers-and-addresses');
    expect(slugOf('`vcm.h` mapping')).toBe('vcmh-mapping');
    expect(slugOf('The TTBR split')).toBe('the-ttbr-split');
    expect(slugOf('Seed 004, step 7: 8*SZ_64K vs 2*SZ_64K')).toBe('seed-004-step-7-8sz_64k-vs-2sz_64k');
    expect(slugOf('[Compat](api.md) layer')).toBe('compat-layer');
  });

  it('numbers repeated headings -1, -2 and ignores headings inside code fences', () => {
    const slugs = headingSlugs('# A\n## Errors\ntext\n## Errors\n```md\n## Hidden\n```\n## Errors\nSetext\n---\n');
    expect([...slugs]).toEqual(['a', 'errors', 'errors-1', 'errors-2', 'setext']);
  });

  it('finds docs/ citations with and without a heading, in code and in Markdown links', () => {
    const found = findDocsCitations('// see docs/rules.md#atomicity and docs/api.md.\n[x](../../docs/hardware.md#the-cpu) [y](decisions.md#z) [z](https://e.org/a.md)', true);
    expect(found.map((c) => [c.line, c.target, c.slug, c.relative])).toEqual([
      [1, 'docs/rules.md', 'atomicity', false],
      [1, 'docs/api.md', undefined, false],
      [2, '../../docs/hardware.md', 'the-cpu', true],
      [2, 'decisions.md', 'z', true],
    ]);
  });

  it('flags the old design notes, numbered rules, issues and acceptance points, but not ordinary English or docs/api.md', () => {
    const docs = new Set(['api.md', 'rules.md']);
    const text = [
      '/** (ARCHITECTURE.md rule 2) */', // two hits
      '// the rules of docs/api.md; an issue with the API; docs/rules.md#errors',
      '* refused by architecture rule', // wraps: "rule" then the number on the next line
      ' * 6, say',
      "describe('acceptance 3: faults')",
      'see https://github.com/o/r/issues/12 and the Steering group',
    ].join('\n');
    const hits = findForbiddenCitations('packages/x/src/a.ts', text, docs);
    expect(hits.map((h) => [h.line, h.match])).toEqual([
      [1, 'ARCHITECTURE.md'],
      [1, 'rule 2'],
      [3, 'rule * 6'],
      [5, 'acceptance 3'],
      [6, 'Steering'],
    ]);
    expect(findForbiddenCitations('docs/README.md', '[API](api.md#objects)', docs)).toEqual([]);
    expect(findForbiddenCitations('README.md', 'see API.md', docs)).toHaveLength(1);
  });
});

describe('citations in the repository', () => {
  const files = trackedTextFiles();
  const docsFiles = new Set(existsSync(join(root, 'docs')) ? readdirSync(join(root, 'docs')).map((f) => f.toLowerCase()) : []);

  it('scans the tracked files (the root README among them)', () => {
    expect(files.some((f) => f.path === 'README.md')).toBe(true);
    expect(files.length).toBeGreaterThan(100);
  });

  it('every docs/<file>.md and docs/<file>.md#<slug> citation names an existing file and a heading of it', () => {
    const broken: string[] = [];
    for (const { path, text } of files) {
      if (path === self) continue; // its examples are synthetic
      for (const c of findDocsCitations(text, path.endsWith('.md'))) {
        const target = normalize(c.relative ? join(dirname(path), c.target) : c.target);
        const slugs = slugsOf(target);
        if (!slugs) broken.push(`${path}:${c.line}: ${c.target} does not exist (${target})`);
        else if (c.slug !== undefined && !slugs.has(c.slug)) {
          broken.push(`${path}:${c.line}: ${c.target}#${c.slug}: no such heading (${[...slugs].join(', ')})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('nothing cites the old design notes (HARDWARE/ARCHITECTURE/API/CONVENTIONS .md, shared/spec, a steering repository) or a rule, issue or acceptance number', () => {
    const hits: string[] = [];
    for (const { path, text } of files) {
      if (path === self || path === checker) continue; // they spell the patterns out
      for (const h of findForbiddenCitations(path, text, docsFiles)) hits.push(`${path}:${h.line}: ${h.what} "${h.match}": ${h.text}`);
    }
    expect(hits).toEqual([]);
  });
});

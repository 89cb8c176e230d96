/**
 * The examples of the repository's READMEs, as `readme-examples.test.ts`
 * runs them. The convention a README follows:
 *
 * - Every fenced block whose info string starts with `js` or `ts` is an
 *   example. It runs as an ES module (TypeScript is transpiled first)
 *   against the workspace packages, and it typechecks as TypeScript under
 *   the repository's strict tsconfig (`tooling/tsconfig/base.json`).
 * - More words in the info string change that: `continued` makes the block
 *   the rest of the README's previous example (the two run and typecheck as
 *   one program); `no-run` marks a shape or a signature that is shown, not
 *   run (`interface MappingDriver { … }`).
 * - What an example prints is the fenced block right after it (info string
 *   `text` or none), introduced by a line of its own containing the word
 *   "prints". Only blank lines may stand between the example, that line and
 *   the block. An example without one must still run without throwing.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface Example {
  /** README path relative to the repository root */
  readme: string;
  /** 1-based line of the example's first code line in the README */
  line: number;
  lang: 'js' | 'ts';
  /** the example's own code */
  code: string;
  /** earlier examples this one continues, oldest first (empty for a standalone example) */
  before: Example[];
  /** the stdout the README shows, or undefined when it shows none */
  prints: string | undefined;
}

interface Fence {
  info: string[];
  /** 1-based line of the first body line */
  line: number;
  body: string[];
  /** index in `lines` of the closing fence */
  end: number;
}

/** Every fenced block of a Markdown text, nested indentation included (a fence inside a list item). */
export function fences(text: string): Fence[] {
  const lines = text.split('\n');
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})\s*(.*)$/.exec(lines[i] ?? '');
    if (open === null) continue;
    const [, indent = '', ticks = '', info = ''] = open;
    let end = i + 1;
    while (end < lines.length && (lines[end] ?? '').trim() !== ticks) end++;
    const body = lines.slice(i + 1, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()));
    out.push({ info: info.trim().split(/\s+/).filter(Boolean), line: i + 2, body, end });
    i = end;
  }
  return out;
}

/** The examples of one README's text, in order. */
export function examplesOf(readme: string, text: string): Example[] {
  const lines = text.split('\n');
  const all = fences(text);
  const out: Example[] = [];
  for (const [k, f] of all.entries()) {
    const lang = f.info[0];
    if (lang !== 'js' && lang !== 'ts') continue;
    const flags = f.info.slice(1);
    const unknown = flags.filter((w) => w !== 'continued' && w !== 'no-run');
    if (unknown.length > 0) throw new Error(`${readme}:${f.line - 1}: unknown example flag ${unknown.join(', ')} (known: continued, no-run)`);
    if (flags.includes('no-run')) continue;
    let before: Example[] = [];
    if (flags.includes('continued')) {
      const prev = out[out.length - 1];
      if (prev === undefined) throw new Error(`${readme}:${f.line - 1}: a "continued" example with no example before it`);
      before = [...prev.before, prev];
    }
    out.push({ readme, line: f.line, lang, code: f.body.join('\n') + '\n', before, prints: printsAfter(lines, f, all[k + 1]) });
  }
  return out;
}

/** The output block after fence `f`, when a line containing "prints" introduces it. */
function printsAfter(lines: string[], f: Fence, next: Fence | undefined): string | undefined {
  let i = f.end + 1;
  while (i < lines.length && (lines[i] ?? '').trim() === '') i++;
  if (!/\bprints\b/.test(lines[i] ?? '') || /^\s*`{3,}/.test(lines[i] ?? '')) return undefined;
  i++;
  while (i < lines.length && (lines[i] ?? '').trim() === '') i++;
  if (next === undefined || next.line - 2 !== i) return undefined;
  const lang = next.info[0];
  if (lang !== undefined && lang !== 'text') return undefined;
  return next.body.join('\n') + '\n';
}

/** The READMEs whose examples are checked: the root one, then packages/* and apps/*. */
export function readmePaths(root: string): string[] {
  const out = ['README.md'];
  for (const top of ['packages', 'apps']) {
    if (!existsSync(join(root, top))) continue;
    for (const d of readdirSync(join(root, top)).sort()) {
      if (existsSync(join(root, top, d, 'README.md'))) out.push(`${top}/${d}/README.md`);
    }
  }
  return out;
}

/** Every example of every checked README. */
export function allExamples(root: string): Example[] {
  return readmePaths(root).flatMap((p) => examplesOf(p, readFileSync(join(root, p), 'utf8')));
}

/** An example with everything it continues, as one program; `lineOf` maps a program line (1-based) back to the README. */
export function program(e: Example): { code: string; lineOf: (n: number) => number } {
  const parts = [...e.before, e];
  const starts: Array<{ from: number; part: Example }> = [];
  let from = 1;
  for (const part of parts) {
    starts.push({ from, part });
    from += part.code.split('\n').length - 1;
  }
  return {
    code: parts.map((p) => p.code).join(''),
    lineOf: (n) => {
      const hit = [...starts].reverse().find((s) => n >= s.from) ?? starts[0]!;
      return hit.part.line + (n - hit.from);
    },
  };
}

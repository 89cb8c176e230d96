/**
 * What `docs-citations.test.ts` checks, as pure functions over text so that
 * the checker itself can be tested on small inputs:
 *
 * - `headingSlugs(markdown)`: the anchors GitHub gives a Markdown file's
 *   headings (lowercase; characters other than letters, digits, spaces, `-`
 *   and `_` dropped; spaces become `-`; a repeated slug gets `-1`, `-2` …),
 *   plus explicit `<a name>`/`id` anchors.
 * - `findDocsCitations(text)`: every `docs/<file>.md` or
 *   `docs/<file>.md#<slug>` a file mentions, and the relative `.md` links of
 *   a Markdown file, with their line numbers.
 * - `findForbiddenCitations(path, text)`: mentions of documents the
 *   repository does not contain (the design notes it was first built from,
 *   numbered rules, issue and acceptance numbers of a tracker) — a reader
 *   can check none of them.
 */

/** A place in a file. */
export interface Hit {
  readonly line: number;
  readonly text: string;
}

export interface DocsCitation extends Hit {
  /** The cited path as written (`docs/rules.md`, `../../../docs/api.md`, `rules.md`). */
  readonly target: string;
  /** The anchor without `#`, if any. */
  readonly slug: string | undefined;
  /** True when `target` is relative to the citing file (a Markdown link), false when relative to the repository root. */
  readonly relative: boolean;
}

/** 1-based line of the character at `index`. */
function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function lineText(text: string, index: number): string {
  const start = text.lastIndexOf('\n', index - 1) + 1;
  const end = text.indexOf('\n', index);
  return text.slice(start, end === -1 ? undefined : end).trim();
}

/**
 * GitHub's anchor for a heading's text: inline Markdown reduced to its
 * rendered text first (links to their text, code and emphasis marks
 * dropped), then lowercase, punctuation dropped, spaces to `-`.
 */
export function slugOf(heading: string): string {
  const rendered = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/[`*]/g, '');
  return rendered
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor of a Markdown document, in order, duplicates numbered as GitHub does. */
export function headingSlugs(markdown: string): Set<string> {
  const slugs = new Set<string>();
  const seen = new Map<string, number>();
  const add = (base: string): void => {
    const n = seen.get(base);
    if (n === undefined) {
      seen.set(base, 1);
      slugs.add(base);
    } else {
      seen.set(base, n + 1);
      slugs.add(`${base}-${n}`);
    }
  };
  const lines = markdown.split('\n');
  let fence: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const fenceMark = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fenceMark) {
      const mark = fenceMark[1] as string;
      if (fence === undefined) fence = mark[0];
      else if (mark[0] === fence) fence = undefined;
      continue;
    }
    if (fence !== undefined) continue;
    for (const m of line.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) slugs.add(m[1] as string);
    const atx = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (atx) {
      add(slugOf(atx[1] as string));
      continue;
    }
    const next = lines[i + 1];
    if (next !== undefined && line.trim() !== '' && /^\s{0,3}(=+|-+)\s*$/.test(next) && !/^\s*([-*+>|]|\d+\.)\s/.test(line)) {
      add(slugOf(line));
      i++;
    }
  }
  return slugs;
}

/**
 * `docs/<name>.md` and `docs/<name>.md#<slug>` anywhere in a file (code
 * comments, test names, CLI strings, READMEs): relative to the repository
 * root, or to the file when written with leading `../`. In Markdown files
 * also every relative link to a `.md` file (`[x](rules.md#atomicity)`).
 */
export function findDocsCitations(text: string, isMarkdown: boolean): DocsCitation[] {
  const out: DocsCitation[] = [];
  const seenAt = new Set<number>();
  for (const m of text.matchAll(/(?<![\w./-])((?:\.\.?\/)*)docs\/([\w./-]*?\.md)(?:#([\w-]+))?/g)) {
    const index = m.index;
    seenAt.add(index);
    const up = m[1] as string;
    out.push({
      line: lineAt(text, index),
      text: lineText(text, index),
      target: `${up}docs/${m[2] as string}`,
      slug: m[3],
      relative: up !== '',
    });
  }
  if (isMarkdown) {
    for (const m of text.matchAll(/\]\(\s*([^)\s#:]+\.md)(?:#([^)\s]+))?\s*\)/g)) {
      const index = m.index + 2;
      const target = m[1] as string;
      // Already counted above when the link is written docs/… from the root.
      if (seenAt.has(index) || /^(?:\.\.?\/)*docs\//.test(target)) continue;
      out.push({ line: lineAt(text, index), text: lineText(text, index), target, slug: m[2], relative: true });
    }
  }
  return out;
}

/**
 * The mentions a reader of this repository cannot follow. Each pattern is
 * precise enough for ordinary English: "rule"/"issue"/"acceptance" only
 * followed by a number (a comment may wrap between word and number) and
 * not as a URL path (`…/issues/12` of a public tracker is a fine source),
 * the four document names only when they do not stand for a file of
 * `docs/`.
 */
export const FORBIDDEN: ReadonlyArray<{ readonly name: string; readonly pattern: RegExp }> = [
  { name: 'a design note the repository lacks', pattern: /\b(?:hardware|architecture|api|conventions)\.md\b/gi },
  { name: 'shared/spec', pattern: /\bshared\/spec\b/gi },
  { name: 'a steering repository', pattern: /\bsteering\b/gi },
  { name: 'a numbered rule', pattern: /(?<!\/)\brules?(?:[\s*#]|\/\/)+\d/gi },
  { name: 'an issue number', pattern: /(?<!\/)\bissues?(?:[\s*#]|\/\/)+\d/gi },
  { name: 'an acceptance number', pattern: /(?<!\/)\bacceptance(?:[\s*#]|\/\/)+\d/gi },
];

export interface ForbiddenHit extends Hit {
  readonly what: string;
  readonly match: string;
}

/**
 * Forbidden mentions in one file. `docsFiles` are the lower-case names of
 * the files in `docs/`: `docs/api.md` (or `api.md` linked from inside
 * `docs/`) is the repository's own document, not the old `API.md`.
 */
export function findForbiddenCitations(path: string, text: string, docsFiles: ReadonlySet<string>): ForbiddenHit[] {
  const out: ForbiddenHit[] = [];
  const inDocs = path.startsWith('docs/');
  for (const { name, pattern } of FORBIDDEN) {
    for (const m of text.matchAll(pattern)) {
      const index = m.index;
      if (name === 'a design note the repository lacks') {
        const file = m[0].toLowerCase();
        const before = text.slice(Math.max(0, index - 5), index);
        const ownDoc = docsFiles.has(file) && m[0] === file && (before === 'docs/' || (inDocs && !/[\w/]$/.test(before)));
        if (ownDoc) continue;
      }
      out.push({ line: lineAt(text, index), text: lineText(text, index), what: name, match: m[0].replace(/\s+/g, ' ') });
    }
  }
  return out.sort((a, b) => a.line - b.line);
}

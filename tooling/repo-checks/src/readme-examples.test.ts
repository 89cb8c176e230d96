/**
 * Every README example runs, prints what the README shows, and typechecks
 * under the repository's strict tsconfig. The convention is described in
 * `readme-examples.ts`. Examples run against the workspace packages' built
 * `dist/` (`pnpm test` builds them first), each in its own Node process, from
 * a scratch directory inside this package so that `@vcm/*` resolve through
 * its node_modules.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allExamples, examplesOf, fences, program } from './readme-examples.js';
import type { Example } from './readme-examples.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const packageDir = fileURLToPath(new URL('../', import.meta.url));
const examples = allExamples(root);
const slug = (e: Example): string => `${e.readme.replace(/\W+/g, '-')}-${e.line}`;
const where = (e: Example): string => `${e.readme}:${e.line - 1}`;

describe('reading the convention', () => {
  const md = [
    '```ts',
    "console.log('a');",
    '```',
    '',
    'prints',
    '',
    '```text',
    'a',
    '```',
    '',
    '```ts continued',
    "console.log('b');",
    '```',
    '',
    '```ts no-run',
    'interface X { y: number }',
    '```',
    '',
    '- a list item:',
    '  ```js',
    "  console.log('c');",
    '  ```',
    '  It prints:',
    '  ```',
    '  c',
    '  ```',
    '',
    '```js',
    "console.log('d');",
    '```',
    'and later, not right after it, a block that is not its output:',
    '```',
    'd',
    '```',
  ].join('\n');

  it('finds js/ts blocks, their "prints" blocks, continued and no-run, indented fences', () => {
    const found = examplesOf('X.md', md);
    expect(found.map((e) => [e.line, e.lang, e.code, e.prints, e.before.map((b) => b.line)])).toEqual([
      [2, 'ts', "console.log('a');\n", 'a\n', []],
      [12, 'ts', "console.log('b');\n", undefined, [2]],
      [21, 'js', "console.log('c');\n", 'c\n', []],
      [29, 'js', "console.log('d');\n", undefined, []],
    ]);
    expect(fences(md)).toHaveLength(8);
  });

  it('joins a continued example to the one before it and maps program lines back to the README', () => {
    const cont = examplesOf('X.md', md)[1]!;
    const p = program(cont);
    expect(p.code).toBe("console.log('a');\nconsole.log('b');\n");
    expect([p.lineOf(1), p.lineOf(2)]).toEqual([2, 12]);
  });

  it('refuses an unknown flag and a continued example with nothing to continue', () => {
    expect(() => examplesOf('X.md', '```ts run-twice\nx\n```\n')).toThrow(/unknown example flag run-twice/);
    expect(() => examplesOf('X.md', '```ts continued\nx\n```\n')).toThrow(/nothing|no example before it/);
  });
});

describe('README examples', () => {
  let scratch = '';
  beforeAll(() => {
    scratch = mkdtempSync(join(packageDir, '.readme-examples-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  const outputs = new Map<Example, Promise<string>>();
  /** What the example (with everything it continues) prints; it must exit 0. */
  function run(e: Example): Promise<string> {
    let out = outputs.get(e);
    if (out === undefined) {
      const js = ts.transpileModule(program(e).code, {
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
        fileName: `${slug(e)}.ts`,
      }).outputText;
      const file = join(scratch, `${slug(e)}.mjs`);
      writeFileSync(file, js);
      out = promisify(execFile)(process.execPath, [file], { cwd: scratch, encoding: 'utf8', timeout: 60_000 }).then(
        (r) => r.stdout,
        (err: Error & { stderr?: string }) => {
          throw new Error(`${where(e)}: the example failed:\n${err.stderr ?? err.message}`);
        },
      );
      outputs.set(e, out);
    }
    return out;
  }

  it('there are examples to check in the root README and in every package README', () => {
    const readmes = new Set(examples.map((e) => e.readme));
    for (const r of ['README.md', 'packages/core/README.md', 'packages/physalloc/README.md', 'packages/smmu/README.md', 'packages/vmm-overlay/README.md', 'packages/devtree/README.md']) {
      expect(readmes, r).toContain(r);
    }
  });

  for (const e of examples) {
    it(`${where(e)} runs${e.prints === undefined ? ' without throwing' : ' and prints what the README shows'}`, async () => {
      const out = await run(e);
      if (e.prints === undefined) return;
      const base = e.before.at(-1);
      if (base === undefined) {
        expect(out).toBe(e.prints);
      } else {
        const shown = await run(base);
        expect(out.startsWith(shown), `${where(e)} continues ${where(base)}, whose output should come first`).toBe(true);
        expect(out.slice(shown.length)).toBe(e.prints);
      }
    });
  }

  it('every example typechecks under tooling/tsconfig/base.json (strict, noUncheckedIndexedAccess, exactOptionalPropertyTypes)', () => {
    const config = ts.readConfigFile(join(root, 'tooling/tsconfig/base.json'), (p) => ts.sys.readFile(p));
    const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, join(root, 'tooling/tsconfig'));
    const options: ts.CompilerOptions = { ...parsed.options, noEmit: true, declaration: false, declarationMap: false, sourceMap: false };
    // Virtual files beside this package's package.json: ES modules that resolve @vcm/* through its node_modules.
    const files = new Map(examples.map((e) => [join(packageDir, `${slug(e)}.ts`), { e, text: `${program(e).code}export {};\n` }]));
    const host = ts.createCompilerHost(options);
    const fileExists = host.fileExists.bind(host);
    const readFile = host.readFile.bind(host);
    const getSourceFile = host.getSourceFile.bind(host);
    host.fileExists = (p) => files.has(p) || fileExists(p);
    host.readFile = (p) => files.get(p)?.text ?? readFile(p);
    host.getSourceFile = (p, lang, ...rest) => {
      const v = files.get(p);
      return v === undefined ? getSourceFile(p, lang, ...rest) : ts.createSourceFile(p, v.text, lang, true);
    };
    const tsProgram = ts.createProgram([...files.keys()], options, host);
    const problems = ts.getPreEmitDiagnostics(tsProgram).map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      const v = d.file === undefined ? undefined : files.get(d.file.fileName);
      if (v === undefined || d.start === undefined || d.file === undefined) return text;
      const line = d.file.getLineAndCharacterOfPosition(d.start).line + 1;
      return `${v.e.readme}:${program(v.e).lineOf(line)}: ${text}`;
    });
    expect([...new Set(problems)]).toEqual([]);
  });
});

/**
 * The checkers `tarballs.test.ts` relies on, on small inputs: each one must
 * be able to fail, or the tarball checks would pass on anything.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { declarationErrors, declarationProgram, exportDocs, typeEntries, underscoreNames, unresolvedSources } from './package-surface.js';

describe('underscoreNames', () => {
  it('finds members, methods, accessors and exports whose names start with _', () => {
    const dts = [
      'export declare class Vcm {',
      '    readonly id: number;',
      '    readonly _ranges: unknown;',
      '    private _place;',
      '    get _count(): number;',
      '    _reserve(len: number): void;',
      '}',
      'export interface Shape { _hidden: number; shown: number; _m(): void }',
      'export declare function _helper(): void;',
      'export declare const _LIMIT = 1;',
    ].join('\n');
    expect(underscoreNames('vcm.d.ts', dts)).toEqual([
      'vcm.d.ts:3 _ranges',
      'vcm.d.ts:4 _place',
      'vcm.d.ts:5 _count',
      'vcm.d.ts:6 _reserve',
      'vcm.d.ts:8 _hidden',
      'vcm.d.ts:8 _m',
      'vcm.d.ts:9 _helper',
      'vcm.d.ts:10 _LIMIT',
    ]);
  });

  it('finds nothing in a clean declaration file', () => {
    expect(underscoreNames('a.d.ts', 'export declare class A {\n    private z;\n    readonly size: number;\n}\n')).toEqual([]);
  });
});

describe('unresolvedSources', () => {
  const map = (extra: object): string => JSON.stringify({ version: 3, file: 'vcm.js', mappings: '', ...extra });

  it('accepts sources present beside the map or embedded', () => {
    const inTarball = new Set(['src/vcm.ts']);
    expect(unresolvedSources('dist/vcm.js.map', map({ sources: ['../src/vcm.ts'] }), (p) => inTarball.has(p))).toEqual([]);
    expect(unresolvedSources('dist/vcm.js.map', map({ sources: ['../src/x.ts'], sourcesContent: ['export {}'] }), () => false)).toEqual([]);
  });

  it('names sources that are neither shipped nor embedded, and a map with no sources', () => {
    expect(unresolvedSources('dist/vcm.js.map', map({ sources: ['../src/vcm.ts'] }), () => false)).toEqual(['../src/vcm.ts']);
    expect(unresolvedSources('dist/a/b.js.map', map({ sources: ['../../src/a/b.ts'], sourceRoot: '' }), (p) => p === 'src/a/c.ts')).toEqual(['../../src/a/b.ts']);
    expect(unresolvedSources('dist/vcm.js.map', map({ sources: [] }), () => true)).toEqual(['(no sources at all)']);
  });
});

describe('typeEntries', () => {
  it('reads the types condition of every subpath export', () => {
    const manifest = {
      exports: {
        '.': { types: './dist/index.d.ts', default: './dist/index.js' },
        './compat': { types: './dist/compat/index.d.ts', default: './dist/compat/index.js' },
        './package.json': './package.json',
      },
    };
    expect([...typeEntries(manifest)]).toEqual([
      ['.', './dist/index.d.ts'],
      ['./compat', './dist/compat/index.d.ts'],
    ]);
  });
});

describe('exportDocs and declarationErrors', () => {
  it('tell documented exports from undocumented ones, through re-exports, and report declarations that do not compile', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vcm-surface-'));
    try {
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
      writeFileSync(join(dir, 'a.d.ts'), '/** Documented: what and why. */\nexport declare const A = 1;\nexport declare const B = 2;\n/** @internal */\nexport interface C {}\n');
      writeFileSync(join(dir, 'index.d.ts'), "export { A, B, type C } from './a.js';\nexport type { Missing } from './nowhere.js';\n");
      const entry = join(dir, 'index.d.ts');
      const program = declarationProgram([entry]);
      const docs = exportDocs(program, entry).map((d) => [d.name, d.documented]);
      expect(docs).toEqual(
        expect.arrayContaining([
          ['A', true],
          ['B', false],
          ['C', false],
        ]),
      );
      const errors = declarationErrors(program);
      expect(errors.some((e) => e.includes("'./nowhere.js'"))).toBe(true);
      expect(declarationErrors(program, () => false)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

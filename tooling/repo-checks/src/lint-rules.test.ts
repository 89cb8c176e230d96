/**
 * The shared eslint config really catches what it is there to catch: an
 * import cycle written with NodeNext's `.js` specifiers for `.ts` files (the
 * TypeScript resolver must map them, or import-x sees no cycle at all), and
 * an import up the layer diagram
 * (docs/architecture.md#packages-and-the-direction-of-imports). Each case
 * lints a small throw-away package on disk.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ESLint } from 'eslint';
import { afterAll, describe, expect, it } from 'vitest';
import { vcmEslintConfig } from '@vcm/eslint-config';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/**
 * A package named `name` holding `files` (a path starting with `../` lands
 * beside the package instead, and is not linted); returns the rule ids found
 * per linted file (path relative to the package).
 */
async function lint(name: string, files: Record<string, string>): Promise<Record<string, string[]>> {
  const root = mkdtempSync(join(tmpdir(), 'vcm-lint-'));
  made.push(root);
  const dir = join(root, 'pkg');
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, type: 'module' }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true }, include: ['src', 'bench'] }),
  );
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const eslint = new ESLint({ cwd: dir, overrideConfigFile: true, overrideConfig: vcmEslintConfig(dir) });
  const results = await eslint.lintFiles(Object.keys(files).filter((path) => !path.startsWith('../')));
  const found: Record<string, string[]> = {};
  for (const r of results) found[r.filePath.slice(dir.length + 1)] = r.messages.map((m) => m.ruleId ?? `fatal: ${m.message}`);
  return found;
}

describe('import-x/no-cycle through the TypeScript resolver', () => {
  it('reports a two-module cycle written with .js specifiers in both modules', async () => {
    const found = await lint('@vcm/core', {
      'src/a.ts': "import { b } from './b.js';\nexport const a = (): number => b + 1;\n",
      'src/b.ts': "import { a } from './a.js';\nexport const b = 1;\nexport const c = (): number => a();\n",
    });
    expect(found['src/a.ts']).toContain('import-x/no-cycle');
    expect(found['src/b.ts']).toContain('import-x/no-cycle');
  });

  it('reports a three-module cycle and stays quiet on a chain without one', async () => {
    const cycle = await lint('@vcm/core', {
      'src/a.ts': "import { b } from './b.js';\nexport const a = (): number => b();\n",
      'src/b.ts': "import { c } from './c.js';\nexport const b = (): number => c();\n",
      'src/c.ts': "import { a } from './a.js';\nexport const c = (): number => a();\n",
    });
    expect(cycle['src/c.ts']).toContain('import-x/no-cycle');
    const chain = await lint('@vcm/core', {
      'src/a.ts': "import { b } from './b.js';\nexport const a = (): number => b();\n",
      'src/b.ts': "import { c } from './c.js';\nexport const b = (): number => c();\n",
      'src/c.ts': 'export const c = (): number => 1;\n',
    });
    expect(Object.values(chain).flat()).toEqual([]);
  });
});

describe('imports up the layer diagram', () => {
  it('refuses @vcm/smmu (and its subpaths) in @vcm/core, and a relative path into another package', async () => {
    const found = await lint('@vcm/core', {
      'src/up.ts': "export { Smmu } from '@vcm/smmu';\n",
      'src/up-type.ts': "import type { X } from '@vcm/devtree/boards';\nexport type Y = X;\n",
      '../smmu/package.json': JSON.stringify({ name: '@vcm/smmu', type: 'module' }),
      '../smmu/src/index.ts': 'export const smmu = 1;\n',
      'src/across.ts': "export * from '../../smmu/src/index.js';\n",
    });
    expect(found['src/up.ts']).toContain('no-restricted-imports');
    expect(found['src/up-type.ts']).toContain('no-restricted-imports');
    expect(found['src/across.ts']).toContain('import-x/no-relative-packages');
  });

  it('lets @vcm/vmm-overlay import core and smmu, but physalloc only in tests and benchmarks', async () => {
    const found = await lint('@vcm/vmm-overlay', {
      'src/ok.ts': "export { VcmError } from '@vcm/core';\nexport { Smmu } from '@vcm/smmu';\n",
      'src/ram.ts': "export { PhysicalRam } from '@vcm/physalloc';\n",
      'src/ram.test.ts': "export { PhysicalRam } from '@vcm/physalloc';\n",
      'bench/index.ts': "export { PhysicalRam } from '@vcm/physalloc';\n",
      'src/devtree.test.ts': "export { buildPlatform } from '@vcm/devtree';\n",
    });
    expect(found['src/ok.ts']).not.toContain('no-restricted-imports');
    expect(found['src/ram.ts']).toContain('no-restricted-imports');
    expect(found['src/ram.test.ts']).not.toContain('no-restricted-imports');
    expect(found['bench/index.ts']).not.toContain('no-restricted-imports');
    expect(found['src/devtree.test.ts']).toContain('no-restricted-imports');
  });

  it('keeps Node built-ins out of what @vcm/scenario ships (it runs in a browser too), and devtree from importing it', async () => {
    const found = await lint('@vcm/scenario', {
      'src/fs.ts': "export { readFileSync } from 'node:fs';\n",
      'src/ok.ts': "export { buildPlatform } from '@vcm/devtree';\n",
      'src/fs.test.ts': "export { readFileSync } from 'node:fs';\n",
    });
    expect(found['src/fs.ts']).toContain('no-restricted-imports');
    expect(found['src/ok.ts']).not.toContain('no-restricted-imports');
    expect(found['src/fs.test.ts']).not.toContain('no-restricted-imports');
    const devtree = await lint('@vcm/devtree', { 'src/up.ts': "export * from '@vcm/scenario';\n" });
    expect(devtree['src/up.ts']).toContain('no-restricted-imports');
  });

  it('lets apps and tooling import anything', async () => {
    const found = await lint('@vcm/reference', { 'src/all.ts': "export { buildPlatform } from '@vcm/devtree';\nexport { Smmu } from '@vcm/smmu';\n" });
    expect(found['src/all.ts']).not.toContain('no-restricted-imports');
  });
});

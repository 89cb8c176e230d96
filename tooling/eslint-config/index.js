// Shared flat configs. `vcmEslintConfig(dir)` is for a TypeScript package
// (its eslint.config.js passes its own directory): typescript-eslint's
// type-checked recommended rules, the project's own rules, no import cycles
// and no import up the layer diagram. `vcmToolingEslintConfig()` is for the
// plain-JavaScript tooling packages.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * What each published package's shipped code may import of ours — the
 * table of docs/architecture.md#packages-and-the-direction-of-imports:
 *
 *   @vcm/core         nothing of ours
 *   @vcm/physalloc    @vcm/core
 *   @vcm/smmu         @vcm/core
 *   @vcm/vmm-overlay  @vcm/core, @vcm/smmu
 *   @vcm/devtree      @vcm/core, @vcm/physalloc, @vcm/smmu, @vcm/vmm-overlay
 *   @vcm/scenario     @vcm/core, @vcm/physalloc, @vcm/smmu, @vcm/vmm-overlay, @vcm/devtree
 *
 * apps/* and tooling/* are not in the table: they may import anything,
 * except that the explorer's shipped code (apps/explorer/src) runs in a
 * browser: `BROWSER_APPS` below keeps Node's built-ins and the reference
 * app's Node entry out of it.
 */
export const LAYERS = {
  '@vcm/core': [],
  '@vcm/physalloc': ['@vcm/core'],
  '@vcm/smmu': ['@vcm/core'],
  '@vcm/vmm-overlay': ['@vcm/core', '@vcm/smmu'],
  '@vcm/devtree': ['@vcm/core', '@vcm/physalloc', '@vcm/smmu', '@vcm/vmm-overlay'],
  '@vcm/scenario': ['@vcm/core', '@vcm/physalloc', '@vcm/smmu', '@vcm/vmm-overlay', '@vcm/devtree'],
};

/** Packages whose shipped code runs in a browser too, so it may not import Node's built-ins (docs/architecture.md#packages). */
const BROWSER = ['@vcm/scenario'];

/**
 * Tests, test helpers and benchmarks also need RAM to run on: an SMMU or a
 * CPU is driven over `@vcm/physalloc`'s simulated memory there, while the
 * shipped code only sees core's `PhysicalMemory` interface.
 */
const TESTS_ALSO = {
  '@vcm/smmu': ['@vcm/physalloc'],
  '@vcm/vmm-overlay': ['@vcm/physalloc'],
};

/** Apps whose shipped code (`src/`, tests aside) runs in a browser: no Node built-ins, and of `@vcm/reference` only its browser entry. */
const BROWSER_APPS = ['@vcm/explorer'];

/** `no-restricted-imports` options for a browser app's shipped code. */
function browserAppRule(pkg) {
  return [
    'error',
    {
      paths: [{ name: '@vcm/reference', message: `${pkg} runs in a browser: import @vcm/reference/browser, the reference app's entry without Node built-ins.` }],
      patterns: [{ group: ['node:*'], message: `${pkg} runs in a browser: no Node built-ins in its shipped code (docs/architecture.md#packages-and-the-direction-of-imports).` }],
    },
  ];
}

/** Files that are not shipped: tests, test helpers (excluded from the build) and benchmarks. */
const NOT_SHIPPED = ['**/*.test.ts', 'src/**/test-*.ts', 'bench/**', 'scripts/**'];

/** `no-restricted-imports` options refusing every layer package `pkg` may not import (and Node's built-ins where `noNode`). */
function layerRule(pkg, allowed, noNode) {
  const refused = Object.keys(LAYERS).filter((p) => p !== pkg && !allowed.includes(p));
  const message = (p) =>
    `${pkg} may import only ${allowed.length ? allowed.join(', ') : 'nothing of ours'}, not ${p} (docs/architecture.md#packages-and-the-direction-of-imports).`;
  const node = `${pkg} runs in a browser too: no Node built-ins in its shipped code (docs/architecture.md#packages).`;
  return [
    'error',
    {
      paths: refused.map((p) => ({ name: p, message: message(p) })),
      patterns: [
        ...refused.map((p) => ({ group: [`${p}/*`], message: message(p) })),
        ...(noNode ? [{ group: ['node:*'], message: node }] : []),
      ],
    },
  ];
}

/** The rules against import cycles and imports that reach into another package by a relative path. */
function importRules(resolver) {
  return {
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [resolver],
      // Without these, import-x cannot read a .ts dependency and so never sees the cycle through it.
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      'import-x/no-cycle': 'error',
      'import-x/no-self-import': 'error',
      'import-x/no-relative-packages': 'error',
    },
  };
}

/** @param {string} packageDir the package's directory (its eslint.config.js passes `import.meta.dirname`) */
export function vcmEslintConfig(packageDir) {
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).name;
  const allowed = LAYERS[pkg];
  return tseslint.config(
    { ignores: ['dist/**', 'coverage/**', 'bench/results.json'] },
    js.configs.recommended,
    ...tseslint.configs.recommendedTypeChecked,
    {
      languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: packageDir } },
    },
    // The config files (eslint, vitest) are plain JavaScript outside every tsconfig.
    { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
    { files: ['**/*.js'], languageOptions: { globals: globals.node } },
    // `.js` specifiers name `.ts` files (NodeNext): the TypeScript resolver maps them, so a cycle is seen.
    importRules(createTypeScriptImportResolver({ project: join(packageDir, 'tsconfig.json') })),
    {
      files: ['**/*.{ts,tsx}'],
      rules: {
        '@typescript-eslint/explicit-module-boundary-types': 'error',
        '@typescript-eslint/consistent-type-imports': 'error',
        '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
        'no-throw-literal': 'error',
      },
    },
    ...(BROWSER_APPS.includes(pkg) ? [{ files: ['src/**/*.{ts,tsx}'], ignores: ['**/*.test.ts'], rules: { 'no-restricted-imports': browserAppRule(pkg) } }] : []),
    ...(allowed === undefined
      ? []
      : [
          { files: ['**/*.ts'], rules: { 'no-restricted-imports': layerRule(pkg, allowed, BROWSER.includes(pkg)) } },
          { files: NOT_SHIPPED, rules: { 'no-restricted-imports': layerRule(pkg, [...allowed, ...(TESTS_ALSO[pkg] ?? [])], false) } },
        ]),
    {
      files: ['**/*.test.ts', 'bench/**/*.ts'],
      rules: { '@typescript-eslint/explicit-module-boundary-types': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
    },
    {
      // Tests hand the API deliberately mistyped input (`as any`, boards read
      // back from JSON) to check that it is refused with EINVAL; the `any`
      // there is the point of the test, not a hole in its types.
      files: ['**/*.test.ts'],
      rules: {
        '@typescript-eslint/no-unsafe-argument': 'off',
        '@typescript-eslint/no-unsafe-assignment': 'off',
        '@typescript-eslint/no-unsafe-call': 'off',
        '@typescript-eslint/no-unsafe-member-access': 'off',
        '@typescript-eslint/no-unsafe-return': 'off',
      },
    },
  );
}

/** For the tooling packages: plain JavaScript (ES modules on Node) and the `.d.ts` files that type it. */
export function vcmToolingEslintConfig() {
  return tseslint.config(
    { ignores: ['dist/**', 'coverage/**'] },
    js.configs.recommended,
    { languageOptions: { globals: globals.node } },
    { files: ['**/*.d.ts'], extends: [...tseslint.configs.recommended] },
    importRules(createTypeScriptImportResolver()),
  );
}

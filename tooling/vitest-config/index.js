// Shared vitest settings: tests live beside the code as src/**/*.test.ts.
// Each package also writes test-results.json, which the root `pnpm test`
// sums into one closing line. Inside tests, workspace packages resolve to
// their TypeScript sources, so a change in @vcm/core is seen by the SMMU's
// tests without rebuilding dist/ first (typecheck and the app use dist/).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('../../', import.meta.url));

export const vcmVitestConfig = defineConfig({
  resolve: {
    alias: [
      { find: /^@vcm\/core\/compat$/, replacement: `${root}packages/core/src/compat/index.ts` },
      { find: /^@vcm\/(core|physalloc|smmu|vmm-overlay|devtree|scenario)$/, replacement: `${root}packages/$1/src/index.ts` },
    ],
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.json' },
  },
});

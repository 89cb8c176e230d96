// Shared vitest settings: tests live beside the code as src/**/*.test.ts.
// Each package also writes test-results.json, which the root `pnpm test`
// sums into one closing line.
import { defineConfig } from 'vitest/config';

export const vcmVitestConfig = defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.json' },
  },
});

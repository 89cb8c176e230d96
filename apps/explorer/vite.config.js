// The explorer is a static site: every asset is bundled (no CDN), so it works
// offline once loaded. The @vcm/* packages resolve to their TypeScript
// sources, as in the tests (tooling/vitest-config), so `pnpm explorer` shows
// a library change without rebuilding its dist/.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('../../', import.meta.url));

export default defineConfig({
  base: './',
  resolve: {
    alias: [
      { find: /^@vcm\/core\/compat$/, replacement: `${root}packages/core/src/compat/index.ts` },
      { find: /^@vcm\/(core|physalloc|smmu|vmm-overlay|devtree|scenario)$/, replacement: `${root}packages/$1/src/index.ts` },
      { find: /^@vcm\/reference\/browser$/, replacement: `${root}apps/reference/src/browser.ts` },
    ],
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { target: 'es2022', chunkSizeWarningLimit: 2048 },
  // The scenario worker (src/worker/) is an ES module worker, bundled with the same aliases.
  worker: { format: 'es' },
  server: { port: 5173 },
  preview: { port: 4173 },
});

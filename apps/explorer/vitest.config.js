import { vcmVitestConfig } from '@vcm/vitest-config';
import { mergeConfig } from 'vitest/config';
import viteConfig from './vite.config.js';

// Unit tests of the explorer's model (src/**/*.test.ts) in Node; the
// browser tests (e2e/) run under Playwright from scripts/test.js.
export default mergeConfig(mergeConfig(vcmVitestConfig, { resolve: viteConfig.resolve }), { test: { include: ['src/**/*.test.ts'] } });

import { defineConfig, mergeConfig } from 'vitest/config';
import { vcmVitestConfig } from '@vcm/vitest-config';

// bench-kit is plain JavaScript at the package root: its test sits beside index.js.
export default mergeConfig(vcmVitestConfig, defineConfig({ test: { include: ['*.test.js'] } }));

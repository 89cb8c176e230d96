import { vcmVitestConfig } from '@vcm/vitest-config';
import { mergeConfig } from 'vitest/config';

// One test file at a time: start.test.ts runs `pnpm start`, whose build
// rewrites dist/ while cli.test.ts would be spawning dist/cli.js.
export default mergeConfig(vcmVitestConfig, { test: { fileParallelism: false } });

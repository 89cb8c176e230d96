import { defineConfig, mergeConfig } from 'vitest/config';
import { vcmVitestConfig } from '@vcm/vitest-config';

// passWithNoTests until this package's issue lands its suite.
export default mergeConfig(vcmVitestConfig, defineConfig({ test: { passWithNoTests: true } }));

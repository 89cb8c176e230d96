import { vcmVitestConfig } from '@vcm/vitest-config';

export default vcmVitestConfig;

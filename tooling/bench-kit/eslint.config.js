import { vcmToolingEslintConfig } from '@vcm/eslint-config';

export default vcmToolingEslintConfig();

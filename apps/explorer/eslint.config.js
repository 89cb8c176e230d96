import { vcmEslintConfig } from '@vcm/eslint-config';

export default vcmEslintConfig(import.meta.dirname);

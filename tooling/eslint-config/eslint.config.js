import { vcmToolingEslintConfig } from './index.js';

export default vcmToolingEslintConfig();

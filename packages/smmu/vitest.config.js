export { vcmVitestConfig as default } from '@vcm/vitest-config';

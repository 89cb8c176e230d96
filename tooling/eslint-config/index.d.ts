import type { Linter } from 'eslint';

/** What each published package's shipped code may import of ours (docs/architecture.md#packages-and-the-direction-of-imports). */
export const LAYERS: Readonly<Record<string, readonly string[]>>;

/** The flat config of a TypeScript package; `packageDir` holds its package.json and tsconfig.json. */
export function vcmEslintConfig(packageDir: string): Linter.Config[];

/** The flat config of a plain-JavaScript tooling package. */
export function vcmToolingEslintConfig(): Linter.Config[];

/**
 * Which objects are live SMMUs and SMMU contexts made by this package.
 * Modules that must recognise them (a context binding to an SMMU, the
 * driver checking its devices) ask here instead of importing the classes,
 * so that smmu.ts, context.ts and driver.ts do not import each other at
 * run time.
 */
import type { Smmu } from './smmu.js';
import type { SmmuContext } from './context.js';

const smmus = new WeakSet<object>();
const contexts = new WeakSet<object>();

/** @internal Called by the `Smmu` constructor. */
export function registerSmmu(smmu: Smmu): void {
  smmus.add(smmu);
}

/** @internal Called by the `SmmuContext` constructor. */
export function registerContext(ctx: SmmuContext): void {
  contexts.add(ctx);
}

/** `x` is an `Smmu` made by this package (any value may be asked). */
export function isSmmu(x: unknown): x is Smmu {
  return typeof x === 'object' && x !== null && smmus.has(x);
}

/** `x` is an SMMU context made by `smmu.createContext` (any value may be asked; a deinitialised one still is). */
export function isSmmuContext(x: unknown): x is SmmuContext {
  return typeof x === 'object' && x !== null && contexts.has(x);
}

/**
 * `Array.isArray` as a guard that keeps the element type: on a
 * `readonly T[]` the built-in narrows to `any[]`, and every use after the
 * check would go untyped.
 */
export function isList(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}

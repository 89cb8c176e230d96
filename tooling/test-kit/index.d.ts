/** The shape of `VcmError` from `@vcm/core` that tests look at. */
export interface VcmErrorLike extends Error {
  readonly name: 'VcmError';
  readonly code: string;
  readonly errno: number;
  readonly details: Readonly<Record<string, unknown>>;
}

/** The `code` of the VcmError `fn` throws, `undefined` when it returns; any other throw is rethrown. */
export function codeOf(fn: () => unknown): string | undefined;

/** The VcmError `fn` throws; fails when it returns normally; any other throw is rethrown. */
export function vcmErrorOf(fn: () => unknown): VcmErrorLike;

// What a call threw, for tests that assert on a VcmError's code, message
// and details (docs/rules.md#errors). Recognised by name and shape rather
// than `instanceof`, so this kit needs no dependency on @vcm/core (core's own
// tests use it too). Anything that is not a VcmError is rethrown: a bare
// Error where a VcmError belongs fails the test loudly.

function isVcmErrorLike(e) {
  return e instanceof Error && e.name === 'VcmError' && typeof e.code === 'string';
}

export function codeOf(fn) {
  try {
    fn();
  } catch (e) {
    if (isVcmErrorLike(e)) return e.code;
    throw e;
  }
  return undefined;
}

export function vcmErrorOf(fn) {
  try {
    fn();
  } catch (e) {
    if (isVcmErrorLike(e)) return e;
    throw e;
  }
  throw new Error('expected the call to throw a VcmError; it returned normally');
}

/**
 * Context numbers (`smmu_ctx_init`): `createContext()` takes the lowest
 * number no live context holds, a number a live context holds is `EBUSY`
 * naming the holder, and `smmu.contexts` lists the live contexts in
 * creation order — over random sequences of creations with and without a
 * number and of `deinit`s, against a plain model of the live numbers.
 * The SMMU finds these without scanning its contexts
 * (docs/performance.md#contexts-on-one-smmu); the model does scan.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { codeOf } from '@vcm/test-kit';
import { testSmmu } from './test-smmu.js';
import type { SmmuContext } from './context.js';

type Op = { kind: 'auto' } | { kind: 'at'; index: number } | { kind: 'deinit'; pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.constant<Op>({ kind: 'auto' }),
  fc.integer({ min: 0, max: 12 }).map<Op>((index) => ({ kind: 'at', index })),
  fc.nat().map<Op>((pick) => ({ kind: 'deinit', pick })),
);

describe('context numbers', () => {
  it('createContext() takes the lowest free number, a taken number is EBUSY, contexts stay in creation order', () => {
    fc.assert(
      // fast-check draws lengths from `size`, not `maxLength`: 'max' runs up to 60 steps, so many contexts are live at once.
      fc.property(fc.array(op, { maxLength: 60, size: 'max' }), (ops) => {
        const { smmu } = testSmmu();
        const model: SmmuContext[] = [];
        for (const o of ops) {
          if (o.kind === 'deinit') {
            if (model.length === 0) continue;
            const ctx = model.splice(o.pick % model.length, 1)[0]!;
            ctx.deinit();
          } else if (o.kind === 'auto') {
            let lowest = 0;
            while (model.some((c) => c.index === lowest)) lowest++;
            const ctx = smmu.createContext();
            expect(ctx.index).toBe(lowest);
            model.push(ctx);
          } else if (model.some((c) => c.index === o.index)) {
            expect(codeOf(() => smmu.createContext(o.index))).toBe('EBUSY');
          } else {
            model.push(smmu.createContext(o.index));
          }
          expect(smmu.contexts).toEqual(model);
        }
      }),
      { numRuns: 300 },
    );
  });
});

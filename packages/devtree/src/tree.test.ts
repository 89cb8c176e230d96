import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Device, MappingDriver } from '@vcm/core';
import { msm8x60Board, seedExampleBoard } from './presets.js';
import { DeviceTree } from './tree.js';
import { validateBoard } from './validate-board.js';
import type { BoardDescription } from './board.js';
import { vcmErrorOf } from '@vcm/test-kit';

// The tree is independent of the hardware model: these probes stand in for
// the SMMU package with plain objects that only carry names.
const driver = { name: 'test' } as unknown as MappingDriver;
function treeOf(description: BoardDescription): DeviceTree<{ name: string }, Device> {
  return new DeviceTree(validateBoard(description), {
    smmu: (spec) => ({ name: spec.name }),
    context: (spec) => ({ name: spec.name, driver }),
  });
}

describe('DeviceTree.print', () => {
  it("reproduces the seed's tree for seedExampleBoard()", () => {
    expect(treeOf(seedExampleBoard()).print()).toBe('smmu/\n smmu0/\n  ctx0\n  ctx1\n  ctx2\n smmu1/\n  ctx3\n');
  });

  it('draws at the columns of seeds 001–003 when asked', () => {
    const lines = treeOf(seedExampleBoard()).print({ indent: [0, 15, 32] }).split('\n');
    expect(lines[1]).toBe(`${' '.repeat(15)}smmu0/`);
    expect(lines[2]).toBe(`${' '.repeat(32)}ctx0`);
  });
});

describe('DeviceTree lookup (smmu_get_ctx_instance and friends)', () => {
  it('finds a context by name and gives the base address of its SMMU', () => {
    const tree = treeOf(msm8x60Board());
    const dev = tree.getCtxInstance('vcodec_b_mm2');
    expect(dev.name).toBe('vcodec_b_mm2');
    expect(tree.getBaseAddr(dev)).toBe(0x0410_0000);
    expect(tree.contextOf(dev).path).toBe('smmu/vcodec_b/vcodec_b_mm2');
    expect(tree.contextOf(dev).bank).toBe(0);
    expect(tree.getBaseAddr(tree.getCtxInstance('gfx2d1_priv'))).toBe(0x04b0_0000);
  });

  it('an unknown name is ENODEV with the closest names suggested', () => {
    const tree = treeOf(msm8x60Board());
    const e = vcmErrorOf(() => tree.getCtxInstance('vcodec_a_mm2'));
    expect(e.code).toBe('ENODEV');
    expect(e.message).toBe('ENODEV: getCtxInstance: no context named "vcodec_a_mm2" (closest: "vcodec_a_mm1", "vcodec_b_mm2")');
    expect(e.details['suggestions']).toEqual(['vcodec_a_mm1', 'vcodec_b_mm2']);
    const far = vcmErrorOf(() => tree.getCtxInstance('zzzzzzzzzzzzzzzzzzz'));
    expect(far.details['suggestions']).toEqual([]);
    expect(far.message).toContain('(contexts: "vcodec_a_mm1", "vcodec_a_stream"');
  });

  it('counts instances; freeing one more than was taken is EINVAL', () => {
    const tree = treeOf(seedExampleBoard());
    const a = tree.getCtxInstance('ctx1');
    const b = tree.getCtxInstance('ctx1');
    expect(a).toBe(b);
    expect(tree.instanceCount(a)).toBe(2);
    tree.freeCtxInstance(a);
    tree.freeCtxInstance(b);
    expect(tree.instanceCount(a)).toBe(0);
    const e = vcmErrorOf(() => tree.freeCtxInstance(a));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toContain('context "ctx1" has no instance outstanding');
    expect(tree.toJSON().smmus[0]!.contexts[1]).toEqual({ name: 'ctx1', bank: 1, instances: 0 });
  });

  it('a device of another tree is EINVAL naming it', () => {
    const one = treeOf(seedExampleBoard());
    const two = treeOf(seedExampleBoard());
    const dev = two.getCtxInstance('ctx0');
    const e = vcmErrorOf(() => one.getBaseAddr(dev));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toContain('getBaseAddr: dev "ctx0" is not a context of this device tree');
    expect(() => one.freeCtxInstance(dev)).toThrow(/freeCtxInstance: dev "ctx0"/);
  });

  it('looks nodes up by path, with or without slashes at the ends', () => {
    const tree = treeOf(seedExampleBoard());
    const ctx = tree.lookup('smmu/smmu0/ctx1');
    expect(ctx.kind).toBe('context');
    expect(ctx.name).toBe('ctx1');
    expect(tree.lookup('/smmu/smmu1/').kind).toBe('smmu');
    const e = vcmErrorOf(() => tree.lookup('smmu/smmu0/ctx3'));
    expect(e.code).toBe('ENOENT');
    expect((e.details['suggestions'] as string[])[0]).toBe('smmu/smmu1/ctx3');
    expect(vcmErrorOf(() => tree.lookup('dev/ctx0')).code).toBe('ENOENT');
  });

  it('iterates depth-first in board order', () => {
    const tree = treeOf(seedExampleBoard());
    expect([...tree].map((n) => n.path)).toEqual([
      'smmu/smmu0', 'smmu/smmu0/ctx0', 'smmu/smmu0/ctx1', 'smmu/smmu0/ctx2', 'smmu/smmu1', 'smmu/smmu1/ctx3',
    ]);
    expect([...tree.contexts()].map((c) => c.name)).toEqual(['ctx0', 'ctx1', 'ctx2', 'ctx3']);
  });

  it('every context of any board is found by its name and by its path (property)', () => {
    // fast-check draws lengths from `size`, not `maxLength`: 'max' reaches boards of up to 24 contexts, not 12.
    const names = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/), { minLength: 1, maxLength: 24, size: 'max' });
    fc.assert(
      fc.property(names, fc.integer({ min: 1, max: 3 }), (ctxNames, perSmmu) => {
        const b = structuredClone(seedExampleBoard()) as { smmus: unknown[] } & BoardDescription;
        const smmus = [];
        for (let i = 0; i * perSmmu < ctxNames.length; i++) {
          const contexts = ctxNames.slice(i * perSmmu, (i + 1) * perSmmu).map((name) => ({ name }));
          smmus.push({ ...seedExampleBoard().smmus[0]!, name: `s${i}`, base: 0x10_0000 * (i + 1), contexts, contextBanks: contexts.length });
        }
        b.smmus = smmus;
        const tree = treeOf(b);
        for (const name of ctxNames) {
          const dev = tree.getCtxInstance(name);
          expect(dev.name).toBe(name);
          expect(tree.lookup(tree.contextOf(dev).path)).toBe(tree.contextOf(dev));
        }
        expect(tree.print().split('\n').filter((l) => l.startsWith('  ')).length).toBe(ctxNames.length);
      }),
    );
  });
});

describe('DeviceTree refuses bad input with EINVAL', () => {
  it('print: options must be an object whose indent is three small whole numbers', () => {
    const tree = treeOf(seedExampleBoard());
    for (const bad of [null, 7, 'x', { indent: null }, { indent: [0, 1] }, { indent: [0, -1, 2] }, { indent: [0, 0.5, 2] }, { indent: [0, 1, NaN] }, { indent: [0, 1, 1e9] }]) {
      const e = vcmErrorOf(() => tree.print(bad as never));
      expect(e.code, JSON.stringify(bad)).toBe('EINVAL');
      expect(e.message).toMatch(/print: options/);
    }
    expect(tree.print(undefined)).toBe(tree.print({}));
  });

  it('the constructor: a board that does not validate, or probes that are not two functions', () => {
    const probes = { smmu: (spec: { name: string }) => ({ name: spec.name }), context: (spec: { name: string }) => ({ name: spec.name, driver }) };
    for (const bad of [null, undefined, 7, {}, { smmus: 'x' }]) {
      expect(vcmErrorOf(() => new DeviceTree(bad as never, probes as never)).code).toBe('EINVAL');
    }
    for (const bad of [null, undefined, {}, { smmu: probes.smmu }, { smmu: 1, context: probes.context }]) {
      const e = vcmErrorOf(() => new DeviceTree(validateBoard(seedExampleBoard()), bad as never));
      expect(e.code).toBe('EINVAL');
      expect(e.message).toMatch(/probes/);
    }
    // A context probe that makes no device is refused, naming the context.
    const e = vcmErrorOf(() => new DeviceTree(validateBoard(seedExampleBoard()), { smmu: probes.smmu, context: () => 42 } as never));
    expect(e.message).toMatch(/ctx0/);
  });

  it('device parameters: anything but a context of this tree is EINVAL', () => {
    const tree = treeOf(seedExampleBoard());
    for (const bad of [null, undefined, NaN, 'ctx0', {}, { name: 'ctx0', driver }]) {
      expect(vcmErrorOf(() => tree.getBaseAddr(bad as never)).code).toBe('EINVAL');
      expect(vcmErrorOf(() => tree.freeCtxInstance(bad as never)).code).toBe('EINVAL');
      expect(vcmErrorOf(() => tree.instanceCount(bad as never)).code).toBe('EINVAL');
      expect(vcmErrorOf(() => tree.contextOf(bad as never)).code).toBe('EINVAL');
    }
    for (const bad of [null, undefined, NaN, {}, 7]) {
      expect(vcmErrorOf(() => tree.findContext(bad as never)).code).toBe('EINVAL');
      expect(vcmErrorOf(() => tree.getCtxInstance(bad as never)).code).toBe('EINVAL');
      expect(vcmErrorOf(() => tree.lookup(bad as never)).code).toBe('EINVAL');
    }
  });
});

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VcmError } from '@vcm/core';
import { buildPlatform } from './platform.js';
import { validateBoard } from './validate-board.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
const example = (file: string): Loose => JSON.parse(readFileSync(new URL(`../../../examples/boards/${file}`, import.meta.url), 'utf8'));
const boards: Loose[] = ['msm8x60.json', 'imx8qm-like.json', 'small.json'].map(example);

function outcome(description: unknown): VcmError | undefined {
  try {
    validateBoard(description);
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(VcmError);
    return e as VcmError;
  }
}

/** Every key path of a JSON value, containers included. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [prefix, ...keys.flatMap((k) => paths((value as Record<string | number, unknown>)[k], [...prefix, k]))];
}

function setAt(root: Loose, path: readonly (string | number)[], value: unknown): void {
  let o = root;
  for (const k of path.slice(0, -1)) o = o[k];
  const last = path.at(-1)!;
  if (value === undefined) delete o[last];
  else o[last] = value;
}

const MiB = 0x10_0000;
const hexOr = (n: number): fc.Arbitrary<number | string> => fc.constantFrom(n, `0x${n.toString(16)}`);
/** Changes of the kind a user makes to a board file: sizes, counts, bases, lists, banks. */
const mutation: fc.Arbitrary<(b: Loose) => void> = fc.oneof(
  fc.tuple(fc.nat(20), fc.integer({ min: 12, max: 30 }).chain((s) => hexOr(2 ** s))).map(([i, v]) => (b: Loose) => {
    const p = b.memory.pools[i % b.memory.pools.length];
    if ('blockSize' in p) p.blockSize = v;
    else p.size = v;
  }),
  fc.tuple(fc.nat(20), fc.integer({ min: 1, max: 5000 })).map(([i, n]) => (b: Loose) => {
    const p = b.memory.pools[i % b.memory.pools.length];
    if ('count' in p) p.count = n;
  }),
  fc.tuple(fc.nat(20), fc.integer({ min: -256, max: 256 })).map(([i, d]) => (b: Loose) => {
    const p = b.memory.pools[i % b.memory.pools.length];
    p.base = Number(String(p.base).replaceAll('_', '')) + d * 0x1_0000;
  }),
  fc.tuple(fc.nat(3), fc.integer({ min: 0, max: 2048 })).map(([i, n]) => (b: Loose) => {
    const k = b.memory.kernelRam[i % b.memory.kernelRam.length];
    k.size = n * MiB;
  }),
  fc.tuple(fc.integer({ min: -64, max: 64 }), fc.integer({ min: 0, max: 64 })).map(([d, n]) => (b: Loose) => {
    b.memory.tableRegion.base = Number(String(b.memory.tableRegion.base).replaceAll('_', '')) + d * MiB;
    b.memory.tableRegion.size = n * 0x4000;
  }),
  fc.tuple(fc.nat(8), fc.integer({ min: 0, max: 1024 })).map(([i, n]) => (b: Loose) => {
    const bank = b.memory.banks[i % b.memory.banks.length];
    bank.size = n * 4 * MiB;
  }),
  fc.tuple(fc.nat(8), fc.nat(1000)).map(([i, seed]) => (b: Loose) => {
    const m = b.memory.memtypes[i % b.memory.memtypes.length];
    m.pools = [...m.pools].sort((x: string, y: string) => ((x.length * seed) % 7) - ((y.length * seed) % 7));
  }),
  fc.tuple(fc.nat(20), fc.integer({ min: 1, max: 40 }), fc.boolean()).map(([i, banks, virt]) => (b: Loose) => {
    const s = b.smmus[i % b.smmus.length];
    s.contextBanks = banks;
    s.allowVirtualContexts = virt;
  }),
  fc.tuple(fc.nat(20), fc.integer({ min: 0, max: 0xf_ffff })).map(([i, page]) => (b: Loose) => {
    b.smmus[i % b.smmus.length].base = page * 0x1000;
  }),
  fc.tuple(fc.nat(20), fc.nat(40)).map(([i, bank]) => (b: Loose) => {
    const s = b.smmus[i % b.smmus.length];
    s.contexts[bank % s.contexts.length].bank = bank;
  }),
);

describe('validateBoard and buildPlatform agree', () => {
  it('a board the validator accepts builds; one it refuses gets EINVAL with a JSON path', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.nat(boards.length - 1), fc.array(mutation, { minLength: 1, maxLength: 3 }), (which, changes) => {
        const b = structuredClone(boards[which]);
        for (const change of changes) change(b);
        const e = outcome(b);
        if (e === undefined) {
          accepted++;
          expect(() => buildPlatform(b)).not.toThrow();
        } else {
          expect(e.code).toBe('EINVAL');
          expect(String(e.details['path'])).toMatch(/^board/);
        }
      }),
      { numRuns: 150 },
    );
    expect(accepted).toBeGreaterThan(10); // the changes keep many boards valid, so building is really tried
  });

  it('any value at any place of a board is either accepted or refused in words of the format, never in zod\'s', () => {
    const msm = boards[0];
    const all = paths(msm).filter((p) => p.length > 0);
    const junk = fc.oneof(
      fc.integer(),
      fc.double(),
      fc.string({ maxLength: 6 }),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.array(fc.integer(), { maxLength: 2 }),
      fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...all), junk, (path, value) => {
        const b = structuredClone(msm);
        setAt(b, path, value);
        const e = outcome(b);
        if (e === undefined) return;
        expect(e.message).toMatch(/^EINVAL: board[.[:]/);
        expect(e.message).not.toContain('is refused');
        expect(e.details['allowed']).not.toBe('see board.schema.json');
      }),
      { numRuns: 400 },
    );
  });
});

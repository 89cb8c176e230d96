import { readFileSync } from 'node:fs';
import { isVcmError } from '@vcm/core';
import { describe, expect, it } from 'vitest';
import { dumpPageTables, setUpScenario } from './dump.js';
import { MANIFEST_FILE, binImages, manifestJson, oracleJob, parseManifest, verificationPlan } from './image-manifest.js';
import { tableRuns } from './page-tables.js';
import { parseScenario } from './validate.js';

const playback = parseScenario(readFileSync(new URL('../../../examples/scenarios/video-playback.yaml', import.meta.url), 'utf8'));
const setUp = setUpScenario(playback);
const meta = { board: 'msm8x60', scenario: 'video-playback' };

describe('binImages', () => {
  it('one image per run of tables that lie back to back, each holding RAM\'s bytes, and the manifest lists them with the registers', () => {
    const d = dumpPageTables(setUp, { kind: 'context', name: 'mdp0_port0' });
    const { manifest, images } = binImages(d, meta);
    // The 32-byte level-1 table stands alone; the level-2 and level-3 tables are adjacent pages: one image.
    expect(images.map((im) => im.bytes.length)).toEqual([32, 8192]);
    expect(manifest.images.map((im) => [im.file, im.pa, im.bytes, im.tables])).toEqual([
      [`table-${d.tables[0]!.pa.toString(16).padStart(8, '0')}.bin`, d.tables[0]!.pa, 32, 1],
      [`table-${d.tables[1]!.pa.toString(16).padStart(8, '0')}.bin`, d.tables[1]!.pa, 8192, 2],
    ]);
    manifest.images.forEach((im, i) => expect(images[i]!.bytes).toEqual(setUp.platform.memory.read(im.pa, im.bytes)));
    expect(manifest).toMatchObject({ device: 'mdp0_port0', deviceKind: 'context', format: 'lpae', scenario: 'video-playback' });
    expect(manifest.registers['TTBR0']).toBe(d.registers.raw['TTBR0']);
    expect(manifest.regimes).toEqual(d.oracle);
    expect(manifest.leaves).toHaveLength(d.leaves.length);
  });

  it('tableRuns keeps a table two bases share once', () => {
    const t = { base: 'TTBR0' as const, level: 1, pa: 0x1000, va: 0, bytes: new Uint8Array([1, 2, 3, 4]) };
    expect(tableRuns([t, { ...t, base: 'TTBR1' }, { ...t, pa: 0x1004, bytes: new Uint8Array([5]) }])).toEqual([{ pa: 0x1000, bytes: new Uint8Array([1, 2, 3, 4, 5]), tables: 2 }]);
  });
});

describe('the manifest as JSON', () => {
  const d = dumpPageTables(setUp, { kind: 'cpu' });
  const { manifest } = binImages(d, meta);

  it('writes addresses and register words in hex and reads back equal', () => {
    const text = manifestJson(manifest);
    expect(text).toContain(`"TTBR1": "0x${d.registers.raw['TTBR1']!.toString(16)}"`);
    expect(text).toContain('"start": "0xc0000000"');
    expect(parseManifest(JSON.parse(text))).toEqual(manifest);
  });

  it('refuses a bad manifest naming the path and what is allowed', () => {
    const good = JSON.parse(manifestJson(manifest)) as Record<string, unknown>;
    // The manifest as parsed JSON: any shape, spoiled in place.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const cases: [string, (m: Record<string, any>) => void, RegExp][] = [
      ['kind', (m) => (m['kind'] = 'other'), /kind: "other" \(allowed: "vcm-page-tables"\)/],
      ['version', (m) => (m['version'] = 2), /version: 2 \(allowed: 1\)/],
      ['a negative address', (m) => (m['images'][0].pa = -4096), /images\[0\]\.pa: -4096 \(allowed: an integer/],
      ['a fractional one', (m) => (m['leaves'][3].va = 1.5), /leaves\[3\]\.va: 1\.5/],
      ['a path outside the directory', (m) => (m['images'][0].file = '../etc/passwd'), /images\[0\]\.file: "\.\.\/etc\/passwd" \(allowed: a file name in the dump directory/],
      ['a regime of the other format', (m) => (m['regimes'][0].format = 'lpae'), /regimes\[0\]\.format: "lpae" \(allowed: "short"\)/],
      ['an empty range', (m) => (m['regimes'][0].end = m['regimes'][0].start), /regimes\[0\]\.end: .*above start/],
      ['a leaf not made of whole entries', (m) => (m['leaves'][0].size = '0x1800'), /leaves\[0\]\.size/],
      ['a register word above 32 bits', (m) => (m['registers'].TTBCR = '0x100000000'), /registers\.TTBCR/],
      ['no object', (m) => delete m['registers'], /registers: missing \(allowed: an object\)/],
    ];
    for (const [what, spoil, message] of cases) {
      const m = structuredClone(good);
      spoil(m);
      let err: unknown;
      try {
        parseManifest(m);
      } catch (e) {
        err = e;
      }
      expect(isVcmError(err, 'EINVAL'), what).toBe(true);
      expect((err as Error).message, what).toMatch(new RegExp(`${MANIFEST_FILE}: ${message.source}`));
    }
  });
});

describe('verificationPlan', () => {
  it('translates each leaf at every table entry it occupies and at its last byte, in the regime that covers it', () => {
    const d = dumpPageTables(setUp, { kind: 'context', name: 'mdp0_port0' });
    const { manifest } = binImages(d, meta);
    const plan = verificationPlan(manifest);
    expect(plan).toHaveLength(1);
    const expected = manifest.leaves.reduce((n, l) => n + l.size / l.entrySpan + 1, 0);
    expect(plan[0]!.translations).toHaveLength(expected);
    // A hinted 64 KiB run: its 16 entries, then its last byte.
    const run = manifest.leaves.findIndex((l) => l.size === 0x1_0000);
    const mine = plan[0]!.translations.filter((t) => t.leaf === run);
    expect(mine.map((t) => t.va - manifest.leaves[run]!.va)).toEqual([...Array.from({ length: 16 }, (_, k) => k * 0x1000), 0xffff]);
    for (const t of mine) expect(t.pa - t.va).toBe(manifest.leaves[run]!.pa - manifest.leaves[run]!.va);
  });

  it('the CPU kernel half goes to QEMU as TTBR0 of its own job; LPAE registers as 64-bit TTBRs', () => {
    const cpu = binImages(dumpPageTables(setUp, { kind: 'cpu' }), meta).manifest;
    expect(oracleJob(cpu.regimes[0]!)).toMatchObject({ format: 'short', ttbcr: 0, ttbr0: cpu.registers['TTBR1'], dacr: 0x5555_5555 });
    const mdp = binImages(dumpPageTables(setUp, { kind: 'context', name: 'mdp0_port0' }), meta).manifest;
    expect(oracleJob(mdp.regimes[0]!)).toMatchObject({ format: 'lpae', ttbcr: mdp.registers['TTBCR'], ttbr0: (BigInt(mdp.registers['TTBR0_HIGH']!) << 32n) | BigInt(mdp.registers['TTBR0']!) });
  });
});

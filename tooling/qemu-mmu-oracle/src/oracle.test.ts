/**
 * The oracle checks itself: hand-built tables in both formats whose every
 * answer was worked out from the ARM ARM (qemu-oracle.js `selftest`), the
 * job chain, and that the shipped firmware is what its sources build.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFirmware, firmwarePath, haveCrossCompiler, qemuTranslateBatch, selftest } from '../qemu-oracle.js';
import { NO_QEMU, QEMU } from './qemu.js';

describe.skipIf(NO_QEMU)(`the oracle (${QEMU ?? 'no QEMU'})`, () => {
  it('passes its self-test: every hand-worked case in both formats, splits, permissions, DACR, AFE, PAR attributes', async () => {
    const log: string[] = [];
    const failures = await selftest({ qemu: QEMU!, log: (l) => log.push(l) });
    expect(failures, log.join('\n')).toBe(0);
  });

  it('runs a chain of jobs in one QEMU process, each under its own registers, results in job order', async () => {
    // One 1 MiB section at VA 0x0010_0000 in a short-format table at 0x4800_0000,
    // and an LPAE 1 GiB block at VA 0x4000_0000 from a root at 0x4810_0000.
    const l1 = new Uint8Array(16384);
    new DataView(l1.buffer).setUint32(4 * 1, 0x4c30_0000 | 0x0c02, true); // section, AP[1:0] = 11
    const root = new Uint8Array(32);
    new DataView(root.buffer).setUint32(8 * 1, 0x8000_0000 | 0x701, true); // block, AF, SH = 11
    const r = await qemuTranslateBatch({
      qemu: QEMU!,
      images: [
        { pa: 0x4800_0000, bytes: l1 },
        { pa: 0x4810_0000, bytes: root },
      ],
      jobs: [
        { format: 'short', ttbr0: 0x4800_0000, vas: [0x0012_3456, 0x0020_0000] },
        { format: 'lpae', ttbr0: 0x4810_0000, vas: [0x4abc_def0] },
        { format: 'short', ttbr0: 0x4800_0000, op: 'pw', vas: [0x0012_3456] },
        { format: 'lpae', ttbr0: 0x4810_0000, t0sz: 1, vas: [0x4abc_def0, 0x8000_0000] },
      ],
    });
    expect(r.runs).toBe(1);
    expect(r.results.map((job) => job.map((x) => x.pa ?? x.fault))).toEqual([
      [0x4c32_3456, 'translation-l1'],
      [0x8abc_def0],
      [0x4c32_3456],
      [0x8abc_def0, 'translation-l1'],
    ]);
    expect(r.info.map((line) => /job=(\w+)/.exec(line)?.[1])).toEqual(['0000', '0001', '0002', '0003']);
  });
});

describe('the shipped firmware', () => {
  it.skipIf(!haveCrossCompiler())('is what firmware/src builds (rebuild with firmware/build.sh and commit the ELF)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qemu-oracle-fw-'));
    try {
      const built = buildFirmware(join(dir, 'oracle.elf'));
      expect(Buffer.compare(readFileSync(built), readFileSync(firmwarePath()))).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is a 32-bit little-endian ARM executable', () => {
    const elf = readFileSync(firmwarePath());
    expect([...elf.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]); // \x7fELF
    expect(elf[4]).toBe(1); // ELFCLASS32
    expect(elf[5]).toBe(1); // little-endian
    expect(elf.readUInt16LE(18)).toBe(40); // EM_ARM
  });
});

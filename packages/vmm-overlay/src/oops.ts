/**
 * How a CPU fault reads: like the kernel oops Linux prints for a bad
 * access ("Unable to handle kernel paging request at virtual address …"),
 * plus the descriptor the walk stopped at (the format's walk reports it),
 * so a user can see why. The fault status values are the ARMv7
 * short-descriptor DFSR encodings (ARM ARM DDI 0406C, B4.1.52).
 */
import { VcmError, hex } from '@vcm/core';
import type { AccessKind, FaultKind } from '@vcm/core';

/** The CPU's privilege for an access: a user-mode access to a privileged-only mapping is a permission fault. */
export type CpuMode = 'kernel' | 'user';

/** DFSR.FS for each fault kind at level 1 (section) and level 2 (page). */
const FSR: Readonly<Record<FaultKind, readonly [number, number]>> = {
  translation: [0x05, 0x07],
  'access-flag': [0x03, 0x06],
  permission: [0x0d, 0x0f],
  // The short format has no address-size fault (its output is 32 bits); these are the long-descriptor DFSR codes.
  'address-size': [0x01, 0x02],
};
/** DFSR.WnR: the abort was caused by a write. */
const FSR_WNR = 1 << 11;

export function faultStatus(kind: FaultKind, level: number, access: AccessKind): number {
  const pair = FSR[kind];
  return (level >= 2 ? pair[1] : pair[0]) | (access === 'write' ? FSR_WNR : 0);
}

/**
 * The `details` of a CPU fault's `VcmError`: the address, access, mode, fault
 * kind, the descriptor and level the walk stopped at, the ARMv7 DFSR value
 * (ARM ARM DDI 0406C, B4.1.52) and the process, as a kernel oops reports them.
 */
export interface CpuFaultDetails {
  readonly address: number;
  readonly access: AccessKind;
  readonly mode: CpuMode;
  readonly kind: FaultKind;
  /** The descriptor the walk stopped at; `undefined` when there was no table to walk. */
  readonly descriptor: number | undefined;
  readonly level: number | undefined;
  readonly reason: string;
  readonly fsr: number;
  readonly asid: number;
  readonly process: string | undefined;
  readonly cpu: string;
}

/** The `EFAULT` a CPU access raises. */
export function cpuFaultError(d: CpuFaultDetails): VcmError {
  const who = d.process === undefined ? '' : `, ${d.process}`;
  const found = d.descriptor === undefined ? 'no page table' : `level-${d.level ?? 1} descriptor ${hex(d.descriptor)}`;
  const message =
    `Unable to handle ${d.mode} paging request at virtual address ${hex(d.address)} ` +
    `(${d.access}, ${d.mode} mode${who}): ${found}: ${d.reason}`;
  return new VcmError('EFAULT', `${d.cpu}: ${message}`, { ...d });
}

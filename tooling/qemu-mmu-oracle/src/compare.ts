/**
 * Comparing vcm's walks with QEMU's MMU (docs/conformance.md#reading-a-disagreement).
 *
 * The project's side of every comparison is a walk result of
 * `@vcm/smmu`'s formats (a leaf or a fault, as data). From it this module
 * derives what an ARMv7 MMU must report for each address translation
 * operation — PL1/PL0 × read/write, the ARM ARM's simplified access
 * permission model (DDI 0406C, B3.7) — and compares that with QEMU's PAR:
 * the physical address or the fault kind and level, and where PAR carries
 * them the memory attribute (LPAE PAR.ATTR, PAR.SH) and the supersection
 * flag (short PAR.SS).
 */
import { isWalkFault } from '@vcm/smmu';
import type { WalkFault, WalkResult, WalkStep } from '@vcm/smmu';
import type { OracleOp, OracleResult } from '../qemu-oracle.js';

/** Every operation the oracle offers: ATS1CPR, ATS1CPW, ATS1CUR, ATS1CUW. */
export const OPS: readonly OracleOp[] = ['pr', 'pw', 'ur', 'uw'];

/** What one translation gives: a physical address or a fault named `<kind>-l<level>`. */
export type Outcome = { readonly pa: number } | { readonly fault: string };

/**
 * The memory type each `vcm.h` cache policy stands for, as an LPAE MAIR
 * attribute byte and a shareability (docs/attributes.md#cache-policies and
 * #encoding-table), by policy value: VCM_NOTCACHED, VCM_WB_WA, VCM_WB_NWA,
 * VCM_WT.
 */
export const POLICY_MEMORY: readonly { readonly attr: number; readonly sh: number }[] = [
  { attr: 0x44, sh: 0b10 },
  { attr: 0xff, sh: 0b11 },
  { attr: 0xee, sh: 0b11 },
  { attr: 0xaa, sh: 0b11 },
];

/** `vcm.h` VCM_CACHE_POLICY: the low four bits of an attribute or prot word. */
const CACHE_POLICY_MASK = 0xf;
const SZ_16M = 0x100_0000;

/** What an ARMv7 MMU reports for `op` given the project's walk. */
export function expectedOutcome(w: WalkResult | WalkFault, op: OracleOp): Outcome {
  if (isWalkFault(w)) return { fault: `${w.fault}-l${w.level}` };
  // ARM: an access-flag fault is checked before permissions.
  if (!w.accessFlag) return { fault: `access-flag-l${w.level}` };
  const write = op === 'pw' || op === 'uw';
  const user = op === 'ur' || op === 'uw';
  if (!w.readable || (write && !w.writable) || (user && !w.user)) return { fault: `permission-l${w.level}` };
  return { pa: w.pa };
}

export function oracleOutcome(r: OracleResult): Outcome {
  return r.pa !== null ? { pa: r.pa } : { fault: `${r.fault ?? 'unknown'}${r.exception ? ' (exception)' : ''}` };
}

const hex = (v: number, digits = 8): string => `0x${v.toString(16).padStart(digits, '0')}`;

export function describeOutcome(o: Outcome): string {
  return 'pa' in o ? hex(o.pa, 10) : o.fault;
}

function sameOutcome(a: Outcome, b: Outcome): boolean {
  return 'pa' in a ? 'pa' in b && a.pa === b.pa : 'fault' in b && a.fault === b.fault;
}

/** One VA as the project sees it: the walk QEMU must agree with, and its trace. */
export interface ProjectView {
  readonly walk: WalkResult | WalkFault;
  readonly steps: readonly WalkStep[];
  /** Why this walk is the one compared (e.g. a secure leaf: the secure walker's view). */
  readonly note?: string;
}

export interface Disagreement {
  /** The register configuration: which context, base and split. */
  readonly config: string;
  readonly op: OracleOp;
  readonly va: number;
  /** What differs: the outcome, or an attribute PAR reports. */
  readonly field: 'outcome' | 'attr' | 'sh' | 'supersection' | 'project';
  readonly project: string;
  readonly qemu: string;
  readonly steps: readonly WalkStep[];
  readonly par?: string;
  readonly note?: string;
}

/** Counts and disagreements of a conformance run. */
export class Tally {
  /** (VA, operation) pairs compared with QEMU. */
  translations = 0;
  translated = 0;
  faulted = 0;
  /** Translations whose PAR attributes (ATTR/SH, or SS) were compared too. */
  attributeChecks = 0;
  readonly perConfig = new Map<string, number>();
  readonly faultKinds = new Map<string, number>();
  readonly disagreements: Disagreement[] = [];

  /**
   * Compare one job's results: `views[i]` is the project's view of
   * `results[i].va` under the registers of `config`.
   */
  checkJob(config: string, format: 'short' | 'lpae', op: OracleOp, views: readonly ProjectView[], results: readonly OracleResult[]): void {
    if (views.length !== results.length) throw new Error(`${config} ${op}: ${views.length} project views for ${results.length} QEMU results`);
    this.perConfig.set(config, (this.perConfig.get(config) ?? 0) + results.length);
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!;
      const view = views[i]!;
      const want = expectedOutcome(view.walk, op);
      const got = oracleOutcome(r);
      this.translations++;
      if ('pa' in got) this.translated++;
      else {
        this.faulted++;
        this.faultKinds.set(got.fault, (this.faultKinds.get(got.fault) ?? 0) + 1);
      }
      const base = { config, op, va: r.va, steps: view.steps, ...(r.par === undefined ? {} : { par: r.par }), ...(view.note === undefined ? {} : { note: view.note }) };
      if (!sameOutcome(want, got)) {
        this.disagreements.push({ ...base, field: 'outcome', project: describeOutcome(want), qemu: describeOutcome(got) });
        continue;
      }
      if (!('pa' in got) || isWalkFault(view.walk)) continue;
      const leaf = view.walk;
      this.attributeChecks++;
      if (format === 'lpae') {
        const memory = POLICY_MEMORY[leaf.prot & CACHE_POLICY_MASK];
        if (memory === undefined) {
          this.disagreements.push({ ...base, field: 'project', project: `prot ${hex(leaf.prot)} has no vcm.h cache policy`, qemu: `attr ${hex(r.attr ?? -1, 2)}` });
        } else {
          if (r.attr !== memory.attr) this.disagreements.push({ ...base, field: 'attr', project: `MAIR attribute ${hex(memory.attr, 2)}`, qemu: `PAR.ATTR ${hex(r.attr ?? -1, 2)}` });
          if (r.sh !== memory.sh) this.disagreements.push({ ...base, field: 'sh', project: `SH ${memory.sh.toString(2)}`, qemu: `PAR.SH ${(r.sh ?? -1).toString(2)}` });
        }
      } else if (r.supersection !== (leaf.size === SZ_16M)) {
        this.disagreements.push({ ...base, field: 'supersection', project: `a ${leaf.size / 1024} KiB leaf`, qemu: `PAR.SS ${r.supersection ? 1 : 0}` });
      }
    }
  }

  /** Record a disagreement between two of the project's own views (e.g. the TLB path and the walk). */
  project(d: Omit<Disagreement, 'field'>): void {
    this.disagreements.push({ ...d, field: 'project' });
  }

  /** The first `max` disagreements, each with its walk trace, and how to replay them. */
  report(seed: number, max = 12): string {
    const lines = [`${this.disagreements.length} disagreement(s) with QEMU's MMU (seed ${seed}; replay with VCM_QEMU_SEED=${seed}):`];
    for (const d of this.disagreements.slice(0, max)) {
      lines.push(`- ${d.config}, ${d.op}, va ${hex(d.va)}: ${d.field}: vcm says ${d.project}, QEMU says ${d.qemu}${d.par ? ` (PAR ${d.par})` : ''}${d.note ? ` [${d.note}]` : ''}`);
      for (const s of d.steps) {
        lines.push(`    L${s.level} entry ${hex(s.entryPa, 10)} descriptor ${s.descriptorHigh ? `${hex(s.descriptorHigh)}:` : ''}${hex(s.descriptor >>> 0)}`);
      }
    }
    if (this.disagreements.length > max) lines.push(`… and ${this.disagreements.length - max} more`);
    return lines.join('\n');
  }

  summary(): string {
    const kinds = [...this.faultKinds].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`);
    return `${this.translations} translations over ${this.perConfig.size} register configurations: ${this.translated} translated, ${this.faulted} faulted (${kinds.join(', ')}), ${this.attributeChecks} with PAR attributes compared`;
  }
}

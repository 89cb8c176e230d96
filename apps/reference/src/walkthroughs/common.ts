/**
 * Helpers the VCM-level walk-throughs share: how a reservation, a physical
 * allocation or a VCM reads in a step's result, the devices of the board,
 * and counting the leaves a context's table uses for a range.
 */
import { isVcmError } from '@vcm/core';
import type { Physmem, Reservation, Vcm } from '@vcm/core';
import type { SmmuContext } from '@vcm/smmu';
import type { ContextChoice, Role } from '../devices.js';
import { formatSize, hex, range } from '../format.js';
import type { RunContext } from './types.js';

export function showVcm(vcm: Vcm): string {
  return `VCM (${vcm.type}) ${range(vcm.startAddr, vcm.len)}`;
}

export function showRes(res: Reservation): string {
  return `reservation of ${formatSize(res.len)}${res.isBacked || res.vcm.type !== 'one-to-one' ? ` at ${hex(res.devAddr)}` : ' (address known once backed)'}`;
}

export function showPhysmem(p: Physmem): string {
  const chunks = p.chunks();
  const by = new Map<number, number>();
  for (const c of chunks) by.set(c.len, (by.get(c.len) ?? 0) + 1);
  const mix = [...by].map(([s, n]) => `${n} × ${formatSize(s)}`).join(' + ');
  if (chunks.length === 1) return `${formatSize(p.len)} in one chunk at ${hex(chunks[0]!.pa)}${p.isContiguous ? ', physically contiguous' : ''}`;
  return `${formatSize(p.len)} in ${chunks.length} chunk(s) (${mix}), first at ${hex(chunks[0]?.pa ?? 0)}${p.isContiguous ? ', physically contiguous' : ''}`;
}

/** Leaves of `ctx`'s loaded tables inside [va, va+len), by size: "2 × 1 MiB + 2 × 64 KiB". */
export function leavesIn(ctx: SmmuContext, va: number, len: number): { count: number; text: string } {
  const by = new Map<number, number>();
  let count = 0;
  for (const t of ctx.dumpTables()) {
    if (t.base === 'own') continue;
    for (const level of t.levels) {
      for (const e of level.entries) {
        if (e.va >= va && e.va < va + len) {
          by.set(e.size, (by.get(e.size) ?? 0) + 1);
          count++;
        }
      }
    }
  }
  const text = [...by].sort((a, b) => b[0] - a[0]).map(([s, n]) => `${n} × ${formatSize(s)}`).join(' + ');
  return { count, text: text || 'none' };
}

/**
 * The TLB entries a stream through [va, va+len) fills: one per leaf, except
 * that an LPAE contiguous-hint run of 16 entries is one TLB entry
 * (`ctx.walk` gives each leaf's TLB span), so it misses once. By span size:
 * "34 × 64 KiB + 4 × 4 KiB".
 */
export function tlbEntriesIn(ctx: SmmuContext, va: number, len: number): { count: number; text: string } {
  const by = new Map<number, number>();
  let count = 0;
  for (let at = va; at < va + len; ) {
    const leaf = ctx.walk(at).leaf;
    if (leaf === undefined) break; // unmapped: the stream faults here, no entry to count
    by.set(leaf.size, (by.get(leaf.size) ?? 0) + 1);
    count++;
    at = leaf.va + leaf.size;
  }
  const text = [...by].sort((a, b) => b[0] - a[0]).map(([s, n]) => `${n} × ${formatSize(s)}`).join(' + ');
  return { count, text: text || 'none' };
}

/** The offsets of every chunk start in a physical allocation, as [offset, pa] pairs. */
export function chunkOffsets(p: Physmem): [number, number][] {
  const out: [number, number][] = [];
  let off = 0;
  for (const c of p.chunks()) {
    out.push([off, c.pa]);
    off += c.len;
  }
  return out;
}

/** The value of a lookup, or `undefined` when the library answers with a `VcmError` (unmapped, EFAULT …). */
export function safe(f: () => number): number | undefined {
  try {
    return f();
  } catch (e) {
    if (isVcmError(e)) return undefined;
    throw e;
  }
}

/** The context chosen for `role`; the runner only starts a walk-through whose needs (and so its roles) the board meets. */
export function contextFor(run: RunContext, role: Role): ContextChoice {
  const choice = run.contexts[role];
  if (choice === undefined) throw new Error(`no context for the ${role} role: the walk-through must list it in its needs`);
  return choice;
}

/**
 * `vcm-ref verify <dump-dir> [--json]` (docs/scenarios.md#checking-images-in-qemu):
 * the images `vcm-ref dump --format bin` wrote, loaded with the dumped
 * registers into QEMU's emulation of the ARM MMU (the repository's oracle,
 * `tooling/qemu-mmu-oracle`, which this private app depends on:
 * docs/decisions.md#vcm-ref-verify-runs-the-repositorys-qemu-oracle); every
 * leaf of the manifest is translated at each table entry it occupies and at
 * its last byte, and must give the physical address the manifest lists.
 *
 * Exit codes: 0 every translation agrees; 1 one does not; 2 bad usage, an
 * unreadable or invalid dump directory, or no QEMU on this machine
 * (`qemu-system-arm` is needed).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hex } from '@vcm/core';
import { MANIFEST_FILE, oracleJob, parseManifest, verificationPlan } from '@vcm/scenario';
import type { PageTableManifest, PlannedTranslation } from '@vcm/scenario';
import { UsageError } from '../board.js';
import { asUsage } from './dump.js';

/** One translation QEMU gave otherwise than the manifest says. */
export interface VerifyMismatch {
  readonly va: number;
  readonly expected: number;
  /** QEMU's physical address, or its fault (`translation-l2`, …). */
  readonly qemu: number | string;
}

export interface VerifyResult {
  readonly dir: string;
  readonly device: string;
  readonly format: 'short' | 'lpae';
  readonly qemu: string;
  readonly images: number;
  readonly leaves: number;
  readonly translations: number;
  readonly mismatches: readonly VerifyMismatch[];
  readonly ok: boolean;
}

function readDump(dir: string): { manifest: PageTableManifest; images: { pa: number; bytes: Uint8Array }[] } {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)} (a directory written by vcm-ref dump --format bin --out <dir>)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${path} is not JSON: ${(e as Error).message}`);
  }
  const manifest = asUsage(() => parseManifest(json));
  const images = manifest.images.map((im) => {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(join(dir, im.file)));
    } catch (e) {
      throw new UsageError(`cannot read ${join(dir, im.file)}: ${(e as NodeJS.ErrnoException).code ?? String(e)} (the manifest lists it)`);
    }
    if (bytes.length !== im.bytes) throw new UsageError(`${join(dir, im.file)} holds ${bytes.length} bytes; the manifest says ${im.bytes}`);
    return { pa: im.pa, bytes };
  });
  return { manifest, images };
}

/** Load the dump into QEMU's MMU and translate every planned address. */
export async function verifyDump(dirArg: string): Promise<VerifyResult> {
  const dir = resolve(dirArg);
  const { manifest, images } = readDump(dir);
  const plan = asUsage(() => verificationPlan(manifest));
  const oracle = await import('@vcm/qemu-mmu-oracle');
  const qemu = oracle.findQemu();
  if (qemu === null) {
    throw new UsageError('verify needs QEMU: neither qemu-system-aarch64 nor qemu-system-arm runs here (Debian: apt-get install qemu-system-arm; or set QEMU_SYSTEM_ARM to the binary)');
  }
  const jobs = plan.map((p) => ({ ...oracleJob(p.regime), vas: p.translations.map((t) => t.va) })) as unknown as Parameters<typeof oracle.qemuTranslateBatch>[0]['jobs'];
  let batch: Awaited<ReturnType<typeof oracle.qemuTranslateBatch>>;
  try {
    batch = await oracle.qemuTranslateBatch({ qemu, images, jobs });
  } catch (e) {
    // The oracle refuses what it cannot load (images over its own memory at 0xff00_0000, overlapping images, registers it cannot hold).
    if (e instanceof RangeError || e instanceof TypeError) throw new UsageError(`${dir}: ${e.message}`);
    // A QEMU_SYSTEM_ARM that names no runnable binary: the machine lacks QEMU, as above.
    if (e instanceof Error && /cannot run/.test(e.message)) throw new UsageError(`verify needs QEMU: ${e.message}`);
    throw e;
  }
  const mismatches: VerifyMismatch[] = [];
  let translations = 0;
  plan.forEach((p, j) => {
    const results = batch.results[j]!;
    p.translations.forEach((t: PlannedTranslation, i) => {
      translations++;
      const r = results[i]!;
      if (r.pa !== t.pa) mismatches.push({ va: t.va, expected: t.pa, qemu: r.pa ?? `${r.fault ?? 'fault'}${r.exception === true ? ' (exception)' : ''}` });
    });
  });
  return { dir, device: manifest.device, format: manifest.format, qemu, images: images.length, leaves: manifest.leaves.length, translations, mismatches, ok: mismatches.length === 0 };
}

export function renderVerifyText(r: VerifyResult): string {
  const lines = [`${r.dir}: ${r.device} (${r.format}), ${r.images} image(s), ${r.leaves} leaves, ${r.translations} translations through QEMU's MMU (${r.qemu})`];
  if (r.ok) lines.push('Every translation gives the physical address the manifest lists.');
  else {
    lines.push(`${r.mismatches.length} translation(s) differ from the manifest:`);
    for (const m of r.mismatches.slice(0, 20)) lines.push(`  ${hex(m.va)}: manifest ${hex(m.expected)}, QEMU ${typeof m.qemu === 'number' ? hex(m.qemu) : m.qemu}`);
    if (r.mismatches.length > 20) lines.push(`  … and ${r.mismatches.length - 20} more`);
  }
  return `${lines.join('\n')}\n`;
}

export function verifyJson(r: VerifyResult): unknown {
  return { ...r, mismatches: r.mismatches.map((m) => ({ va: hex(m.va), expected: hex(m.expected), qemu: typeof m.qemu === 'number' ? hex(m.qemu) : m.qemu })) };
}

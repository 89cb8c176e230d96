/**
 * End-to-end: run the built CLI as a user would (`node dist/cli.js …`) and
 * assert on its `--json` output and exit code. The
 * package's `test` script builds `dist/` first, so these always spawn a
 * fresh build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { msm8x60Board, seedExampleBoard, validateBoard } from '@vcm/devtree';
import type { BoardDescription } from '@vcm/devtree';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunReport, WalkthroughReport } from './report.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const examples = fileURLToPath(new URL('../../../examples/boards/', import.meta.url));

/** The environment without anything that decides colour, so each test says what it means. */
function quietEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['CI', 'FORCE_COLOR', 'NO_COLOR', 'VCM_REF_FAULT_INJECT']) delete env[k];
  return env;
}

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: readonly string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...quietEnv(), ...env }, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function runJson(args: readonly string[], env: Record<string, string> = {}): { status: number | null; report: RunReport; stderr: string } {
  const r = run([...args, '--json'], env);
  return { status: r.status, report: JSON.parse(r.stdout) as RunReport, stderr: r.stderr };
}

function only(report: RunReport, id: string): WalkthroughReport {
  const w = report.walkthroughs.find((x) => x.id === id);
  if (w === undefined) throw new Error(`no walk-through ${id} in the report`);
  return w;
}

function check(w: WalkthroughReport, name: string | RegExp): { pass: boolean; actual: string; expected: string } {
  const c = w.checks.find((x) => (typeof name === 'string' ? x.name === name : name.test(x.name)));
  if (c === undefined) throw new Error(`no check ${String(name)} in ${w.id}: ${w.checks.map((x) => x.name).join(' | ')}`);
  return c;
}

function failing(w: WalkthroughReport): string[] {
  return w.checks.filter((c) => !c.pass).map((c) => `${c.name}: expected ${c.expected}, got ${c.actual}`);
}

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run the package's build (pnpm test builds it first)`);
});

describe('every subcommand runs end to end with all checks passing', () => {
  const ids = ['memory', 'walkthrough', 'three-way', 'video-playback', 'smmu', 'userspace', 'tlb-study', 'migration'];
  for (const id of ids) {
    it(`${id} --json exits 0 with passing checks`, () => {
      const { status, report } = runJson([id]);
      const w = only(report, id);
      expect(failing(w)).toEqual([]);
      expect(w.checks.length).toBeGreaterThan(5);
      expect(w.steps.every((s) => s.ok)).toBe(true);
      expect(report.ok).toBe(true);
      expect(status).toBe(0);
    });
  }

  it('all runs memory first, then the seven walk-throughs in the documented order, and sums every check', () => {
    const { status, report } = runJson([]);
    expect(report.walkthroughs.map((w) => w.id)).toEqual(ids);
    const total = report.walkthroughs.reduce((n, w) => n + w.checks.length, 0);
    expect(report.summary).toMatchObject({ walkthroughs: 8, checks: total, passed: total, failed: 0, failedChecks: [] });
    expect(status).toBe(0);
  });
});

describe('addresses and counters in the JSON', () => {
  it('memory: max munch takes 1 × 16 MiB, 2 × 1 MiB, 3 × 64 KiB, 5 × 4 KiB from SMI at the pool bases', () => {
    const w = only(runJson(['memory']).report, 'memory');
    const a = w.data['allocation'] as { len: number; chunks: { pa: number; blockSize: number }[] };
    expect(a.len).toBe(0x0123_5000);
    expect(a.chunks.map((c) => c.blockSize)).toEqual([0x100_0000, 0x10_0000, 0x10_0000, 0x1_0000, 0x1_0000, 0x1_0000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000]);
    expect(a.chunks[0]!.pa).toBe(0x3800_0000);
    expect(a.chunks[1]!.pa).toBe(0x3900_0000);
    expect(a.chunks[3]!.pa).toBe(0x3980_0000);
    expect(a.chunks[6]!.pa).toBe(0x39c0_0000);
  });

  it('walkthrough: the device reservation is 1 MiB-aligned in the VCM, the kernel one in vmalloc, both on the same chunks', () => {
    const w = only(runJson(['walkthrough']).report, 'walkthrough');
    const a = w.data['addresses'] as { res: number; resVmm: number; pgtblPa: number; chunks: { pa: number; len: number }[] };
    expect(a.res).toBe(0x0010_0000);
    expect(a.resVmm).toBeGreaterThanOrEqual(0xc000_0000);
    expect(a.chunks.map((c) => c.len)).toEqual([0x10_0000, 0x10_0000, 0x1_0000, 0x1_0000, 0x1000, 0x1000, 0x1000, 0x1000]);
    expect(check(w, 'bytes the device wrote = bytes the CPU read').pass).toBe(true);
    expect(check(w, /one TLB miss per leaf/).actual).toBe('8');
  });

  it('three-way: the one-to-one address is the physical address, inside the contiguous pool', () => {
    const w = only(runJson(['three-way']).report, 'three-way');
    const a = w.data['addresses'] as { phys: number; onetoone: number; iommu: number; contiguousRegion: { pa: number; len: number } };
    expect(a.onetoone).toBe(a.phys);
    expect(a.contiguousRegion).toEqual({ pa: 0x3b80_0000, len: 0x80_0000 });
    expect(a.phys).toBe(0x3b80_0000);
    expect(a.iommu % 0x10_0000).toBe(0);
    expect(w.checks.filter((c) => c.name.includes('reads the same bytes')).length).toBe(6);
  });

  it('video-playback: the seed\'s 8*SZ_64K back answers -EINVAL, buffers land on their alignments, checksums agree', () => {
    const w = only(runJson(['video-playback']).report, 'video-playback');
    expect(check(w, /mismatched vcm_back/).actual).toBe('-22');
    const a = w.data['addresses'] as { base64k: number; base16M: number; sg: { pa: number; len: number }[] };
    expect(a.base64k).toBe(0x0001_0000);
    expect(a.base16M).toBe(0x0100_0000);
    expect(a.sg).toHaveLength(2);
    const sums = w.data['checksums'] as Record<string, number>;
    expect(sums['decoderRead']).toBe(sums['stream']);
    expect(sums['displayRead']).toBe(sums['frame']);
    expect(sums['kernelRead']).toBe(sums['frame']);
    const step = w.steps.find((s) => s.cCall === 'vcm_back(res_64k, buf_64k);');
    expect(step?.result).toMatch(/^-22 \(-EINVAL\)/);
  });

  it('smmu: the fault handler ran once for the unmapped address and the retry succeeded', () => {
    const w = only(runJson(['smmu']).report, 'smmu');
    expect(w.data['fault']).toMatchObject({ kind: 'translation', address: 0x0200_0000, far: 0x0200_0000 });
    expect(check(w, 'after unmap the page no longer translates (no stale TLB entry)').actual).toBe('EFAULT');
  });

  it('tlb-study: 4096/256/16/1 misses for the sequential 16 MiB stream through a 32-entry TLB', () => {
    const w = only(runJson(['tlb-study']).report, 'tlb-study');
    type M = { mapping: string; pattern: string; tlbEntries: number; misses: number; walks: number; accesses: number; hits: number };
    const results = w.data['results'] as M[];
    const seq32 = (m: string): M | undefined => results.find((r) => r.mapping === m && r.pattern === 'sequential' && r.tlbEntries === 32);
    expect(seq32('4 KiB pages')?.misses).toBe(4096);
    expect(seq32('64 KiB pages')?.misses).toBe(256);
    expect(seq32('1 MiB sections')?.misses).toBe(16);
    expect(seq32('16 MiB supersection')?.misses).toBe(1);
    expect(seq32('max-munch mix')?.misses).toBe(8 + 64 + 1024);
    expect(new Set(results.map((r) => r.tlbEntries))).toEqual(new Set([8, 16, 32, 64, 128]));
    for (const r of results) {
      expect(r.walks).toBe(r.misses);
      expect(r.hits + r.misses).toBe(r.accesses);
    }
    expect(w.tables.map((t) => t.title).slice(0, 2)).toEqual([expect.stringMatching(/^Sequential/), expect.stringMatching(/^Rotated/)]);
    // The two miss charts, then the performance study's frame time against the 60 fps deadline per frame size.
    expect(w.charts.map((c) => [c.unit, c.marker?.value])).toEqual([['misses', undefined], ['misses', undefined], ['ms', 16.67], ['ms', 16.67]]);
  });

  it('userspace: the /dev buffer is in the process mmap area and in the context\'s VCM', () => {
    const w = only(runJson(['userspace']).report, 'userspace');
    const a = w.data['addresses'] as { context: string; userVa: number; devAddr: number; base: number };
    expect(a.context).toBe('vcodec_a_stream');
    expect(a.base).toBe(0x0400_0000);
    expect(a.devAddr).toBe(0x1000_0000);
    expect(w.figures[0]?.text).toMatch(/^smmu\/\n {1}vcodec_a\/\n {2}vcodec_a_mm1\n {2}vcodec_a_stream/);
  });
});

describe('a broken invariant fails loudly', () => {
  it('a page-table entry corrupted through PhysicalMemory between two steps fails the walk-through and exits 1', () => {
    const { status, report } = runJson(['walkthrough', '--inject', 'corrupt-pte']);
    const w = only(report, 'walkthrough');
    expect(w.steps.some((s) => s.ran.startsWith('memory.writeU32('))).toBe(true);
    expect(check(w, 'bytes the device wrote = bytes the CPU read').pass).toBe(false);
    expect(check(w, /vcm_dev_addr_to_phys_addr\(dev, res \+ 0x0000_0000\)/).pass).toBe(false);
    expect(report.summary.failed).toBeGreaterThan(0);
    expect(report.ok).toBe(false);
    expect(status).toBe(1);
  });

  it('the same through the environment (VCM_REF_FAULT_INJECT), in text mode', () => {
    const r = run(['walkthrough'], { VCM_REF_FAULT_INJECT: 'corrupt-pte' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/✗ bytes the device wrote = bytes the CPU read/);
    expect(r.stdout).toMatch(/checks FAILED/);
  });
});

describe('boards and usage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vcm-ref-'));

  it('an invalid --board file prints the validation error with its JSON path and exits 2', () => {
    const board = msm8x60Board() as unknown as { smmus: { format: string }[] };
    board.smmus[3]!.format = 'armV8';
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(board));
    const r = run(['--board', file, 'memory']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('board.smmus[3].format');
    expect(r.stderr).toContain('armV8');
    expect(r.stdout).toBe('');
  });

  it('a --board file that is not JSON, or missing, exits 2', () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ "name": ');
    expect(run(['--board', file]).status).toBe(2);
    expect(run(['--board', join(dir, 'nope.json')]).status).toBe(2);
  });

  it('another valid board runs what it can (the seed\'s example tree: all but three-way and migration)', () => {
    const file = join(dir, 'seed.json');
    writeFileSync(file, JSON.stringify(seedExampleBoard()));
    const { status, report } = runJson(['--board', file]);
    expect(report.board).toEqual({ name: 'seed-example', source: file });
    expect(report.walkthroughs.filter((w) => w.status === 'skipped').map((w) => w.id)).toEqual(['three-way', 'migration']);
    expect(report.summary.failedChecks).toEqual([]);
    expect(status).toBe(0);
  });

  it('an unknown option or fault injection is bad usage: exit 2', () => {
    expect(run(['--no-such-option']).status).toBe(2);
    expect(run(['smmu', '--inject', 'nonsense']).status).toBe(2);
    expect(run(['smmu'], { VCM_REF_FAULT_INJECT: 'nonsense' }).status).toBe(2);
  });

  it('tlb-study --frames takes a whole number from 1 to 100; anything else is exit 2 before the study runs, and other walk-throughs have no --frames', () => {
    for (const bad of ['0', '101', '1.5', '-1', 'two', '']) {
      const r = run(['tlb-study', '--frames', bad]);
      expect([r.status, r.stdout, r.stderr]).toEqual([2, '', `vcm-ref: --frames ${JSON.stringify(bad)}: not a number of frames (allowed: a whole number from 1 to 100)\n`]);
    }
    expect(run(['smmu', '--frames', '2']).status).toBe(2);
  });
});

describe('a command line that fits the shell', () => {
  it('--version prints the version from package.json and exits 0', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = run([flag]);
      expect(r.stdout).toBe(`${pkg.version}\n`);
      expect(r.status).toBe(0);
    }
  });

  it('a leading -- (what `pnpm start -- …` passes on) is ignored', () => {
    const { status, report } = runJson(['--', 'memory']);
    expect(report.walkthroughs.map((w) => w.id)).toEqual(['memory']);
    expect(status).toBe(0);
    // Only a leading one: after it, -- still ends the options as usual.
    expect(run(['memory', '--', '--json']).status).toBe(2);
  });

  it('a mistyped subcommand is not taken for an argument of all: it says "did you mean", exits 2, prints nothing on stdout', () => {
    const r = run(['walkthroug']);
    expect(r.stderr).toContain("error: unknown command 'walkthroug'");
    expect(r.stderr).toContain('(Did you mean walkthrough?)');
    expect(r.stdout).toBe('');
    expect(r.status).toBe(2);
    const far = run(['zzz']);
    expect(far.stderr).toContain("error: unknown command 'zzz'");
    expect(far.stderr).toContain('(run vcm-ref --help for usage)');
    expect(far.status).toBe(2);
  });

  it('a mistyped option says "did you mean" too', () => {
    const r = run(['memory', '--verbse']);
    expect(r.stderr).toContain("error: unknown option '--verbse'");
    expect(r.stderr).toContain('(Did you mean --verbose?)');
    expect(r.status).toBe(2);
  });

  it('no subcommand runs all, options before or after', () => {
    const a = runJson([]).report;
    expect(a.walkthroughs.map((w) => w.id)).toEqual(['memory', 'walkthrough', 'three-way', 'video-playback', 'smmu', 'userspace', 'tlb-study', 'migration']);
  });

  it('colour: off when piped, on with FORCE_COLOR or --color, and NO_COLOR or --no-color win', () => {
    const esc = (r: Run): boolean => r.stdout.includes('\u001b[');
    expect(esc(run(['memory']))).toBe(false);
    expect(esc(run(['memory'], { FORCE_COLOR: '1' }))).toBe(true);
    expect(esc(run(['memory', '--color']))).toBe(true);
    expect(esc(run(['memory'], { FORCE_COLOR: '1', NO_COLOR: '1' }))).toBe(false);
    expect(esc(run(['memory', '--no-color'], { FORCE_COLOR: '1' }))).toBe(false);
    // --json is never coloured.
    expect(run(['memory', '--json'], { FORCE_COLOR: '1' }).stdout.includes('\u001b[')).toBe(false);
  });
});

describe('vcm-ref board', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vcm-ref-board-'));

  it('--print prints the default board as validateBoard normalises it', () => {
    const r = run(['board', '--print']);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(JSON.stringify(validateBoard(msm8x60Board()))));
    expect(r.status).toBe(0);
  });

  it('--print with --board: hex strings become numbers, defaults are filled in', () => {
    const file = join(dir, 'seed.json');
    writeFileSync(file, JSON.stringify(seedExampleBoard()));
    const printed = JSON.parse(run(['board', '--board', file, '--print']).stdout) as { smmus: { base: number; contexts: { name: string; bank: number }[] }[] };
    expect(printed.smmus[0]!.base).toBe(0x0400_0000);
    expect(printed.smmus[0]!.contexts).toEqual([
      { name: 'ctx0', bank: 0 },
      { name: 'ctx1', bank: 1 },
      { name: 'ctx2', bank: 2 },
    ]);
  });

  it('without --print: the board in a few lines and what each walk-through would do on it', () => {
    const file = join(dir, 'no-4k.json');
    writeFileSync(file, JSON.stringify(withoutSmi4k()));
    const r = run(['board', '--board', file]);
    expect(r.stdout).toMatch(/^board "no-4k" \(.*no-4k\.json\): valid$/m);
    expect(r.stdout).toContain('  – walkthrough: skipped: this board has no 4 KiB pool in VCM_MEMTYPE_0');
    expect(r.stdout).toContain('  ✓ memory: runs');
    expect(r.status).toBe(0);
  });

  it('an invalid board is exit 2 here too', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...msm8x60Board(), cpus: [] }));
    const r = run(['board', '--board', file, '--print']);
    expect(r.stderr).toContain('board.cpus');
    expect(r.stdout).toBe('');
    expect(r.status).toBe(2);
  });
});

/** MSM8x60 whose VCM_MEMTYPE_0 has no 4 KiB pool: valid, but walkthrough and smmu cannot run on it. */
function withoutSmi4k(): BoardDescription {
  const b = structuredClone(msm8x60Board()) as { -readonly [K in keyof BoardDescription]: BoardDescription[K] };
  return {
    ...b,
    name: 'no-4k',
    memory: { ...b.memory, memtypes: b.memory.memtypes.map((m) => (m.id === 1 ? { ...m, pools: m.pools.filter((p) => p !== 'smi-4k') } : m)) },
  };
}

describe('a valid board that lacks what a walk-through needs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vcm-ref-skip-'));

  it('skips those walk-throughs with the reason, runs the rest, and exits 0', () => {
    const file = join(dir, 'no-4k.json');
    writeFileSync(file, JSON.stringify(withoutSmi4k()));
    const { status, report } = runJson(['--board', file]);
    const skipped = report.walkthroughs.filter((w) => w.status === 'skipped');
    expect(skipped.map((w) => [w.id, w.skipReasons])).toEqual([
      ['walkthrough', ['this board has no 4 KiB pool in VCM_MEMTYPE_0']],
      ['smmu', ['this board has no 4 KiB pool in VCM_MEMTYPE_0']],
      ['tlb-study', ['VCM_MEMTYPE_0 runs out of blocks: 4 MiB of a 16 MiB allocation (1 MiB, 64 KiB, 4 KiB blocks) are missing']],
    ]);
    for (const w of skipped) expect(w.steps).toEqual([]);
    expect(report.summary).toMatchObject({ walkthroughs: 8, passedWalkthroughs: 5, skippedWalkthroughs: 3, failedWalkthroughs: 0, failed: 0 });
    expect(report.summary.skipped).toContain('walkthrough: this board has no 4 KiB pool in VCM_MEMTYPE_0');
    expect(report.ok).toBe(true);
    expect(status).toBe(0);
  });

  it('the text view says "skipped:" with the reason, and counts skipped walk-throughs in the summary', () => {
    const file = join(dir, 'no-4k.json');
    writeFileSync(file, JSON.stringify(withoutSmi4k()));
    const r = run(['--board', file, 'walkthrough']);
    expect(r.stdout).toContain('  skipped: this board has no 4 KiB pool in VCM_MEMTYPE_0');
    expect(r.stdout).toMatch(/^ {2}– walkthrough +skipped: this board has no 4 KiB pool in VCM_MEMTYPE_0$/m);
    expect(r.stdout).toMatch(/all 0 checks passed in 0 walk-through\(s\), 1 skipped for this board/);
    expect(r.status).toBe(0);
  });

  const files = existsSync(examples) ? readdirSync(examples).filter((f) => f.endsWith('.json')) : [];
  for (const f of files) {
    it(`examples/boards/${f}: exit 0, and every skipped walk-through names its reason`, () => {
      const { status, report } = runJson(['--board', join(examples, f)]);
      expect(report.summary.failedChecks).toEqual([]);
      for (const w of report.walkthroughs) {
        if (w.status === 'skipped') expect(w.skipReasons.length).toBeGreaterThan(0);
        else expect(w.skipReasons).toEqual([]);
      }
      expect(status).toBe(0);
    });
  }
});

describe('text output', () => {
  it('opens with one paragraph explaining what is shown, has no colour off a TTY, and ends with the summary', () => {
    const r = run(['smmu']);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^vcm-ref — the VCMM walk-throughs on board "msm8x60"/);
    expect(lines[2]).toMatch(/^What you are looking at:/);
    expect(r.stdout.includes('\u001b[')).toBe(false);
    expect(r.stdout).toMatch(/all \d+ checks passed in 1 walk-through\(s\)/);
    expect(r.stdout).toContain('smmu_map(dev, ');
  });

  it('--verbose adds page-table dumps', () => {
    const plain = run(['smmu']).stdout;
    const verbose = run(['smmu', '--verbose']).stdout;
    expect(plain).not.toContain('[verbose]');
    expect(verbose).toContain('[verbose] vcodec_a_mm1 tables after the maps');
    expect(verbose).toMatch(/0x0100_0000-0x01ff_ffff -> 0x3800_0000/);
  });
});

/**
 * What the scenario definition cannot say (docs/scenarios.md#rules): the
 * board is a known preset or a valid board; every name a mapping, traffic
 * or expectation uses exists (with the closest names offered); each buffer
 * fits its memtype; fixed reservations do not overlap; each device reaches
 * the buffers it moves through a space associated with it. The first
 * problem is thrown, as every scenario error, with its path.
 */
import { msm8x60Board, seedExampleBoard, validateBoard } from '@vcm/devtree';
import type { Board, BoardDescription } from '@vcm/devtree';
import type { BOARD_PRESETS } from './definition.js';
import type { BufferSpec, DataSpec, Scenario, SpaceSpec } from './definition.js';
import { imageGeometry, minStride, pageRounded } from './image.js';
import { scenarioError, unknownName } from './issues.js';
import { smmuClockMHz } from './timing.js';

/** The board description a preset name stands for. */
export function presetBoard(name: (typeof BOARD_PRESETS)[number]): BoardDescription {
  return name === 'msm8x60' ? msm8x60Board() : seedExampleBoard();
}

/** The scenario's board as a description (a preset expanded) and validated. */
export function resolveBoard(board: Scenario['board']): { description: unknown; board: Board } {
  const description: unknown = typeof board === 'string' ? presetBoard(board) : board;
  // devtree's error paths start with "board", which is where the board sits in a scenario.
  return { description, board: validateBoard(description) };
}

const PAGE_BLOCKS: Readonly<Record<string, number>> = { '1M': 2 ** 20, '64K': 2 ** 16, '4K': 2 ** 12 };

/** What the runner needs to know about a buffer beyond its entry. */
export interface BufferPlan {
  readonly spec: BufferSpec;
  readonly memtype: number;
  /** Bytes of one instance as the format gives it (before rounding to pages). */
  readonly bytes: number;
  /** Bytes allocated per instance (whole pages). */
  readonly allocBytes: number;
  /** Bytes per row (the image stride), when the buffer is an image. */
  readonly stride: number | undefined;
}

function memtypeOf(board: Board, ref: number | string, path: string): Board['memory']['memtypes'][number] {
  const types = board.memory.memtypes;
  const found = typeof ref === 'number' ? types.find((t) => t.id === ref) : types.find((t) => t.name === ref);
  if (found !== undefined) return found;
  if (typeof ref === 'string') throw unknownName(path, ref, `a memtype of board "${board.name}"`, types.map((t) => t.name));
  throw scenarioError(path, ref, `is not a memtype id of board "${board.name}"`, types.map((t) => `${t.id} (${t.name})`).join(', '));
}

/** How many bytes `memtype` can give one allocation with these pages (all its pools, or its contiguous pool). */
function capacity(board: Board, memtype: Board['memory']['memtypes'][number], spec: BufferSpec): number {
  if (spec.contiguous) {
    const pool = board.memory.pools.find((p) => p.kind === 'contiguous' && p.name === memtype.contiguous);
    return pool?.size ?? 0;
  }
  const all = spec.pages.includes('all');
  const sizes = new Set(spec.pages.map((p) => PAGE_BLOCKS[p]));
  let total = 0;
  for (const name of memtype.pools) {
    const pool = board.memory.pools.find((p) => p.name === name);
    if (pool?.kind === 'block' && (all || sizes.has(pool.blockSize))) total += pool.size;
  }
  return total;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

function planBuffers(scenario: Scenario, board: Board): BufferPlan[] {
  const seen = new Set<string>();
  return scenario.buffers.map((b, i) => {
    const at = `buffers[${i}]`;
    if (seen.has(b.name)) throw scenarioError(`${at}.name`, b.name, 'is the name of an earlier buffer', 'a name unique among buffers');
    seen.add(b.name);
    if ((b.bytes === undefined) === (b.image === undefined)) {
      throw scenarioError(at, b, b.bytes === undefined ? 'has neither bytes nor image' : 'has both bytes and image', 'exactly one of "bytes" (a size) and "image" ({ format, width, height, stride?, heightAlign? })');
    }
    if (b.image !== undefined && b.image.stride !== undefined && b.image.stride < minStride(b.image)) {
      throw scenarioError(`${at}.image.stride`, b.image.stride, `is shorter than a row of ${b.image.width} ${b.image.format} pixels`, `at least ${minStride(b.image)} bytes`);
    }
    const geometry = b.image === undefined ? undefined : imageGeometry(b.image);
    const bytes = geometry?.bytes ?? b.bytes!;
    if (bytes < 1) throw scenarioError(`${at}.bytes`, bytes, 'is empty', 'at least 1 byte');
    if (b.align !== undefined && (!isPowerOfTwo(b.align) || b.align < 4096)) throw scenarioError(`${at}.align`, b.align, 'is not a power of two from 4 KiB', '4096, 8192, … (a power of two)');
    if (b.contiguous && b.pages.some((p) => p !== 'all')) throw scenarioError(`${at}.pages`, b.pages, 'selects block sizes for a contiguous buffer', '["all"] (a VCM_PHYS_CONT allocation is one run from the contiguous pool)');
    const memtype = memtypeOf(board, b.memtype, `${at}.memtype`);
    if (b.contiguous && memtype.contiguous === undefined) {
      throw scenarioError(`${at}.contiguous`, true, `asks for VCM_PHYS_CONT, but memtype ${memtype.name} has no contiguous pool`, `false, or a memtype with a contiguous pool: ${board.memory.memtypes.filter((t) => t.contiguous !== undefined).map((t) => t.name).join(', ') || 'none on this board'}`);
    }
    const allocBytes = pageRounded(bytes);
    const room = capacity(board, memtype, b);
    if (allocBytes * b.count > room) {
      const field = b.image === undefined ? `${at}.bytes` : `${at}.image`;
      throw scenarioError(field, bytes, `× ${b.count} is larger than memtype ${memtype.name} can hold${b.contiguous ? ' in its contiguous pool' : ` with pages ${b.pages.join(', ')}`}`, `at most ${room} bytes in all (${Math.floor(room / allocBytes)} such buffers)`);
    }
    return { spec: b, memtype: memtype.id, bytes, allocBytes, stride: geometry?.stride };
  });
}

/** The devices of the board by kind. */
export interface BoardDevices {
  readonly contexts: readonly string[];
  readonly cpu: string;
  readonly direct: readonly string[];
}

export function boardDevices(board: Board): BoardDevices {
  return { contexts: board.smmus.flatMap((s) => s.contexts.map((c) => c.name)), cpu: board.cpus[0]!.name, direct: board.directDevices.map((d) => d.name) };
}

function allDevices(d: BoardDevices): string[] {
  return [...d.contexts, d.cpu, ...d.direct];
}

/** The devices associated with a space (kernel and process spaces: the CPU). */
export function spaceDevices(space: SpaceSpec, devices: BoardDevices): string[] {
  return space.kind === 'kernel' || space.kind === 'process' ? [devices.cpu] : [...space.devices];
}

function checkSpaces(scenario: Scenario, board: Board, devices: BoardDevices): void {
  const seen = new Set<string>();
  scenario.spaces.forEach((s, i) => {
    const at = `spaces[${i}]`;
    if (seen.has(s.name)) throw scenarioError(`${at}.name`, s.name, 'is the name of an earlier space', 'a name unique among spaces');
    seen.add(s.name);
    if (s.kind === 'device') {
      if (s.start === undefined) throw scenarioError(`${at}.start`, undefined, 'is needed by a device space', 'the first device address, e.g. "0x1000_0000"');
      if (s.len === undefined || s.len < 4096) throw scenarioError(`${at}.len`, s.len, 'is needed by a device space', 'a length of at least 4 KiB');
    } else {
      for (const key of ['start', 'len', 'split', 'base'] as const) {
        if (s[key] !== undefined) throw scenarioError(`${at}.${key}`, s[key], `is only for device spaces, not a ${s.kind} space`, 'omit it');
      }
    }
    if (s.kind === 'process' && s.process === undefined) throw scenarioError(`${at}.process`, undefined, 'is needed by a process space', 'the process\'s name');
    if (s.kind !== 'process' && s.process !== undefined) throw scenarioError(`${at}.process`, s.process, `is only for process spaces, not a ${s.kind} space`, 'omit it');
    if (s.kind !== 'one-to-one' && s.memtype !== undefined) throw scenarioError(`${at}.memtype`, s.memtype, `is only for one-to-one spaces, not a ${s.kind} space`, 'omit it');
    if (s.kind === 'one-to-one') {
      const memtype = memtypeOf(board, s.memtype ?? 1, `${at}.memtype`);
      if (memtype.contiguous === undefined) throw scenarioError(`${at}.memtype`, s.memtype ?? 1, `has no contiguous pool for a one-to-one space to span`, 'a memtype with a contiguous pool');
    }
    s.devices.forEach((d, j) => {
      const where = `${at}.devices[${j}]`;
      const fits = s.kind === 'device' ? devices.contexts : s.kind === 'one-to-one' ? devices.direct : [devices.cpu];
      if (!fits.includes(d)) {
        if (allDevices(devices).includes(d)) throw scenarioError(where, d, `cannot be associated with a ${s.kind} space`, fits.length > 0 ? fits.map((n) => JSON.stringify(n)).join(', ') : 'no device of this board');
        throw unknownName(where, d, `a device of board "${board.name}"`, fits.length > 0 ? fits : allDevices(devices));
      }
      if (s.devices.indexOf(d) !== j) throw scenarioError(where, d, 'is listed twice', 'each device once');
    });
  });
}

function checkMappings(scenario: Scenario, plans: readonly BufferPlan[]): void {
  const buffers = scenario.buffers.map((b) => b.name);
  const spaces = scenario.spaces.map((s) => s.name);
  const fixed = new Map<string, number>();
  const pairs = new Set<string>();
  scenario.mappings.forEach((m, i) => {
    const at = `mappings[${i}]`;
    if (!buffers.includes(m.buffer)) throw unknownName(`${at}.buffer`, m.buffer, 'a buffer of the scenario', buffers);
    if (!spaces.includes(m.space)) throw unknownName(`${at}.space`, m.space, 'a space of the scenario', spaces);
    const space = scenario.spaces.find((s) => s.name === m.space)!;
    const plan = plans.find((p) => p.spec.name === m.buffer)!;
    if (pairs.has(`${m.buffer}\0${m.space}`)) throw scenarioError(`${at}.space`, m.space, `already maps buffer "${m.buffer}" (an earlier mapping)`, 'one mapping per buffer and space');
    pairs.add(`${m.buffer}\0${m.space}`);
    if (m.at === 'start') {
      if (space.kind !== 'device') throw scenarioError(`${at}.at`, m.at, `is a fixed reservation, which only device spaces place (space "${m.space}" is a ${space.kind} space)`, 'omit "at"');
      const earlier = fixed.get(m.space);
      if (earlier !== undefined) throw scenarioError(`${at}.at`, m.at, `overlaps the fixed reservation of mappings[${earlier}] at the start of space "${m.space}"`, 'one fixed reservation per space; omit "at" to let the space place this one');
      if (plan.spec.count > 1) throw scenarioError(`${at}.at`, m.at, `would place all ${plan.spec.count} instances of buffer "${m.buffer}" at the start of space "${m.space}", on top of each other`, 'omit "at", or a buffer with count 1');
      fixed.set(m.space, i);
    }
    if (m.align !== undefined && (!isPowerOfTwo(m.align) || m.align < 4096 || m.align > 2 ** 30)) throw scenarioError(`${at}.align`, m.align, 'is not a power of two from 4 KiB to 1 GiB', '4096, 65536, 1048576, … (VCM_ALIGN_4K … VCM_ALIGN_1GB)');
    if (space.kind === 'device' && space.len !== undefined && plan.allocBytes * plan.spec.count > space.len) {
      throw scenarioError(`${at}.buffer`, m.buffer, `needs ${plan.allocBytes * plan.spec.count} bytes, more than space "${m.space}" holds`, `buffers of at most ${space.len} bytes in all`);
    }
  });
}

/** The space through which `device` reaches `buffer`: the named one, or the only one that maps it and is associated with the device. */
export function spaceFor(scenario: Scenario, devices: BoardDevices, device: string, buffer: string, named: string | undefined): string[] {
  return scenario.spaces
    .filter((s) => (named === undefined || s.name === named) && spaceDevices(s, devices).includes(device) && scenario.mappings.some((m) => m.space === s.name && m.buffer === buffer))
    .map((s) => s.name);
}

function checkTraffic(scenario: Scenario, board: Board, devices: BoardDevices, plans: readonly BufferPlan[]): void {
  const names = allDevices(devices);
  const buffers = scenario.buffers.map((b) => b.name);
  scenario.traffic.forEach((t, i) => {
    const at = `traffic[${i}]`;
    if (!names.includes(t.device)) throw unknownName(`${at}.device`, t.device, `a device of board "${board.name}"`, names);
    if (t.space !== undefined && !scenario.spaces.some((s) => s.name === t.space)) throw unknownName(`${at}.space`, t.space, 'a space of the scenario', scenario.spaces.map((s) => s.name));
    const pattern = typeof t.pattern === 'string' ? t.pattern : t.pattern.kind;
    if (t.data !== false && pattern !== 'sequential') throw scenarioError(`${at}.data`, t.data, `moves real bytes, which only the sequential pattern does (this traffic is ${pattern})`, 'false, or pattern "sequential"');
    if (typeof t.data === 'object') checkDataSource(scenario, i, t.data);
    t.buffers.forEach((b, j) => {
      const where = `${at}.buffers[${j}]`;
      if (!buffers.includes(b)) throw unknownName(where, b, 'a buffer of the scenario', buffers);
      const ways = spaceFor(scenario, devices, t.device, b, t.space);
      if (ways.length === 0) {
        throw scenarioError(where, b, `is not mapped in any space ${t.space === undefined ? '' : `named "${t.space}" `}associated with device "${t.device}"`, `a buffer mapped (mappings) in a space whose devices include "${t.device}"`);
      }
      if (ways.length > 1) throw scenarioError(`${at}.space`, t.space, `is needed: buffer "${b}" is mapped for device "${t.device}" in several spaces (${ways.join(', ')})`, ways.map((w) => JSON.stringify(w)).join(', '));
      const plan = plans.find((p) => p.spec.name === b)!;
      if ((pattern === 'rotated' || pattern === 'tiles') && plan.stride === undefined && t.row === undefined) {
        throw scenarioError(`${at}.row`, undefined, `is needed: the ${pattern} pattern reads rows, and buffer "${b}" is not an image`, 'the bytes per row, e.g. 8192');
      }
      if (typeof t.pattern === 'object' && t.pattern.kind === 'tiles' && t.pattern.width > (t.row ?? plan.stride ?? 0)) {
        throw scenarioError(`${at}.pattern.width`, t.pattern.width, `is wider than a row of buffer "${b}"`, `at most ${t.row ?? plan.stride ?? 0} bytes`);
      }
    });
  });
}

/** A write's data source: a seed, or a buffer the same device read (with data) in an earlier traffic entry. */
function checkDataSource(scenario: Scenario, i: number, data: DataSpec): void {
  const at = `traffic[${i}].data`;
  const t = scenario.traffic[i]!;
  for (const key of ['seed', 'from'] as const) {
    if (data[key] !== undefined && t.access !== 'write') throw scenarioError(`${at}.${key}`, data[key], 'says where written bytes come from, but this traffic reads', 'omit it, or data: true');
  }
  if (data.seed !== undefined && data.from !== undefined) throw scenarioError(`${at}.seed`, data.seed, 'fills bytes that "from" derives from a read', 'one of "seed" and "from"');
  if (data.from === undefined) return;
  const buffers = scenario.buffers.map((b) => b.name);
  if (!buffers.includes(data.from)) throw unknownName(`${at}.from`, data.from, 'a buffer of the scenario', buffers);
  const reads = scenario.traffic.slice(0, i).some((r) => r.device === t.device && r.access === 'read' && r.data !== false && r.buffers.includes(data.from!));
  if (!reads) {
    throw scenarioError(`${at}.from`, data.from, `is not read with data by device "${t.device}" in an earlier traffic entry, so there are no bytes to derive from`, `a buffer that an earlier entry { device: ${t.device}, access: read, data: true } reads`);
  }
}

/** A deadline needs a frame period (traffic with fps) and seconds (a context of an SMMU with a clock). */
function checkDeadline(scenario: Scenario, board: Board, devices: BoardDevices, at: string, device: string): void {
  const clocked = board.smmus.filter((s) => smmuClockMHz(s) > 0).flatMap((s) => s.contexts.map((c) => c.name));
  const paced = new Set(scenario.traffic.filter((t) => t.fps !== undefined).map((t) => t.device));
  const fits = [...paced].filter((d) => clocked.includes(d));
  const allowed = `a device with traffic at a frame rate through a context of a clocked SMMU: ${fits.map((d) => JSON.stringify(d)).join(', ') || 'none in this scenario'}`;
  if (!devices.contexts.includes(device)) throw scenarioError(`${at}.device`, device, 'has no SMMU context, so its traffic is not timed', allowed);
  if (!clocked.includes(device)) {
    const smmu = board.smmus.find((s) => s.contexts.some((c) => c.name === device))!;
    throw scenarioError(`${at}.device`, device, `is a context of SMMU "${smmu.name}", which has no clock (model ${smmu.model ?? 'msm8x60'}; caches.timing.clockMHz 0), so its frames take no seconds`, `${allowed}; or give the SMMU a timed model ("mmu-500", "mmu-600") or caches.timing`);
  }
  if (!paced.has(device)) throw scenarioError(`${at}.device`, device, 'has no traffic with fps, so its frames have no period to meet', allowed);
}

function checkExpect(scenario: Scenario, board: Board, devices: BoardDevices): void {
  const moving = [...new Set(scenario.traffic.map((t) => t.device))];
  const buffers = scenario.buffers.map((b) => b.name);
  const names = new Set<string>();
  scenario.expect.forEach((e, i) => {
    const at = `expect[${i}]`;
    if (names.has(e.name)) throw scenarioError(`${at}.name`, e.name, 'is the name of an earlier expectation', 'a name unique among expectations');
    names.add(e.name);
    if (e.kind === 'misses' || e.kind === 'walks' || e.kind === 'walk-accesses' || e.kind === 'deadline') {
      if (!moving.includes(e.device)) throw unknownName(`${at}.device`, e.device, 'a device with traffic', moving);
    }
    if (e.kind === 'walk-accesses' && !devices.contexts.includes(e.device)) {
      throw scenarioError(`${at}.device`, e.device, 'has no SMMU context, so no walk of it is counted in memory accesses', `a device with traffic through an SMMU context: ${moving.filter((d) => devices.contexts.includes(d)).map((d) => JSON.stringify(d)).join(', ') || 'none in this scenario'}`);
    }
    if (e.kind === 'deadline') checkDeadline(scenario, board, devices, at, e.device);
    if (e.kind === 'bytes-equal') {
      if (!buffers.includes(e.buffer)) throw unknownName(`${at}.buffer`, e.buffer, 'a buffer of the scenario', buffers);
      const count = scenario.buffers.find((b) => b.name === e.buffer)!.count;
      if (e.instance >= count) throw scenarioError(`${at}.instance`, e.instance, `is past the last instance of buffer "${e.buffer}"`, `0 to ${count - 1}`);
      e.mappers.forEach((d, j) => {
        const mappers = allDevices(devices).filter((n) => spaceFor(scenario, devices, n, e.buffer, undefined).length > 0);
        if (!mappers.includes(d)) throw unknownName(`${at}.mappers[${j}]`, d, `a device that maps buffer "${e.buffer}"`, mappers);
      });
    }
  });
}

/** Check everything the definition cannot; returns the buffer plans. */
export function checkRules(scenario: Scenario, board: Board): BufferPlan[] {
  const devices = boardDevices(board);
  const plans = planBuffers(scenario, board);
  checkSpaces(scenario, board, devices);
  checkMappings(scenario, plans);
  checkTraffic(scenario, board, devices, plans);
  checkExpect(scenario, board, devices);
  return plans;
}

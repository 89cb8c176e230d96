/**
 * The board description, defined once: a plain JSON object that a user can
 * write in a file and that `buildPlatform` turns into a whole simulated
 * system (the seed's "second API": the device topology in which contexts are
 * found by name, seed 000 "Userspace Access to Devices with IOMMUs").
 *
 * From the zod schema below come
 * - the TypeScript types: `BoardDescription` (what a user writes: addresses
 *   as numbers or hex strings such as "0x3800_0000") and `Board` (what
 *   `validateBoard` returns: every address a number, every default filled in);
 * - the JSON Schema `board.schema.json` (`board-schema.ts`, `z.toJSONSchema`);
 * - the structural validation and the words of its messages (each schema
 *   carries a `Wording`, read by `board-issues.ts`).
 * The rules a JSON Schema cannot say (overlaps, alignment, names that must
 * be unique or known, what `buildPlatform` needs) are in `board-rules.ts`.
 * The format is described field by field in docs/boards.md.
 */
import * as z from 'zod';
import { hex } from '@vcm/core';
import { SMMU_MODELS } from '@vcm/smmu';

/** The page-table formats a board's SMMU may name (`@vcm/smmu`'s `armV7Short` and `armLpae4k`, docs/hardware.md#page-table-formats). */
export const FORMAT_NAMES = ['armV7Short', 'armLpae4k'] as const;
/** The TLB replacement policies a board's SMMU may name (`@vcm/smmu`'s `TlbPolicy`). */
export const TLB_POLICIES = ['lru', 'fifo', 'random'] as const;
/** The replacement policies a board's cache overrides may name (`@vcm/smmu`'s `CACHE_POLICIES`). */
export const CACHE_POLICY_NAMES = ['lru', 'fifo', 'random', 'round-robin'] as const;
/** The SMMU models a board may name (`@vcm/smmu`'s `SMMU_MODEL_NAMES`, docs/hardware.md#translation-caches). */
export const SMMU_MODEL_NAMES = ['msm8x60', 'mmu-500', 'mmu-600'] as const;
/** The largest latency or clock (MHz) a board may give (`@vcm/smmu` accepts up to 2^20). */
const MAX_CYCLES = 1 << 20;

/** @internal LPAE output addresses are 40 bits (docs/hardware.md#page-table-formats): no board address lies above. */
export const MAX_PHYS = 2 ** 40;
/** @internal The largest 32-bit value: the bound of IRQ numbers, counts and versions. */
export const U32_MAX = 0xffffffff;
const HEX_RE = /^0[xX][0-9a-fA-F]+(?:_[0-9a-fA-F]+)*$/;
const NAME_RE = /^[A-Za-z0-9_.-]+$/;

// ---- how each schema words a refusal -----------------------------------------

/** @internal What a zod issue tells the wording: its code, and (lists) the refused value. */
export interface IssueFacts {
  readonly code: string;
  readonly value: unknown;
}

/**
 * @internal
 * How a schema explains a value it refused, in the message form
 * `<path>: <value> <problem> (allowed: <allowed>)`, and how a JSON path is
 * followed through it (containers).
 */
export interface Wording {
  problem(facts: IssueFacts): string;
  allowed(facts: IssueFacts): string;
  /** Objects, lists, unions: the schema found under `key` of `value`. */
  child?(key: PropertyKey, value: unknown): z.core.$ZodType | undefined;
  /** Objects: the text of a missing-key message ("an SMMU needs …"). */
  readonly needs?: string;
  /** Objects: the keys it accepts, in order. */
  readonly keys?: readonly string[];
  /** Unions reported through one option: the index of the option `value` meant. */
  branch?(value: unknown): number;
}

const wordings = new WeakMap<z.core.$ZodType, Wording>();

/** @internal The wording of a schema of this definition (undefined for zod's inner parts). */
export function wordingOf(schema: z.core.$ZodType): Wording | undefined {
  return wordings.get(schema);
}

/** @internal Metadata that `z.toJSONSchema` copies into `board.schema.json`. */
export const jsonMeta = z.registry<{ id?: string; title?: string; description?: string }>();

function meta<T extends z.ZodType>(schema: T, m: { id?: string; title?: string; description?: string }): T {
  jsonMeta.add(schema, m);
  return schema;
}

function worded<T extends z.ZodType>(schema: T, wording: Wording): T {
  wordings.set(schema, wording);
  return schema;
}

/** The same schema with its own description (a clone, so a shared `$defs` entry keeps its own). */
function doc<T extends z.ZodType>(schema: T, description: string): T {
  return meta(sameWording(schema, schema.clone()), { description });
}

/** A schema that becomes `$defs/<id>` in the JSON Schema. */
function def<T extends z.ZodType>(schema: T, id: string, description: string): T {
  return meta(schema, { id, description });
}

function fixed(problem: string, allowed: string): Pick<Wording, 'problem' | 'allowed'> {
  return { problem: () => problem, allowed: () => allowed };
}

/** @internal Items as a comma-separated list of JSON strings, for messages. */
export function quoteList(items: readonly string[]): string {
  return items.map((s) => JSON.stringify(s)).join(', ');
}

// ---- scalars ------------------------------------------------------------------

function parseHex(text: string): number {
  return Number.parseInt(text.slice(2).replaceAll('_', ''), 16);
}

/** An address or size: a number, or a hex string normalised to a number (docs/boards.md#addresses-and-sizes). */
const address = def(
  worded(
    z.xor([
      z.int().min(0).max(MAX_PHYS),
      z.string().regex(HEX_RE).transform(parseHex).pipe(z.int().max(MAX_PHYS)),
    ]),
    fixed('is not an address', 'a non-negative integer below 2^40, or a hex string like "0x3800_0000"'),
  ),
  'address',
  'A non-negative integer, or a hex string such as "0x3800_0000" or "0x38000000".',
);

function name(description: string): z.ZodString {
  return meta(
    worded(z.string().min(1).regex(NAME_RE), fixed('is not a valid name', 'a non-empty string of letters, digits, "_", "." and "-"')),
    { description },
  );
}

/** An integer in [min, max] (IRQ numbers, counts, versions): JSON numbers only, no strings. */
function integer(min: number, max: number, description: string): z.ZodNumber {
  const allowed = `an integer from ${min} to ${max === U32_MAX ? hex(max) : max}`;
  return meta(
    worded(z.int().min(min).max(max), {
      problem: ({ code }) => (code === 'too_small' || code === 'too_big' ? 'is out of range' : 'is not an integer'),
      allowed: () => allowed,
    }),
    { description },
  );
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T, what: string, description: string): z.ZodEnum<{ [K in T[number]]: K }> {
  return meta(worded(z.enum(values), fixed(`is not a known ${what}`, quoteList(values))), { description });
}

function flag(description: string): z.ZodBoolean {
  return meta(worded(z.boolean(), fixed('is not a boolean', 'true or false')), { description });
}

// ---- containers -------------------------------------------------------------------

/** A list of `item`; `what` names its entries in messages ("banks ({ name, base, size })"). */
function list<T extends z.ZodType>(item: T, what: string, description: string, bounds: { min?: number; max?: number; why?: string } = {}): z.ZodArray<T> {
  let schema = z.array(item);
  if (bounds.min !== undefined) schema = schema.min(bounds.min);
  if (bounds.max !== undefined) schema = schema.max(bounds.max);
  const count = (value: unknown): number => (Array.isArray(value) ? value.length : 0);
  return meta(
    worded(schema, {
      problem: ({ code, value }) => (code === 'too_small' || code === 'too_big' ? `has ${count(value)} entries` : 'is not an array'),
      allowed: ({ code }) =>
        code === 'too_small' ? `at least ${bounds.min} ${what}` : code === 'too_big' ? `at most ${bounds.max} ${what}${bounds.why ? ` (${bounds.why})` : ''}` : `an array of ${what}`,
      child: () => item,
    }),
    { description },
  );
}

/**
 * An object with exactly these keys (unknown keys refused, naming the
 * allowed ones); `noun` names it in messages ("an SMMU"). A key is optional
 * when its schema accepts `undefined`.
 */
function object<S extends z.ZodRawShape>(noun: string, shape: S): z.ZodObject<S, z.core.$strict> {
  const keys = Object.keys(shape);
  const required = keys.filter((k) => !z.safeParse(shape[k]!, undefined).success);
  return worded(z.strictObject(shape), {
    problem: ({ code }) => (code === 'unrecognized_keys' ? `is not a key of ${noun}` : `is not ${noun}`),
    allowed: ({ code }) => (code === 'unrecognized_keys' ? quoteList(keys) : `an object with the keys ${quoteList(keys)}`),
    child: (key) => (typeof key === 'string' && Object.hasOwn(shape, key) ? shape[key] : undefined),
    needs: `${noun} needs ${quoteList(required)}`,
    keys,
  });
}

/** The wording of `from` given to `to`, a wrapper of it (optional, default, transform). */
function sameWording<T extends z.ZodType>(from: z.ZodType, to: T): T {
  const w = wordings.get(from);
  if (w !== undefined) wordings.set(to, w);
  return to;
}

function optional<T extends z.ZodType>(schema: T): z.ZodOptional<T> {
  return sameWording(schema, schema.optional());
}

function withDefault<T extends z.ZodType>(schema: T, value: z.util.NoUndefined<z.output<T>>): z.ZodDefault<T> {
  return sameWording(schema, schema.default(value));
}

/** `schema` followed by `normalise`, worded (and so followed along paths) as `schema`. */
function normalised<T extends z.ZodType, U>(schema: T, normalise: (value: z.output<T>) => U): z.ZodPipe<T, z.ZodTransform<Awaited<U>, z.output<T>>> {
  return sameWording(schema, schema.transform(normalise));
}

// ---- the board ----------------------------------------------------------------------

const bank = def(
  object('a bank', {
    name: name('Unique among banks; pools name their bank.'),
    base: doc(address, 'Physical address of the first byte; 4 KiB aligned.'),
    size: doc(address, 'Bytes; a positive multiple of 4 KiB. No two banks overlap.'),
  }),
  'bank',
  'A range of physical RAM (a memory: SMI, EBI, DDR …).',
);

const blockPool = normalised(
  def(
    object('a block pool', {
      name: name('Unique among pools; memtypes list pools by name.'),
      bank: name('The bank the pool lies in.'),
      base: doc(address, 'Physical address of the first block; aligned to blockSize.'),
      blockSize: doc(address, 'A power of two from 4 KiB to 1 GiB (the blocks are never split).'),
      count: integer(1, U32_MAX, 'How many blocks.'),
    }),
    'blockPool',
    'A pool of count equal blocks of blockSize bytes (docs/hardware.md#physical-memory-and-pools).',
  ),
  (p) => ({ kind: 'block' as const, name: p.name, bank: p.bank, base: p.base, blockSize: p.blockSize, count: p.count, size: p.blockSize * p.count }),
);

const contiguousPool = normalised(
  def(
    object('a contiguous pool', {
      name: name('Unique among pools; a memtype names it in "contiguous".'),
      bank: name('The bank the pool lies in.'),
      base: doc(address, 'Physical address of the first byte; 4 KiB aligned.'),
      size: doc(address, 'Bytes; a positive multiple of 4 KiB.'),
      contiguous: meta(worded(z.literal(true), fixed('is not true', 'true (omit the key for a block pool)')), {
        description: 'Always true: what makes this entry a contiguous pool.',
      }),
    }),
    'contiguousPool',
    'The pool one-to-one VCMs and VCM_PHYS_CONT allocate from (vcm_get_cont_memtype_pa).',
  ),
  (p) => ({ kind: 'contiguous' as const, name: p.name, bank: p.bank, base: p.base, size: p.size }),
);

/** A pool entry is contiguous exactly when it has the key `contiguous`: its errors are reported as that kind. */
const pool = worded(z.xor([blockPool, contiguousPool]), {
  ...fixed('is not a pool', 'a block pool or a contiguous pool'),
  branch: (value) => (typeof value === 'object' && value !== null && 'contiguous' in value ? 1 : 0),
  child: (_key, value) => (typeof value === 'object' && value !== null && 'contiguous' in value ? contiguousPool : blockPool),
});

const memtype = normalised(
  def(
    object('a memtype', {
      id: integer(1, U32_MAX, 'The vcm.h memtype: 1 is VCM_MEMTYPE_0, 2 VCM_MEMTYPE_1 …; 0 is VCM_INVALID. Unique.'),
      name: name('Unique among memtypes.'),
      pools: list(name('A block pool of this board.'), 'pool names', 'Block pools in the order max munch tries them (largest blocks first); each once.', { min: 1 }),
      contiguous: optional(name('The contiguous pool of this memtype (vcm_get_cont_memtype_pa).')),
    }),
    'memtype',
    'A memory type (the seed\'s memtype / memory target): an ordered list of block pools.',
  ),
  (m) => ({ id: m.id, name: m.name, pools: m.pools, contiguous: m.contiguous }),
);

const region = def(
  object('a region', {
    base: doc(address, 'Physical address of the first byte.'),
    size: doc(address, 'Bytes.'),
  }),
  'region',
  'A physical range inside a bank.',
);

const memory = def(
  object('a memory section', {
    banks: list(bank, 'banks ({ name, base, size })', 'The RAM of the board.', { min: 1 }),
    pools: list(pool, 'pools', 'Block pools and contiguous pools; none overlaps another, the page-table region or kernel RAM.'),
    memtypes: list(memtype, 'memtypes ({ id, name, pools })', 'The memory types vcm_phys_alloc accepts.', { min: 1 }),
    tableRegion: doc(region, 'Where page tables (IOMMU and CPU) are allocated from: 4 KiB aligned, at least 16 KiB, ending at or below 4 GiB.'),
    kernelRam: list(
      doc(region, 'Whole MiB, below 4 GiB.'),
      'regions ({ base, size })',
      'RAM the kernel owns (the CPU\'s linear map covers it); never handed to the pools.',
      { min: 1 },
    ),
  }),
  'memory',
  'Physical memory: banks, pools, memtypes, page-table memory and kernel RAM.',
);

const tlb = object('a TLB description', {
  entries: integer(1, 65536, 'How many translations the TLB holds.'),
  policy: oneOf(TLB_POLICIES, 'TLB replacement policy', 'Which entry a miss evicts when the TLB is full.'),
});

/** The main TLB a model has, as a board's `tlb` says it (the models' main TLBs use a policy `tlb` can name). */
function modelTlb(model: (typeof SMMU_MODEL_NAMES)[number]): { entries: number; policy: (typeof TLB_POLICIES)[number] } {
  const main = SMMU_MODELS[model].mainTlb;
  const policy = TLB_POLICIES.find((p) => p === main.policy) ?? 'lru';
  return { entries: main.entries, policy };
}

const cacheGeometry = def(
  object('a cache description', {
    enabled: optional(flag('On or off; off, every lookup misses and nothing is filled.')),
    entries: optional(integer(0, 65536, 'Capacity in entries (at least 1 while enabled).')),
    ways: optional(integer(0, 65536, 'Ways per set: 0 is fully associative; else entries / ways sets, a power of two.')),
    policy: optional(oneOf(CACHE_POLICY_NAMES, 'cache replacement policy', 'Which entry of a full set a fill replaces.')),
    seed: optional(integer(0, U32_MAX, 'Seed of the random policy\'s generator (0: its fixed start).')),
  }),
  'cacheGeometry',
  'Fields of one cache over the model\'s (docs/hardware.md#translation-caches).',
);

const timing = object('a timing description', {
  clockMHz: optional(integer(0, MAX_CYCLES, 'The SMMU clock in MHz: converts cycles to seconds and bandwidth (0: no clock).')),
  microTlbHit: optional(integer(0, MAX_CYCLES, 'Cycles of a micro-TLB lookup.')),
  mainTlbHit: optional(integer(0, MAX_CYCLES, 'Cycles of a main-TLB lookup.')),
  walkCacheHit: optional(integer(0, MAX_CYCLES, 'Cycles of a walk-cache lookup.')),
  memoryAccess: optional(integer(0, MAX_CYCLES, 'Cycles of one descriptor read of a walk.')),
  maxWalks: optional(integer(1, MAX_CYCLES, 'Walks in flight at once.')),
  busBytesPerCycle: optional(integer(0, MAX_CYCLES, 'Bytes the master\'s port moves per cycle (0: data costs no time).')),
});

const caches = def(
  object('a cache hierarchy', {
    microTlb: optional(doc(cacheGeometry, 'The micro-TLB of each context bank.')),
    mainTlb: optional(doc(cacheGeometry, 'The main TLB the banks share (over tlb).')),
    walkCache: optional(doc(cacheGeometry, 'The walk cache of intermediate table descriptors.')),
    prefetch: optional(flag('After a walk, also walk the next 4 KiB page into the main TLB.')),
    lockdownEntries: optional(integer(0, 65536, 'Main-TLB entries a context may lock (ctx.lockTlb); 0: no lockdown.')),
    timing: optional(meta(timing, { description: 'Latencies in cycles, the clock, walk slots and the bus width (docs/timing.md).' })),
  }),
  'caches',
  'Overrides of the model\'s translation caches and timing, field by field (docs/hardware.md#translation-caches).',
);

const context = def(
  object('a context', {
    name: name('Unique across the whole board: getCtxInstance(name) and /dev/<name> find it.'),
    bank: optional(integer(0, U32_MAX, 'Context bank index, below contextBanks; defaults to the position in the list.')),
  }),
  'context',
  'A named SMMU context (a device as the VCMM sees it).',
);

const smmu = normalised(
  def(
    object('an SMMU', {
      name: name('Unique among SMMUs.'),
      base: doc(address, 'Register base (what smmu_get_base_addr returns); 4 KiB aligned; the register space is contextBanks × 4 KiB from it, below 4 GiB.'),
      irq: integer(0, U32_MAX, 'Interrupt number.'),
      contextBanks: integer(1, 256, 'Number of hardware context banks.'),
      format: oneOf(FORMAT_NAMES, 'page-table format', 'Page-table format of its contexts (docs/hardware.md#page-table-formats).'),
      tlb: optional(meta(tlb, { description: 'The SMMU\'s main TLB: entries and policy. Default: the model\'s main TLB (msm8x60: 32 entries, LRU).' })),
      model: optional(oneOf(SMMU_MODEL_NAMES, 'SMMU model', 'The translation caches and timing to start from (docs/hardware.md#translation-caches); default msm8x60, one shared TLB, untimed.')),
      caches: optional(caches),
      hwVersion: integer(0, U32_MAX, 'What vcm_hw_ver reports for its contexts.'),
      contexts: list(context, 'contexts ({ name, bank? })', 'Its contexts; without allowVirtualContexts at most contextBanks, one per bank.', { min: 1 }),
      allowVirtualContexts: withDefault(flag('Allow more contexts than banks, several sharing a bank (virtual contexts).'), false),
    }),
    'smmu',
    'An SMMU in front of one hardware block, with its named contexts.',
  ),
  (s) => ({
    name: s.name,
    base: s.base,
    irq: s.irq,
    contextBanks: s.contextBanks,
    format: s.format,
    // No tlb: the model's main TLB, so that naming a model is enough (docs/boards.md#translation-caches).
    tlb: s.tlb === undefined ? modelTlb(s.model ?? 'msm8x60') : { entries: s.tlb.entries, policy: s.tlb.policy },
    ...(s.model === undefined ? {} : { model: s.model }),
    ...(s.caches === undefined ? {} : { caches: s.caches }),
    hwVersion: s.hwVersion,
    contexts: s.contexts.map((c, j) => ({ name: c.name, bank: c.bank ?? j })),
    allowVirtualContexts: s.allowVirtualContexts,
  }),
);

const cpu = def(object('a CPU', { name: name('Unique across the whole board (platform.device(name)).') }), 'cpu', 'The CPU (the VMM\'s CPU device).');
const directDevice = def(
  object('a direct-mapped device', { name: name('Unique across the whole board (platform.device(name)).') }),
  'directDevice',
  'A device that reaches memory one-to-one, without an IOMMU.',
);

/** The whole board as a user writes it; parsing it gives the normalised `Board`. */
export const boardDescription = normalised(
  meta(
    object('a board description', {
      $schema: optional(
        meta(worded(z.string(), fixed('is not a string', 'the path or URL of board.schema.json')), {
          description: 'Where board.schema.json is, for editors; validateBoard ignores it.',
        }),
      ),
      name: meta(worded(z.string().min(1), fixed('is not a board name', 'a non-empty string')), { description: 'The board\'s name.' }),
      memory,
      smmus: list(smmu, 'SMMUs', 'The SMMUs; none or more.'),
      cpus: list(cpu, 'CPUs', 'Exactly one CPU.', { min: 1, max: 1, why: 'the simulator models one CPU' }),
      directDevices: withDefault(list(directDevice, 'direct-mapped devices', 'Devices without an IOMMU; optional.'), []),
    }),
    {
      title: 'vcm board description',
      description:
        'A system-on-chip for the vcm simulator: memories and pools, memory types, SMMUs with their named contexts, CPUs and direct-mapped devices (@vcm/devtree buildPlatform).',
    },
  ),
  (b) => ({ name: b.name, memory: b.memory, smmus: b.smmus, cpus: b.cpus, directDevices: b.directDevices }),
);

// ---- the types --------------------------------------------------------------------

type DeepReadonly<T> = T extends readonly (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** The whole board as a user writes it (see `board.schema.json`, docs/boards.md). */
export type BoardDescription = DeepReadonly<z.input<typeof boardDescription>>;
/** The `memory` section of a board as written: banks, pools, memtypes, page-table region, kernel RAM. */
export type MemoryDescription = BoardDescription['memory'];
/** A RAM bank as written in a board: name, base, size. */
export type BankDescription = MemoryDescription['banks'][number];
/** A pool entry as written: a block pool, or a contiguous pool (the entry with `contiguous: true`). */
export type PoolDescription = MemoryDescription['pools'][number];
/** A pool of equal blocks that are never split. */
export type BlockPoolDescription = Exclude<PoolDescription, { readonly contiguous: true }>;
/** The contiguous pool that one-to-one VCMs and `VCM_PHYS_CONT` use. */
export type ContiguousPoolDescription = Extract<PoolDescription, { readonly contiguous: true }>;
/** A memory type as written: its `vcm.h` id, name, block pools in max-munch order and optional contiguous pool. */
export type MemtypeDescription = MemoryDescription['memtypes'][number];
/** A physical range as written (the page-table region, a kernel RAM range). */
export type RegionDescription = MemoryDescription['tableRegion'];
/** An SMMU as written: register base, IRQ, banks, format, TLB, hardware version and its named contexts. */
export type SmmuDescription = BoardDescription['smmus'][number];
/** An SMMU's TLB as written: entries and replacement policy. */
export type TlbDescription = SmmuDescription['tlb'];
/** An SMMU context as written: its board-wide unique name and optional bank index. */
export type ContextDescription = SmmuDescription['contexts'][number];
/** A CPU or direct-mapped device as written: only its board-wide unique name. */
export type NamedDescription = BoardDescription['cpus'][number];
/** An address or size as written in JSON: a number, or a hex string ("0x3800_0000", "0x38000000"). */
export type AddressInput = BankDescription['base'];
/** One of `FORMAT_NAMES`. */
export type FormatName = (typeof FORMAT_NAMES)[number];
/** One of `TLB_POLICIES`. */
export type TlbPolicy = (typeof TLB_POLICIES)[number];

/** A validated board: every address a number, every default filled in. */
export type Board = DeepReadonly<z.output<typeof boardDescription>>;
/** The validated `memory` section: addresses as numbers, pools tagged by `kind`. */
export type Memory = Board['memory'];
/** A validated RAM bank. */
export type Bank = Memory['banks'][number];
/** A validated pool, a `BlockPool` or a `ContiguousPool` by its `kind`. */
export type Pool = Memory['pools'][number];
/** `size` is `blockSize * count`. */
export type BlockPool = Extract<Pool, { readonly kind: 'block' }>;
/** A validated contiguous pool. */
export type ContiguousPool = Extract<Pool, { readonly kind: 'contiguous' }>;
/** A validated memory type. */
export type Memtype = Memory['memtypes'][number];
/** A validated physical range. */
export type Region = Memory['tableRegion'];
/** A validated SMMU: defaults filled in, every context with its bank index. */
export type SmmuSpec = Board['smmus'][number];
/** A validated SMMU context with its bank index. */
export type Context = SmmuSpec['contexts'][number];

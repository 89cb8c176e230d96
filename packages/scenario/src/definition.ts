/**
 * The scenario format, defined once (docs/scenarios.md#the-format): a zod
 * schema from which come the TypeScript types (`ScenarioDescription` as a
 * user writes it, `Scenario` as `validateScenario` returns it), the
 * published JSON Schema (`scenario.schema.json`, `schema.ts`) and the
 * structural validation with its messages (`issues.ts`). What the schema
 * cannot say — names that must exist, sizes that must fit, reservations
 * that must not overlap — is checked in `rules.ts`.
 */
import * as z from 'zod';

/** Board presets a scenario may name instead of writing a board out (`@vcm/devtree`'s presets). */
export const BOARD_PRESETS = ['msm8x60', 'seed-example'] as const;
/** Image formats whose size the runner computes (docs/scenarios.md#image-sizes). */
export const IMAGE_FORMATS = ['NV12', 'P010', 'YUYV', 'RGBA8888'] as const;
/** Page-size selection of a physical allocation: `vcm.h`'s `VCM_ALL`, `VCM_1MB`, `VCM_64KB`, `VCM_4KB`. */
export const PAGE_SELECTIONS = ['all', '1M', '64K', '4K'] as const;
/** The kinds of address space (VCM) a scenario can make. */
export const SPACE_KINDS = ['device', 'kernel', 'process', 'one-to-one'] as const;
/** Access permissions of a reservation (`VCM_READ`, `VCM_WRITE`, `VCM_EXECUTE`). */
export const ACCESS_BITS = ['read', 'write', 'execute'] as const;
/** Cache policies of a reservation (`VCM_NOTCACHED`, `VCM_WB_WA`, `VCM_WB_NWA`, `VCM_WT`). */
export const CACHE_POLICIES = ['uncached', 'wb-wa', 'wb-nwa', 'wt'] as const;
/** Traffic patterns (docs/scenarios.md#traffic-patterns). */
export const PATTERN_KINDS = ['sequential', 'rotated', 'tiles', 'strided', 'random'] as const;
/** Checks an `expect` entry can make (docs/scenarios.md#expectations). */
export const EXPECT_KINDS = ['misses', 'walks', 'walk-accesses', 'deadline', 'no-fault', 'bytes-equal'] as const;
/** How traffic of several devices interleaves (docs/scenarios.md#traffic-and-time). */
export const INTERLEAVES = ['time', 'in-turn'] as const;

/** The largest sweep (points of the cross product) a scenario may ask for. */
export const SWEEP_LIMIT = 4096;
/** Sizes are below 2^40 (LPAE output addresses). */
const MAX_SIZE = 2 ** 40;
const NAME_RE = /^[A-Za-z0-9_.-]+$/;
const HEX_RE = /^0[xX][0-9a-fA-F]+(?:_[0-9a-fA-F]+)*$/;
/** "16M", "64K", "1G", "2MiB", "512KB". */
const UNIT_RE = /^([0-9]+)\s*([KMG])(?:i?B)?$/i;
const UNITS: Readonly<Record<string, number>> = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 };

/** A size or address string as a number: hex ("0x1000_0000") or with a binary unit ("16M"). */
export function parseSize(text: string): number {
  if (HEX_RE.test(text)) return Number.parseInt(text.slice(2).replaceAll('_', ''), 16);
  const m = UNIT_RE.exec(text);
  return m === null ? Number.NaN : Number(m[1]) * UNITS[m[2]!.toUpperCase()]!;
}

/** The string spellings a size may take, for the schema. */
const SIZE_STRING_RE = /^(?:0[xX][0-9a-fA-F]+(?:_[0-9a-fA-F]+)*|[0-9]+\s*[KMGkmg](?:i?B)?)$/;

const size = z
  .union([z.int().min(0).max(MAX_SIZE), z.string().regex(SIZE_STRING_RE).transform(parseSize).pipe(z.int().min(0).max(MAX_SIZE))])
  .meta({ id: 'size', description: 'Bytes or an address: an integer, a hex string ("0x1000_0000") or a number with a binary unit ("16M", "64K", "1G").' });

const name = (description: string): z.ZodString => z.string().regex(NAME_RE).meta({ description });
const int = (min: number, max: number, description: string): z.ZodNumber => z.int().min(min).max(max).meta({ description });

const image = z
  .strictObject({
    format: z.enum(IMAGE_FORMATS).meta({ description: 'Pixel format; the size formulas are in docs/scenarios.md#image-sizes.' }),
    width: int(1, 16384, 'Pixels per row.'),
    height: int(1, 16384, 'Rows.'),
    stride: int(1, 262144, 'Bytes per row of the first plane (default: width × bytes per sample).').optional(),
    heightAlign: int(1, 256, 'Rows are allocated in multiples of this (a decoder\'s macroblock height: 16, 32); default 1.').optional(),
  })
  .meta({ id: 'image', description: 'A frame buffer whose size follows from its format and geometry.' });

const buffer = z
  .strictObject({
    name: name('Unique among buffers; mappings and traffic name it.'),
    memtype: z
      .union([z.int().min(1).max(0xffffffff), z.string().regex(NAME_RE)])
      .default(1)
      .meta({ description: 'The memtype by vcm.h id (1 = VCM_MEMTYPE_0) or by the board\'s name for it; default 1.' }),
    bytes: size.optional().meta({ description: 'The size in bytes (give bytes or image, not both).' }),
    image: image.optional(),
    count: int(1, 64, 'How many such buffers (in flight at once); traffic uses them in turn, one per frame. Default 1.').default(1),
    pages: z
      .array(z.enum(PAGE_SELECTIONS))
      .min(1)
      .default(['all'])
      .meta({ description: 'Block sizes the allocation may use (vcm_phys_alloc page selection): "all" (VCM_ALL), "1M", "64K", "4K".' }),
    contiguous: z.boolean().default(false).meta({ description: 'VCM_PHYS_CONT: one physically contiguous run from the memtype\'s contiguous pool.' }),
    align: size.optional().meta({ description: 'Physical alignment of the allocation: a power of two from 4 KiB.' }),
  })
  .meta({ id: 'buffer', description: 'Physical buffers allocated with vcm_phys_alloc.' });

const space = z
  .strictObject({
    name: name('Unique among spaces; mappings name it.'),
    kind: z.enum(SPACE_KINDS).default('device').meta({ description: '"device": vcm_create(start, len) for IOMMU contexts; "kernel": the CPU kernel\'s prebuilt VCM; "process": a user process\'s prebuilt VCM; "one-to-one": a VCM over a memtype\'s contiguous pool, for direct-mapped devices.' }),
    start: size.optional().meta({ description: 'Device spaces: the first device address.' }),
    len: size.optional().meta({ description: 'Device spaces: the length in bytes.' }),
    memtype: z.union([z.int().min(1).max(0xffffffff), z.string().regex(NAME_RE)]).optional().meta({ description: 'One-to-one spaces: the memtype whose contiguous pool the VCM spans (default 1).' }),
    process: name('Process spaces: the process\'s name (the runner creates it and switches to it).').optional(),
    devices: z.array(name('A context name, the CPU\'s name or a direct-mapped device\'s name.')).default([]).meta({ description: 'The devices associated with the space (vcm_assoc + vcm_activate). Kernel and process spaces are associated with the CPU without naming it.' }),
    split: int(0, 7, 'Device spaces: associate with VCM_SPLIT and this split width N (TTBCR.N).').optional(),
    base: z.enum(['low', 'high']).optional().meta({ description: 'Device spaces: VCM_USE_LOW_BASE or VCM_USE_HIGH_BASE (TTBR0 or TTBR1).' }),
  })
  .meta({ id: 'space', description: 'An address space (a VCM) and the devices that see memory through it.' });

const mapping = z
  .strictObject({
    buffer: name('The buffer (all its instances are reserved and backed).'),
    space: name('The space to reserve in.'),
    at: z.literal('start').optional().meta({ description: '"start": a fixed reservation at the start of the space (vcm_reserve_at(VCM_START)).' }),
    align: size.optional().meta({ description: 'Device-address alignment (VCM_ALIGN_*): a power of two from 4 KiB to 1 GiB.' }),
    access: z.array(z.enum(ACCESS_BITS)).min(1).default(['read', 'write']).meta({ description: 'Permissions of the reservation; default read and write.' }),
    cache: z.enum(CACHE_POLICIES).optional().meta({ description: 'Cache policy of the reservation.' }),
  })
  .meta({ id: 'mapping', description: 'A buffer reserved in a space and backed by its physical memory (vcm_reserve + vcm_back).' });

const pattern = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('sequential') }),
    z.strictObject({ kind: z.literal('rotated'), strip: size.default(1024).meta({ description: 'Bytes per column strip (default 1 KiB).' }) }),
    z.strictObject({ kind: z.literal('tiles'), width: size.meta({ description: 'Tile width in bytes.' }), height: int(1, 16384, 'Tile height in rows.') }),
    z.strictObject({ kind: z.literal('strided'), stride: size.meta({ description: 'Bytes from the start of one access to the next.' }) }),
    z.strictObject({
      kind: z.literal('random'),
      seed: int(0, 0xffffffff, 'Seed of the address sequence (default: the scenario\'s seed).').optional(),
      accesses: int(1, 2 ** 30, 'Accesses per frame (default: buffer bytes / burst).').optional(),
    }),
  ])
  .meta({ id: 'pattern', description: 'The order in which a device touches a buffer (docs/scenarios.md#traffic-patterns).' });

const traffic = z
  .strictObject({
    device: name('The device: a context name, the CPU\'s name or a direct-mapped device.'),
    space: name('The space through which it accesses the buffers (default: the one space that maps them and is associated with the device).').optional(),
    buffers: z.array(name('A buffer name.')).min(1).meta({ description: 'The buffers it accesses; of a buffer with count > 1, frame f uses instance f mod count.' }),
    access: z.enum(['read', 'write']).meta({ description: 'Whether the accesses read or write.' }),
    pattern: z.union([z.enum(PATTERN_KINDS), pattern]).default('sequential').meta({ description: 'A pattern name, or an object { kind, … } with its parameters.' }),
    burst: int(1, 65536, 'Bytes per access (default 64).').default(64),
    row: size.optional().meta({ description: 'Bytes per row for rotated and tiled patterns of a buffer without an image (default: the image stride).' }),
    fps: z.number().positive().max(1000).optional().meta({ description: 'Frames per second (places the frames in time).' }),
    frames: int(1, 100000, 'How many frames (default: duration × fps, or 1).').optional(),
    data: z
      .union([
        z.boolean(),
        z
          .strictObject({
            seed: int(0, 0xffffffff, 'Writes: the seed of the filled bytes of frame 0 (frame f uses a seed derived from it); default: derived from the scenario\'s seed and the entry\'s index.').optional(),
            from: name('Writes: derive the bytes from what this device last read of this buffer (a decoder writing what it decoded), instead of filling them.').optional(),
          })
          .meta({ id: 'data', description: 'Data traffic with its source (writes only): a seed, or a buffer the device read.' }),
      ])
      .default(false)
      .meta({ description: 'Move real bytes (sequential only): writes fill the buffer with seeded bytes (or bytes derived from a buffer the device read: { from }), reads return its bytes, and each is checksummed. false: only the address pattern runs (dma.stream).' }),
  })
  .meta({ id: 'traffic', description: 'One device\'s traffic: which buffers, read or write, in which pattern, how often.' });

const expectation = z
  .discriminatedUnion('kind', [
    z.strictObject({ name: z.string().min(1), kind: z.literal('misses'), device: name('A device with traffic.'), atMost: int(0, Number.MAX_SAFE_INTEGER, 'The largest acceptable count.') }),
    z.strictObject({ name: z.string().min(1), kind: z.literal('walks'), device: name('A device with traffic.'), atMost: int(0, Number.MAX_SAFE_INTEGER, 'The largest acceptable count.') }),
    z.strictObject({
      name: z.string().min(1),
      kind: z.literal('walk-accesses'),
      device: name('A device with traffic through an SMMU context.'),
      atMost: int(0, Number.MAX_SAFE_INTEGER, 'The largest acceptable count of descriptors its walks read from RAM (trans_table_walk_access).'),
    }),
    z.strictObject({
      name: z.string().min(1),
      kind: z.literal('deadline'),
      device: name('A device with traffic at a frame rate (fps) through a context of an SMMU with a clock.'),
    }),
    z.strictObject({ name: z.string().min(1), kind: z.literal('no-fault') }),
    z.strictObject({
      name: z.string().min(1),
      kind: z.literal('bytes-equal'),
      buffer: name('The buffer.'),
      instance: int(0, 63, 'Which instance (default 0).').default(0),
      mappers: z.array(name('A device that maps the buffer.')).length(2).meta({ description: 'Two devices; each reads the whole buffer through its own mapping.' }),
    }),
  ])
  .meta({ id: 'expectation', description: 'A named check on the results (docs/scenarios.md#expectations).' });

const sweep = z
  .strictObject({
    axes: z
      .array(
        z.strictObject({
          field: z.string().min(1).meta({ description: 'A field path: keys, [index] or [name], e.g. "board.smmus[mdp].tlb.entries" or "buffers[frame].count".' }),
          values: z.array(z.union([z.number(), z.string(), z.boolean(), z.array(z.string())])).min(1).meta({ description: 'The values it takes.' }),
        }),
      )
      .min(1)
      .meta({ description: 'The axes; the sweep runs their cross product.' }),
    max: int(1, SWEEP_LIMIT, 'The largest number of points allowed (default 64).').default(64),
  })
  .meta({ id: 'sweep', description: 'Run the scenario at every point of a cross product of field values.' });

/** The whole scenario as a user writes it; parsing gives the normalised `Scenario`. */
export const scenarioDescription = z
  .strictObject({
    $schema: z.string().optional().meta({ description: 'Where scenario.schema.json is, for editors; ignored.' }),
    name: z.string().min(1).meta({ description: 'The scenario\'s name.' }),
    description: z.string().optional().meta({ description: 'What it models.' }),
    seed: int(0, 0xffffffff, 'Seed of every random choice (random patterns, written data); default 1.').default(1),
    board: z
      .union([z.enum(BOARD_PRESETS), z.record(z.string(), z.unknown())])
      .meta({ description: 'A preset name ("msm8x60", "seed-example") or a board description (board.schema.json of @vcm/devtree). vcm-ref also takes the path of a board file.' }),
    duration: z.number().positive().max(3600).optional().meta({ description: 'Seconds of simulated time: traffic without frames runs duration × fps frames.' }),
    interleave: z.enum(INTERLEAVES).default('time').meta({ description: '"time": frames of all devices in time order (fps); "in-turn": each traffic entry runs all its frames, in file order.' }),
    buffers: z.array(buffer).default([]),
    spaces: z.array(space).default([]),
    mappings: z.array(mapping).default([]),
    traffic: z.array(traffic).default([]),
    expect: z.array(expectation).default([]),
    sweep: sweep.optional(),
  })
  .meta({ title: 'vcm scenario', description: 'A system to simulate with vcm: a board, buffers, address spaces, mappings, device traffic, sweeps and expectations (@vcm/scenario).' });

type DeepReadonly<T> = T extends readonly (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** A scenario as a user writes it (see `scenario.schema.json`, docs/scenarios.md). */
export type ScenarioDescription = DeepReadonly<z.input<typeof scenarioDescription>>;
/** A validated scenario: sizes as numbers, defaults filled in (the board still as written). */
export type Scenario = DeepReadonly<z.output<typeof scenarioDescription>>;
/** A validated buffer entry. */
export type BufferSpec = Scenario['buffers'][number];
/** A validated image geometry. */
export type ImageSpec = NonNullable<BufferSpec['image']>;
/** A validated space entry. */
export type SpaceSpec = Scenario['spaces'][number];
/** A validated mapping entry. */
export type MappingSpec = Scenario['mappings'][number];
/** A validated traffic entry. */
export type TrafficSpec = Scenario['traffic'][number];
/** The object form of a traffic entry's `data`. */
export type DataSpec = Exclude<TrafficSpec['data'], boolean>;
/** A traffic pattern in its object form. */
export type PatternSpec = z.output<typeof pattern>;
/** A validated expectation. */
export type ExpectSpec = Scenario['expect'][number];
/** A validated sweep. */
export type SweepSpec = NonNullable<Scenario['sweep']>;
/** One of `IMAGE_FORMATS`. */
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

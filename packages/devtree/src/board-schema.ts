/**
 * The JSON Schema (draft 2020-12) of a board description, as a value. The
 * package ships the same object as `@vcm/devtree/board.schema.json` (a test
 * keeps the file and this value equal), so editors can complete and check
 * board files. `validateBoard` goes further than the schema can: overlaps,
 * pools inside their banks, alignment, names that must be unique or known.
 */
import { FORMAT_NAMES, TLB_POLICIES } from './board.js';

const address = {
  description: 'A non-negative integer, or a hex string such as "0x3800_0000" or "0x38000000".',
  oneOf: [
    { type: 'integer', minimum: 0, maximum: 2 ** 40 },
    { type: 'string', pattern: '^0[xX][0-9a-fA-F]+(_[0-9a-fA-F]+)*$' },
  ],
} as const;

const name = { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9_.-]+$' } as const;
const uint = { type: 'integer', minimum: 0, maximum: 0xffffffff } as const;
const positive = { type: 'integer', minimum: 1, maximum: 0xffffffff } as const;

/** The schema object. Keys listed here are the only keys `validateBoard` accepts. */
export const boardSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://vcm.invalid/devtree/board.schema.json',
  title: 'vcm board description',
  description:
    'A system-on-chip for the vcm simulator: memories and pools, memory types, SMMUs with their named contexts, CPUs and direct-mapped devices (@vcm/devtree buildPlatform).',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'memory', 'smmus', 'cpus'],
  properties: {
    $schema: { type: 'string' },
    name: { type: 'string', minLength: 1 },
    memory: { $ref: '#/$defs/memory' },
    smmus: { type: 'array', items: { $ref: '#/$defs/smmu' } },
    cpus: { type: 'array', minItems: 1, maxItems: 1, items: { $ref: '#/$defs/named' } },
    directDevices: { type: 'array', items: { $ref: '#/$defs/named' } },
  },
  $defs: {
    address,
    name,
    named: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: { name: { $ref: '#/$defs/name' } },
    },
    region: {
      type: 'object',
      additionalProperties: false,
      required: ['base', 'size'],
      properties: { base: { $ref: '#/$defs/address' }, size: { $ref: '#/$defs/address' } },
    },
    bank: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'base', 'size'],
      properties: { name: { $ref: '#/$defs/name' }, base: { $ref: '#/$defs/address' }, size: { $ref: '#/$defs/address' } },
    },
    blockPool: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'bank', 'base', 'blockSize', 'count'],
      properties: {
        name: { $ref: '#/$defs/name' },
        bank: { $ref: '#/$defs/name' },
        base: { $ref: '#/$defs/address' },
        blockSize: { $ref: '#/$defs/address' },
        count: positive,
      },
    },
    contiguousPool: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'bank', 'base', 'size', 'contiguous'],
      properties: {
        name: { $ref: '#/$defs/name' },
        bank: { $ref: '#/$defs/name' },
        base: { $ref: '#/$defs/address' },
        size: { $ref: '#/$defs/address' },
        contiguous: { const: true },
      },
    },
    memtype: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'name', 'pools'],
      properties: {
        id: positive,
        name: { $ref: '#/$defs/name' },
        pools: { type: 'array', minItems: 1, items: { $ref: '#/$defs/name' } },
        contiguous: { $ref: '#/$defs/name' },
      },
    },
    memory: {
      type: 'object',
      additionalProperties: false,
      required: ['banks', 'pools', 'memtypes', 'tableRegion', 'kernelRam'],
      properties: {
        banks: { type: 'array', minItems: 1, items: { $ref: '#/$defs/bank' } },
        pools: { type: 'array', items: { oneOf: [{ $ref: '#/$defs/blockPool' }, { $ref: '#/$defs/contiguousPool' }] } },
        memtypes: { type: 'array', minItems: 1, items: { $ref: '#/$defs/memtype' } },
        tableRegion: { $ref: '#/$defs/region' },
        kernelRam: { type: 'array', minItems: 1, items: { $ref: '#/$defs/region' } },
      },
    },
    context: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: { name: { $ref: '#/$defs/name' }, bank: uint },
    },
    smmu: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'base', 'irq', 'contextBanks', 'format', 'tlb', 'hwVersion', 'contexts'],
      properties: {
        name: { $ref: '#/$defs/name' },
        base: { $ref: '#/$defs/address' },
        irq: uint,
        contextBanks: { type: 'integer', minimum: 1, maximum: 256 },
        format: { enum: [...FORMAT_NAMES] },
        tlb: {
          type: 'object',
          additionalProperties: false,
          required: ['entries', 'policy'],
          properties: { entries: { type: 'integer', minimum: 1, maximum: 65536 }, policy: { enum: [...TLB_POLICIES] } },
        },
        hwVersion: uint,
        contexts: { type: 'array', minItems: 1, items: { $ref: '#/$defs/context' } },
        allowVirtualContexts: { type: 'boolean' },
      },
    },
  },
} as const;

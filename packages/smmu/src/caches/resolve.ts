/**
 * An SMMU's cache hierarchy from what it is given
 * (docs/hardware.md#translation-caches): a model (`SMMU_MODELS`, default
 * `msm8x60`), then `tlb` (the main TLB's entries, policy, ways, seed: the
 * option that predates the hierarchy), then `caches` overrides — the most
 * specific wins. The one place this precedence is written: `new Smmu`
 * builds from it, a board's rules check SMMUs with it and the scenario
 * runner reads an SMMU's clock from it. Every field is checked; a refusal
 * is EINVAL naming the field (`caches.mainTlb.ways`) and what is allowed.
 */
import { VcmError, checkOneOf, checkOptions, checkUint } from '@vcm/core';
import { CACHE_POLICIES, SMMU_MODELS, SMMU_MODEL_NAMES } from './config.js';
import type { CacheConfig, CacheGeometry, CacheOverrides, SmmuModelName, TimingConfig } from './config.js';
import { checkTlbOptions } from '../tlb.js';
import type { TlbOptions } from '../tlb.js';

/** The largest cache modelled (the TLB's own limit). */
const MAX_ENTRIES = 1 << 16;
/** The largest latency or clock accepted: 2^20 cycles, 2^20 MHz — far beyond any part, small enough to keep sums exact. */
const MAX_CYCLES = 1 << 20;
const GEOMETRY_KEYS: readonly (keyof CacheGeometry)[] = ['enabled', 'entries', 'ways', 'policy', 'seed'];
const TIMING_KEYS: readonly (keyof TimingConfig)[] = ['clockMHz', 'microTlbHit', 'mainTlbHit', 'walkCacheHit', 'memoryAccess', 'maxWalks', 'busBytesPerCycle'];
const CONFIG_KEYS: readonly (keyof CacheConfig)[] = ['microTlb', 'mainTlb', 'walkCache', 'prefetch', 'lockdownEntries', 'timing'];
const CACHE_NAMES = ['microTlb', 'mainTlb', 'walkCache'] as const;

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object of another kind' : typeof v;
}

function checkBoolean(where: string, param: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  throw new VcmError('EINVAL', `${where}: ${param} must be true or false, got ${kindOf(value)}`, { param, value: kindOf(value), expected: 'boolean' });
}

function geometry(where: string, param: string, base: CacheGeometry, o: unknown): CacheGeometry {
  if (o === undefined) return base;
  const g = checkOptions(where, param, o, GEOMETRY_KEYS);
  return {
    enabled: g['enabled'] === undefined ? base.enabled : checkBoolean(where, `${param}.enabled`, g['enabled']),
    entries: g['entries'] === undefined ? base.entries : checkUint(where, `${param}.entries`, g['entries'], MAX_ENTRIES),
    ways: g['ways'] === undefined ? base.ways : checkUint(where, `${param}.ways`, g['ways'], MAX_ENTRIES),
    policy: g['policy'] === undefined ? base.policy : checkOneOf(where, `${param}.policy`, g['policy'], CACHE_POLICIES),
    seed: g['seed'] === undefined ? base.seed : checkUint(where, `${param}.seed`, g['seed'], 0xffffffff),
  };
}

/**
 * Where an effective `entries` or `ways` came from: the `caches` field, the
 * legacy `tlb` field (main TLB only) or the model. A refusal carries it
 * (`details.entriesFrom`, `details.waysFrom`) so that a caller holding the
 * input in another shape — a board file — can point at the field its user
 * wrote without working the precedence out again.
 */
type Source = string;

/** An enabled cache: at least one entry, and ways that split it into a power-of-two number of sets. */
function checkShape(where: string, param: string, g: CacheGeometry, from: { readonly entries: Source; readonly ways: Source }, model: SmmuModelName): void {
  if (!g.enabled) return;
  const provenance = { entries: g.entries, ways: g.ways, entriesFrom: from.entries, waysFrom: from.ways, model };
  if (g.entries < 1) {
    throw new VcmError('EINVAL', `${where}: ${param}.entries must be at least 1 while ${param} is enabled, got 0 (set enabled: false to turn it off)`, {
      param: `${param}.entries`,
      value: 0,
      expected: `1..${MAX_ENTRIES}`,
      problem: 'no-entries',
      ...provenance,
    });
  }
  const w = g.ways;
  if (w !== 0 && (w > g.entries || g.entries % w !== 0 || ((g.entries / w) & (g.entries / w - 1)) !== 0)) {
    throw new VcmError('EINVAL', `${where}: ${param}.ways must be 0 (fully associative) or divide ${param}.entries (${g.entries}) into a power-of-two number of sets, got ${w}`, {
      param: `${param}.ways`,
      value: w,
      expected: `0, or a divisor of ${g.entries} giving a power-of-two set count`,
      problem: 'sets',
      ...provenance,
    });
  }
}

function timing(where: string, base: TimingConfig, o: unknown): TimingConfig {
  if (o === undefined) return base;
  const t = checkOptions(where, 'caches.timing', o, TIMING_KEYS);
  const pick = (k: keyof TimingConfig, min: number): number => {
    if (t[k] === undefined) return base[k];
    const v = checkUint(where, `caches.timing.${k}`, t[k], MAX_CYCLES);
    if (v < min) {
      throw new VcmError('EINVAL', `${where}: caches.timing.${k} must be at least ${min}, got ${v}`, { param: `caches.timing.${k}`, value: v, expected: `${min}..${MAX_CYCLES}` });
    }
    return v;
  };
  return {
    clockMHz: pick('clockMHz', 0),
    microTlbHit: pick('microTlbHit', 0),
    mainTlbHit: pick('mainTlbHit', 0),
    walkCacheHit: pick('walkCacheHit', 0),
    memoryAccess: pick('memoryAccess', 0),
    maxWalks: pick('maxWalks', 1),
    busBytesPerCycle: pick('busBytesPerCycle', 0),
  };
}

/** What `resolveCacheConfig` resolves: each field optional, as `new Smmu` takes them. */
export interface CacheConfigInput {
  /** The model to start from (`SMMU_MODEL_NAMES`); default `msm8x60`. */
  readonly model?: SmmuModelName | undefined;
  /** The main TLB's entries, policy, ways and seed, over the model's (checked as `new Tlb` checks them). */
  readonly tlb?: TlbOptions | undefined;
  /** Any field of `CacheConfig`, over the model and `tlb`; nested fields merge one by one. */
  readonly caches?: CacheOverrides | undefined;
}

const INPUT_KEYS: readonly (keyof CacheConfigInput)[] = ['model', 'tlb', 'caches'];

/**
 * The caches and timing an SMMU is built with (docs/hardware.md#translation-caches):
 * `model` (default `msm8x60`), the main TLB as `tlb` says, then `caches`,
 * field by field — exactly what `new Smmu` builds and `smmu.cacheConfig`
 * reports (no options: the `msm8x60` model as it is). `where` names the
 * caller in messages (default `resolveCacheConfig`). Anything an SMMU could not be built with is EINVAL
 * with `details.param` naming the field (`tlb.entries`, `model`,
 * `caches.walkCache.ways`, `caches.lockdownEntries`); a cache that is
 * enabled without entries or whose ways do not make power-of-two sets also
 * says `details.problem` (`no-entries`, `sets`), its `entries` and `ways`
 * and where each came from (`entriesFrom`, `waysFrom`: a field path or
 * `model`), and lockdown beyond the main TLB says `problem: 'lockdown'`,
 * `mainTlbEnabled` and `mainTlbEntries`. Nothing is built or changed.
 */
export function resolveCacheConfig(options: CacheConfigInput = {}, where = 'resolveCacheConfig'): CacheConfig {
  if (typeof where !== 'string') {
    throw new VcmError('EINVAL', `resolveCacheConfig: where must be a string naming the caller, got ${kindOf(where)}`, { param: 'where', value: kindOf(where), expected: 'string' });
  }
  const i = checkOptions(where, 'options', options, INPUT_KEYS);
  // The main TLB's legacy options keep the checks and messages they always had: the TLB's own (nothing built).
  const tlb = i['tlb'] as TlbOptions | undefined;
  checkTlbOptions(tlb ?? {}, where);
  const model = i['model'];
  const caches = i['caches'];
  const name: SmmuModelName = model === undefined ? 'msm8x60' : checkOneOf(where, 'model', model, SMMU_MODEL_NAMES);
  const preset = SMMU_MODELS[name];
  const t = tlb ?? {};
  const mainTlb: CacheGeometry = {
    ...preset.mainTlb,
    ...(t.entries === undefined ? {} : { entries: t.entries }),
    ...(t.policy === undefined ? {} : { policy: t.policy }),
    ...(t.ways === undefined ? {} : { ways: t.ways }),
    ...(t.seed === undefined ? {} : { seed: t.seed }),
  };
  const o = caches === undefined ? {} : checkOptions(where, 'caches', caches, CONFIG_KEYS);
  const config: CacheConfig = {
    microTlb: geometry(where, 'caches.microTlb', preset.microTlb, o['microTlb']),
    mainTlb: geometry(where, 'caches.mainTlb', mainTlb, o['mainTlb']),
    walkCache: geometry(where, 'caches.walkCache', preset.walkCache, o['walkCache']),
    prefetch: o['prefetch'] === undefined ? preset.prefetch : checkBoolean(where, 'caches.prefetch', o['prefetch']),
    lockdownEntries: o['lockdownEntries'] === undefined ? preset.lockdownEntries : checkUint(where, 'caches.lockdownEntries', o['lockdownEntries'], MAX_ENTRIES),
    timing: timing(where, preset.timing, o['timing']),
  };
  for (const c of CACHE_NAMES) {
    // geometry() accepted the override, so it is a plain object or absent.
    const given = o[c] as Partial<Record<'entries' | 'ways', unknown>> | undefined;
    const legacy = c === 'mainTlb' ? t : {};
    const source = (field: 'entries' | 'ways'): Source =>
      given?.[field] !== undefined ? `caches.${c}.${field}` : legacy[field] !== undefined ? `tlb.${field}` : 'model';
    checkShape(where, `caches.${c}`, config[c], { entries: source('entries'), ways: source('ways') }, name);
  }
  if (config.lockdownEntries > 0 && !config.mainTlb.enabled) {
    throw new VcmError('EINVAL', `${where}: caches.lockdownEntries locks main-TLB entries, so it needs caches.mainTlb.enabled; got ${config.lockdownEntries} with the main TLB off`, {
      param: 'caches.lockdownEntries',
      value: config.lockdownEntries,
      expected: '0 while the main TLB is off',
      problem: 'lockdown',
      mainTlbEnabled: false,
      mainTlbEntries: config.mainTlb.entries,
    });
  }
  if (config.mainTlb.enabled && config.lockdownEntries >= config.mainTlb.entries) {
    throw new VcmError('EINVAL', `${where}: caches.lockdownEntries must be below caches.mainTlb.entries (${config.mainTlb.entries}): the TLB keeps entries it can replace, got ${config.lockdownEntries}`, {
      param: 'caches.lockdownEntries',
      value: config.lockdownEntries,
      expected: `0..${config.mainTlb.entries - 1}`,
      problem: 'lockdown',
      mainTlbEnabled: true,
      mainTlbEntries: config.mainTlb.entries,
    });
  }
  return config;
}

/**
 * Physical memory: each bank, the block pools in it with their used and free
 * blocks (used = a chunk of a physical allocation in the graph), the
 * contiguous pools with their free extents and fragmentation, and the
 * page-table region.
 */
import type { JSX } from 'preact';
import { formatSize, hex } from '@vcm/core';
import type { ContiguousPoolStats } from '@vcm/physalloc';
import type { StepState } from '../model/state.js';
import { CHANGED, OKABE_ITO } from './palette.js';

const CELLS = 256;

/** Per cell of a pool drawn as CELLS cells: the fraction of it in use. */
function usage(base: number, size: number, used: readonly { pa: number; len: number }[]): number[] {
  const cell = size / CELLS;
  const out = new Array<number>(CELLS).fill(0);
  for (const u of used) {
    const from = Math.max(u.pa, base);
    const to = Math.min(u.pa + u.len, base + size);
    for (let at = from; at < to; ) {
      const i = Math.floor((at - base) / cell);
      const cellEnd = base + (i + 1) * cell;
      const n = Math.min(to, cellEnd) - at;
      out[i] = (out[i] ?? 0) + n / cell;
      at += n;
    }
  }
  return out;
}

function Bar({ fractions, changed, label }: { fractions: readonly number[]; changed: readonly boolean[]; label: string }) {
  const w = 2.5;
  return (
    <svg class="bar" width={CELLS * w} height={18} role="img" aria-label={label}>
      {fractions.map((f, i) => (
        <rect key={i} x={i * w} y={0} width={w} height={18} fill={f > 0 ? OKABE_ITO.blue : '#e8e8e8'} opacity={f > 0 ? 0.35 + 0.65 * Math.min(1, f) : 1} stroke={changed[i] ? CHANGED : 'none'} stroke-width={changed[i] ? 1 : 0} />
      ))}
    </svg>
  );
}

function fragmentation(p: ContiguousPoolStats): string {
  if (p.freeBytes === 0) return 'full';
  return `${Math.round((1 - p.largestFree / p.freeBytes) * 100)} % (largest free ${formatSize(p.largestFree)} of ${formatSize(p.freeBytes)} free, ${p.freeExtents.length} extent${p.freeExtents.length === 1 ? '' : 's'})`;
}

function contiguousUsed(p: ContiguousPoolStats): { pa: number; len: number }[] {
  const used: { pa: number; len: number }[] = [];
  let at = p.base;
  for (const e of [...p.freeExtents].sort((a, b) => a.pa - b.pa)) {
    if (e.pa > at) used.push({ pa: at, len: e.pa - at });
    at = e.pa + e.len;
  }
  if (at < p.base + p.size) used.push({ pa: at, len: p.base + p.size - at });
  return used;
}

export function MemoryView({ state, prev }: { state: StepState | undefined; prev: StepState | undefined }): JSX.Element {
  if (state === undefined) return <p>No platform yet: step forward.</p>;
  const chunks = state.graph.physmems.flatMap((p) => p.chunks);
  const oldChunks = prev?.graph.physmems.flatMap((p) => p.chunks) ?? [];
  const diff = (a: number[], b: number[]): boolean[] => a.map((x, i) => prev !== undefined && Math.abs(x - (b[i] ?? 0)) > 1e-9);
  return (
    <section class="memory-view" data-testid="memory">
      {state.phys.banks.map((bank) => {
        const inBank = (base: number): boolean => base >= bank.base && base < bank.base + bank.size;
        const pools = state.phys.pools.filter((p) => inBank(p.base));
        const cont = [...state.phys.contiguous, state.phys.tables].filter((p) => inBank(p.base));
        return (
          <div key={bank.name} class="bank">
            <h3>
              bank {bank.name}: {hex(bank.base)} + {formatSize(bank.size)}
            </h3>
            {pools.map((p) => {
              const size = p.blockSize * p.total;
              const now = usage(p.base, size, chunks);
              const then = usage(p.base, size, oldChunks);
              return (
                <div key={p.name} class="pool" data-testid="pool" data-name={p.name} data-in-use={p.inUse}>
                  <div>
                    block pool <strong>{p.name}</strong> at {hex(p.base)}: {p.total} × {formatSize(p.blockSize)}, {p.inUse} used, {p.free} free (high water {p.highWater})
                  </div>
                  <Bar fractions={now} changed={diff(now, then)} label={`${p.name}: ${p.inUse} of ${p.total} blocks used`} />
                </div>
              );
            })}
            {cont.map((p) => {
              const now = usage(p.base, p.size, contiguousUsed(p));
              const before = prev === undefined ? undefined : [...prev.phys.contiguous, prev.phys.tables].find((x) => x.name === p.name);
              const then = before === undefined ? now : usage(before.base, before.size, contiguousUsed(before));
              return (
                <div key={p.name} class="pool" data-testid="pool" data-name={p.name} data-in-use={p.inUseBytes}>
                  <div>
                    {p === state.phys.tables ? 'page-table region' : 'contiguous pool'} <strong>{p.name}</strong> at {hex(p.base)}: {formatSize(p.size)}, {formatSize(p.inUseBytes)} used in {p.allocations} allocation{p.allocations === 1 ? '' : 's'}; fragmentation {fragmentation(p)}
                  </div>
                  <Bar fractions={now} changed={diff(now, then)} label={`${p.name}: ${formatSize(p.inUseBytes)} used`} />
                </div>
              );
            })}
          </div>
        );
      })}
      <h3>memory types</h3>
      <table>
        <thead>
          <tr>
            <th>id</th>
            <th>name</th>
            <th>pools</th>
            <th>allocations</th>
            <th>allocated</th>
            <th>free</th>
          </tr>
        </thead>
        <tbody>
          {state.phys.memtypes.map((m) => (
            <tr key={m.id}>
              <td>{m.id}</td>
              <td>{m.name}</td>
              <td>{[...m.pools, ...(m.contiguous === null ? [] : [m.contiguous])].join(', ')}</td>
              <td>{m.allocations}</td>
              <td>{formatSize(m.allocatedBytes)}</td>
              <td>{formatSize(m.freeBytes)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/**
 * Page tables per SMMU context and for the CPU: the registers, then
 * ptdump-style ranges of each table; a range opens into its leaves, and a
 * leaf into the descriptor slots it fills (a 16 MiB supersection fills
 * sixteen 1 MiB level-1 entries, a 64 KiB large page sixteen 4 KiB ones),
 * each read by walking the live platform at this step.
 */
import type { JSX } from 'preact';
import { formatSize, hex } from '@vcm/core';
import { useMemo, useState } from 'preact/hooks';
import { isWritableExecutable, protText, ptRanges } from '../model/ptdump.js';
import type { PtRange } from '../model/ptdump.js';
import type { Leaf, StepState } from '../model/state.js';
import type { WalkView } from '../model/walk.js';
import type { Session } from './session.js';
import { WalkTable } from './walk-panel.js';

/**
 * What one table entry at each level spans (ARM ARM DDI 0406C, B3.5 for the
 * short-descriptor format: 1 MiB level-1 entries, 4 KiB level-2 entries;
 * B3.6 for LPAE with a 4 KiB granule: 1 GiB, 2 MiB, 4 KiB).
 */
const ENTRY_SPAN: Readonly<Record<string, Readonly<Record<number, number>>>> = {
  armV7Short: { 1: 2 ** 20, 2: 2 ** 12 },
  armLpae4k: { 1: 2 ** 30, 2: 2 ** 21, 3: 2 ** 12 },
};

interface TableChoice {
  readonly key: string;
  readonly label: string;
  readonly format: string;
  readonly device: string;
  readonly leaves: readonly Leaf[];
  readonly registers: readonly [string, string][];
  readonly fields: unknown;
}

function choices(state: StepState): TableChoice[] {
  const out: TableChoice[] = [];
  for (const c of state.contexts) {
    if (c.tables.length === 0) continue;
    const registers: [string, string][] = Object.entries(c.registers as unknown as Record<string, number>).map(([k, v]) => [k.toUpperCase(), hex(v)]);
    for (const t of c.tables) {
      out.push({ key: `${c.name}/${t.base}`, label: `${c.name} ${t.base} (${t.format}, root ${hex(t.rootPa)}, ${formatSize(t.tableBytes)} of tables)`, format: t.format, device: c.name, leaves: t.leaves, registers, fields: c.fields });
    }
  }
  if (state.cpu !== undefined) {
    out.push({ key: `${state.cpu.name}/cpu`, label: `${state.cpu.name} (${state.cpu.format}: linear map and the CPU VCMs' reservations)`, format: state.cpu.format, device: state.cpu.name, leaves: state.cpu.leaves, registers: Object.entries(state.cpu.registers).map(([k, v]) => [k.toUpperCase(), v]), fields: undefined });
  }
  return out;
}

const rangeKey = (r: PtRange): string => `${r.va}:${r.end}:${r.pa}:${r.pageSize}:${r.prot}`;

function Slots({ session, step, choice, leaf }: { session: Session; step: number; choice: TableChoice; leaf: Leaf }) {
  const walks = useMemo(() => {
    const platform = session.livePlatform(step);
    if (platform === undefined) return [];
    const span = ENTRY_SPAN[choice.format]?.[leaf.level] ?? leaf.size;
    const walk = (va: number): WalkView => (choice.device === platform.cpu.name ? platform.cpu.walk(va) : platform.tree.getCtxInstance(choice.device).walk(va));
    const out: WalkView[] = [];
    for (let off = 0; off < leaf.size && out.length < 512; off += span) out.push(walk(leaf.va + off));
    return out;
  }, [session, step, choice, leaf]);
  const [open, setOpen] = useState<number | undefined>(undefined);
  const long = choice.format === 'armLpae4k';
  return (
    <div class="slots">
      <h4>
        Descriptor slots of the {formatSize(leaf.size)} leaf at {hex(leaf.va)}
      </h4>
      <table data-testid="slots">
        <thead>
          <tr>
            <th>device address</th>
            <th>entry PA</th>
            <th>descriptor</th>
            <th>→ physical</th>
            <th>slot spans</th>
          </tr>
        </thead>
        <tbody>
          {walks.map((w, i) => {
            const last = w.steps[w.steps.length - 1];
            const span = ENTRY_SPAN[choice.format]?.[leaf.level] ?? leaf.size;
            return (
              <tr key={i} data-testid="slot" data-va={w.va} data-pa={w.pa ?? ''} data-size={span} data-level={last?.level ?? ''} onClick={() => setOpen(open === i ? undefined : i)} class="clickable">
                <td>
                  <code>{hex(w.va)}</code>
                </td>
                <td>
                  <code>{last === undefined ? '—' : hex(last.entryPa)}</code>
                </td>
                <td>
                  <code>{last === undefined ? '—' : long ? `${hex(last.descriptorHigh)} ${hex(last.descriptor)}` : hex(last.descriptor)}</code>
                </td>
                <td>
                  <code>{w.pa === undefined ? 'fault' : hex(w.pa)}</code>
                </td>
                <td>{formatSize(span)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {open !== undefined && walks[open] !== undefined && <WalkTable walk={walks[open]} long={long} />}
    </div>
  );
}

export function TablesView({ session, step, state, prev }: { session: Session; step: number; state: StepState | undefined; prev: StepState | undefined }): JSX.Element {
  const list = useMemo(() => (state === undefined ? [] : choices(state)), [state]);
  const before = useMemo(() => (prev === undefined ? [] : choices(prev)), [prev]);
  const [key, setKey] = useState<string | undefined>(undefined);
  const [rangeAt, setRangeAt] = useState<number | undefined>(undefined);
  const [leafAt, setLeafAt] = useState<number | undefined>(undefined);
  if (state === undefined) return <p>No platform yet: step forward.</p>;
  const choice = list.find((c) => c.key === key) ?? list[0];
  if (choice === undefined) return <p>No page table is loaded yet.</p>;
  const ranges = ptRanges(choice.leaves);
  const old = new Set(ptRanges(before.find((c) => c.key === choice.key)?.leaves ?? []).map(rangeKey));
  const range = rangeAt === undefined ? undefined : ranges.find((r) => r.va === rangeAt);
  const leaf = range?.leaves.find((l) => l.va === leafAt);
  return (
    <section class="tables-view">
      <label>
        table{' '}
        <select
          data-testid="table-choice"
          value={choice.key}
          onChange={(e) => {
            setKey((e.target as HTMLSelectElement).value);
            setRangeAt(undefined);
            setLeafAt(undefined);
          }}
        >
          {list.map((c) => (
            <option key={c.key} value={c.key}>
              {c.label}
            </option>
          ))}
        </select>
      </label>
      <details class="registers">
        <summary>registers</summary>
        <table>
          <tbody>
            {choice.registers.map(([k, v]) => (
              <tr key={k}>
                <th>{k}</th>
                <td>
                  <code>{v}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {choice.fields !== undefined && <pre>{JSON.stringify(choice.fields, null, 1)}</pre>}
      </details>
      <table class="ptdump" data-testid="ptdump">
        <thead>
          <tr>
            <th>device addresses</th>
            <th>size</th>
            <th>physical</th>
            <th>leaves</th>
            <th>level</th>
            <th>attributes</th>
          </tr>
        </thead>
        <tbody>
          {ranges.map((r) => {
            const isNew = prev !== undefined && !old.has(rangeKey(r));
            return (
              <tr
                key={rangeKey(r)}
                data-testid="pt-range"
                data-va={r.va}
                data-end={r.end}
                data-pa={r.pa}
                data-changed={isNew ? 'true' : 'false'}
                class={`clickable${isNew ? ' changed' : ''}${r.va === rangeAt ? ' open' : ''}`}
                tabIndex={0}
                onClick={() => {
                  setRangeAt(r.va === rangeAt ? undefined : r.va);
                  setLeafAt(undefined);
                }}
              >
                <td>
                  <code>
                    {hex(r.va)}–{hex(r.end - 1)}
                  </code>
                </td>
                <td>{formatSize(r.end - r.va)}</td>
                <td>
                  <code>{hex(r.pa)}</code>
                </td>
                <td>
                  {r.count} × {formatSize(r.pageSize)}
                </td>
                <td>{r.level}</td>
                <td>
                  {protText(r.prot)}
                  {isWritableExecutable(r.prot) && <strong class="wx"> W+X</strong>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {range !== undefined && (
        <div class="leaves">
          <h4>Leaves of the range</h4>
          <table data-testid="leaves">
            <tbody>
              {range.leaves.map((l) => (
                <tr key={l.va} data-testid="leaf" data-va={l.va} data-size={l.size} class={`clickable${l.va === leafAt ? ' open' : ''}`} onClick={() => setLeafAt(l.va === leafAt ? undefined : l.va)}>
                  <td>
                    <code>{hex(l.va)}</code>
                  </td>
                  <td>{formatSize(l.size)}</td>
                  <td>
                    <code>{hex(l.pa)}</code>
                  </td>
                  <td>level {l.level}</td>
                  <td>
                    <code>{choice.format === 'armLpae4k' ? `${hex(l.descriptorHigh)} ${hex(l.descriptor)}` : hex(l.descriptor)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {leaf !== undefined && <Slots session={session} step={step} choice={choice} leaf={leaf} />}
    </section>
  );
}

/**
 * Page tables per SMMU context and for the CPU, as `@vcm/scenario`'s
 * `dumpPageTables` reads them (what `vcm-ref dump` prints): the registers
 * raw and decoded, every table, then ptdump-style ranges labelled with the
 * reservation or buffer they hold. A range opens into its leaves, and a
 * leaf into the descriptor slots it fills (a 16 MiB supersection fills
 * sixteen 1 MiB level-1 entries, a 64 KiB large page sixteen 4 KiB ones),
 * each read by walking the live platform at this step.
 */
import type { JSX } from 'preact';
import { formatSize, hex } from '@vcm/core';
import { describeAttributes } from '@vcm/scenario';
import type { DumpLeaf, DumpRange } from '@vcm/scenario';
import { useMemo, useState } from 'preact/hooks';
import type { StepState } from '../model/state.js';
import { changedRanges, isWritableExecutable, leavesOf, rangeKey, tableChoices } from '../model/tables.js';
import type { TableChoice } from '../model/tables.js';
import type { WalkView } from '../model/walk.js';
import type { Session } from './session.js';
import { WalkTable } from './walk-panel.js';

function Slots({ session, step, choice, leaf }: { session: Session; step: number; choice: TableChoice; leaf: DumpLeaf }): JSX.Element {
  const walks = useMemo(() => {
    const platform = session.livePlatform(step);
    if (platform === undefined) return [];
    const walk = (va: number): WalkView => (choice.device === platform.cpu.name ? platform.cpu.walk(va) : platform.tree.getCtxInstance(choice.device).walk(va));
    const out: WalkView[] = [];
    for (let off = 0; off < leaf.size && out.length < 512; off += leaf.entrySpan) out.push(walk(leaf.va + off));
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
            return (
              <tr key={i} data-testid="slot" data-va={w.va} data-pa={w.pa ?? ''} data-size={leaf.entrySpan} data-level={last?.level ?? ''} onClick={() => setOpen(open === i ? undefined : i)} class="clickable">
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
                <td>{formatSize(leaf.entrySpan)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {open !== undefined && walks[open] !== undefined && <WalkTable walk={walks[open]} long={long} />}
    </div>
  );
}

function physical(r: DumpRange): string {
  const first = r.pa[0];
  if (first === undefined) return '—';
  return r.pa.length === 1 ? hex(first.pa) : `${hex(first.pa)} + ${r.pa.length - 1} more run${r.pa.length === 2 ? '' : 's'}`;
}

function Registers({ choice }: { choice: TableChoice }): JSX.Element {
  const { registers, tables } = { registers: choice.dump.registers, tables: choice.tables };
  return (
    <>
      <details class="registers" data-testid="registers">
        <summary>registers of {choice.device}</summary>
        <table>
          <tbody>
            {Object.entries(registers.raw).map(([k, v]) => (
              <tr key={k}>
                <th>{k}</th>
                <td>
                  <code>{hex(v)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <pre>{JSON.stringify(registers.decoded, null, 1)}</pre>
      </details>
      <details class="table-list">
        <summary>
          {tables.length} table{tables.length === 1 ? '' : 's'} from {choice.base}, {formatSize(tables.reduce((n, t) => n + t.bytes, 0))}
        </summary>
        <table data-testid="table-list">
          <thead>
            <tr>
              <th>level</th>
              <th>at (physical)</th>
              <th>bytes</th>
              <th>first device address it translates</th>
            </tr>
          </thead>
          <tbody>
            {tables.map((t) => (
              <tr key={t.pa}>
                <td>{t.level}</td>
                <td>
                  <code>{hex(t.pa)}</code>
                </td>
                <td>{formatSize(t.bytes)}</td>
                <td>
                  <code>{hex(t.va)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </>
  );
}

export function TablesView({ session, step, state, prev }: { session: Session; step: number; state: StepState | undefined; prev: StepState | undefined }): JSX.Element {
  const list = useMemo(() => (state === undefined ? [] : tableChoices(state)), [state]);
  const before = useMemo(() => (prev === undefined ? [] : tableChoices(prev)), [prev]);
  const [key, setKey] = useState<string | undefined>(undefined);
  const [rangeAt, setRangeAt] = useState<number | undefined>(undefined);
  const [leafAt, setLeafAt] = useState<number | undefined>(undefined);
  if (state === undefined) return <p>No platform yet: step forward.</p>;
  const choice = list.find((c) => c.key === key) ?? list[0];
  if (choice === undefined) return <p>No page table is loaded yet.</p>;
  const changed = prev === undefined ? new Set<string>() : changedRanges(before.find((c) => c.key === choice.key), choice);
  const range = rangeAt === undefined ? undefined : choice.ranges.find((r) => r.va === rangeAt);
  const leaves = range === undefined ? [] : leavesOf(choice.dump, range);
  const leaf = leaves.find((l) => l.va === leafAt);
  const root = choice.tables[0];
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
              {c.device} {c.base} ({c.format}, root {c.tables[0] === undefined ? '—' : hex(c.tables[0].pa)}, {c.tables.length} table{c.tables.length === 1 ? '' : 's'})
            </option>
          ))}
        </select>
      </label>
      <Registers choice={choice} />
      {root === undefined && <p>No table hangs from {choice.base}.</p>}
      <table class="ptdump" data-testid="ptdump">
        <thead>
          <tr>
            <th>device addresses</th>
            <th>size</th>
            <th>physical</th>
            <th>pages</th>
            <th>level</th>
            <th>attributes</th>
            <th>holds</th>
          </tr>
        </thead>
        <tbody>
          {choice.ranges.map((r) => {
            const isNew = changed.has(rangeKey(r));
            return (
              <tr
                key={rangeKey(r)}
                data-testid="pt-range"
                data-va={r.va}
                data-end={r.va + r.size}
                data-pa={r.pa[0]?.pa ?? ''}
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
                    {hex(r.va)}–{hex(r.va + r.size - 1)}
                  </code>
                </td>
                <td>{formatSize(r.size)}</td>
                <td>
                  <code>{physical(r)}</code>
                </td>
                <td>
                  {r.pages} × {formatSize(r.pageSize)}
                </td>
                <td>{r.level}</td>
                <td>
                  <code>{describeAttributes(r.attributes)}</code>
                  {isWritableExecutable(r) && <strong class="wx"> W+X</strong>}
                </td>
                <td>{r.label ?? ''}</td>
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
              {leaves.map((l) => (
                <tr key={l.va} data-testid="leaf" data-va={l.va} data-size={l.size} class={`clickable${l.va === leafAt ? ' open' : ''}`} onClick={() => setLeafAt(l.va === leafAt ? undefined : l.va)}>
                  <td>
                    <code>{hex(l.va)}</code>
                  </td>
                  <td>{formatSize(l.size)}</td>
                  <td>
                    <code>{hex(l.pa)}</code>
                  </td>
                  <td>level {l.level}</td>
                  <td>{l.size > l.entrySpan ? `${l.size / l.entrySpan} entries of ${formatSize(l.entrySpan)}` : 'one entry'}</td>
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

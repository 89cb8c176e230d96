/**
 * The walk view: a device address typed in, walked from the chosen device's
 * registers on the live platform at this step (`ctx.walk` for an SMMU
 * context, `cpu.walk` for the CPU) — the same call `vcm-ref walk` makes.
 */
import type { JSX } from 'preact';
import { isVcmError } from '@vcm/core';
import { useMemo, useState } from 'preact/hooks';
import { parseAddress } from '../model/format.js';
import type { WalkView as Walk } from '../model/walk.js';
import type { Session } from './session.js';
import { WalkTable } from './walk-panel.js';

export function WalkView({ session, step }: { session: Session; step: number }): JSX.Element {
  const state = session.steps[step]?.state;
  const devices = useMemo(() => [...(state?.contexts.filter((c) => c.active).map((c) => c.name) ?? []), ...(state?.cpu === undefined ? [] : [state.cpu.name])], [state]);
  const [device, setDevice] = useState<string | undefined>(undefined);
  const [text, setText] = useState('');
  const [found, setFound] = useState<{ at: number; walk?: Walk; long?: boolean; error?: string } | undefined>(undefined);
  // A walk answers for the step it ran at; another step needs its own walk.
  const result = found?.at === step ? found : undefined;
  const setResult = (r: { walk?: Walk; long?: boolean; error?: string }): void => setFound({ at: step, ...r });
  const chosen = device !== undefined && devices.includes(device) ? device : devices[0];

  const run = (e: Event): void => {
    e.preventDefault();
    const va = parseAddress(text);
    if (va === undefined) return setResult({ error: `"${text}" is not an address: type hex (0x0100_0000) or decimal` });
    const platform = session.livePlatform(step);
    if (platform === undefined || chosen === undefined) return setResult({ error: 'no active device at this step' });
    try {
      if (chosen === platform.cpu.name) setResult({ walk: platform.cpu.walk(va), long: false });
      else {
        const ctx = platform.tree.getCtxInstance(chosen);
        setResult({ walk: ctx.walk(va), long: ctx.smmu.format.name === 'armLpae4k' });
      }
    } catch (err) {
      setResult({ error: isVcmError(err) ? `${err.code}: ${err.message}` : String(err) });
    }
  };

  return (
    <section class="walk-view">
      <form onSubmit={run} class="walk-form">
        <label>
          device{' '}
          <select data-testid="walk-device" value={chosen} onChange={(e) => setDevice((e.target as HTMLSelectElement).value)}>
            {devices.map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          address <input data-testid="walk-address" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} placeholder="0x0100_0000" spellcheck={false} />
        </label>{' '}
        <button type="submit" data-testid="walk-go">
          walk
        </button>
      </form>
      {result?.error !== undefined && (
        <p class="error" data-testid="walk-error" role="alert">
          {result.error}
        </p>
      )}
      {result?.walk !== undefined && <WalkTable walk={result.walk} long={result.long ?? false} />}
      {devices.length === 0 && <p>No device is active at this step: walks need a context's registers.</p>}
    </section>
  );
}

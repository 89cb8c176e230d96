/**
 * The explorer in a real browser (Debian's Chromium), against the static
 * build. Expected values come from the CLI (`vcm-ref video-playback --json`)
 * or from the libraries called here in Node, never from numbers written in
 * the test. Every view is saved as a screenshot under test-artifacts/.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { isVcmError } from '@vcm/core';
import { parseScenario, runScenario, runSweep } from '@vcm/scenario';
import type { ContextWalk } from '@vcm/smmu';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const shots = fileURLToPath(new URL('../test-artifacts/screenshots/', import.meta.url));
const SZ_1M = 2 ** 20;

interface CliAddresses {
  base16M: number;
  frameChunks: { pa: number; len: number }[];
}

function cliVideoPlayback(): { addresses: CliAddresses; steps: { cCall: string }[] } {
  const out = execFileSync(process.execPath, [`${repo}apps/reference/dist/cli.js`, 'video-playback', '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const w = (JSON.parse(out) as { walkthroughs: { data: { addresses: CliAddresses }; steps: { cCall: string }[] }[] }).walkthroughs[0]!;
  return { addresses: w.data.addresses, steps: w.steps };
}

/** The physical address the frame's byte at `off` has, from the CLI's chunk list. */
function framePa(chunks: readonly { pa: number; len: number }[], off: number): number {
  for (const c of chunks) {
    if (off < c.len) return c.pa + off;
    off -= c.len;
  }
  throw new Error(`offset ${off} is past the frame`);
}

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** At the default zoom every node of the graph lies inside its pane (and the pane inside the window), and no two edge labels overlap. */
async function expectGraphFits(page: Page): Promise<void> {
  const pane = (await page.getByTestId('graph').boundingBox())!;
  const viewport = page.viewportSize()!;
  expect(pane.x + pane.width).toBeLessThanOrEqual(viewport.width);
  expect(pane.y + pane.height).toBeLessThanOrEqual(viewport.height);
  const nodes = page.locator('[data-testid=graph] g.node');
  const n = await nodes.count();
  expect(n).toBeGreaterThan(8);
  for (let i = 0; i < n; i++) {
    const b = (await nodes.nth(i).boundingBox())!;
    const id = await nodes.nth(i).getAttribute('data-node');
    expect({ id, inside: b.x >= pane.x - 0.5 && b.y >= pane.y - 0.5 && b.x + b.width <= pane.x + pane.width + 0.5 && b.y + b.height <= pane.y + pane.height + 0.5 }).toEqual({ id, inside: true });
  }
  // Every layer is there, down to the banks.
  for (const kind of ['device', 'association', 'vcm', 'reservation', 'physmem', 'chunks', 'pool', 'bank']) await expect(page.locator(`[data-testid=graph] g.node.${kind}`).first()).toBeVisible();
  const labels: Rect[] = [];
  for (const l of await page.locator('[data-testid=graph] g.edge-label rect').all()) labels.push((await l.boundingBox())!);
  const clash = (a: Rect, b: Rect): boolean => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) expect(clash(labels[i]!, labels[j]!)).toBe(false);
}

async function stepTo(page: Page, cCall: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await page.getByTestId('c-call').textContent()) === cCall) return;
    await page.keyboard.press('ArrowRight');
  }
  throw new Error(`never reached ${cCall}`);
}

test('video-playback: stepping to vcm_back of the 16 MiB frame shows the new reservation ↔ physmem edge and the frame in the page tables', async ({ page }) => {
  const cli = cliVideoPlayback();
  const base = cli.addresses.base16M;
  await page.goto('./#w=video-playback&v=graph');
  await expect(page.getByTestId('title')).toContainText('Video playback');
  const firstGraph = await page.waitForFunction(() => window.vcmFirstGraphMs, undefined, { timeout: 60_000 });
  console.log(`page load to first rendered graph of video-playback: ${Math.round((await firstGraph.jsonValue()) as number)} ms`);
  // The steps are the CLI's, in its order.
  await expect(page.locator('.steps li')).toHaveCount(cli.steps.length);

  await stepTo(page, 'vcm_back(res_16M, buf_frame);');
  expect(page.url()).toMatch(/s=\d+/);
  const edge = page.locator(`[data-testid=graph] g.edge[data-from^="res:"][data-to^="pm:"][data-devaddr="${base}"]`);
  await expect(edge).toHaveCount(1);
  await expect(edge).toHaveAttribute('data-changed', 'true');
  await expect(edge).toHaveAttribute('data-len', String(16 * SZ_1M));
  await expectGraphFits(page);
  await page.screenshot({ path: `${shots}graph.png`, fullPage: true });
  // The README's screenshot is this step, regenerated on request.
  if (process.env['EXPLORER_README_SCREENSHOT'] === '1') await page.screenshot({ path: fileURLToPath(new URL('../screenshot.png', import.meta.url)) });

  // Zoom and pan change the drawing's transform; 0 fits it again.
  const graphSvg = page.getByTestId('graph');
  const fitted = await graphSvg.getAttribute('data-scale');
  await page.getByTestId('zoom-in').click();
  await expect(graphSvg).not.toHaveAttribute('data-scale', fitted!);
  await graphSvg.focus();
  await page.keyboard.press('0');
  await expect(graphSvg).toHaveAttribute('data-scale', fitted!);

  // One step back: the edge is not there yet (stepping back works, and by keyboard).
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByTestId('c-call')).not.toHaveText('vcm_back(res_16M, buf_frame);');
  await expect(page.locator(`g.edge[data-from^="res:"][data-to^="pm:"][data-devaddr="${base}"]`)).toHaveCount(0);
  await page.keyboard.press('ArrowRight');

  await page.locator('[role=tab][data-view=tables]').click();
  const decoder = page.getByTestId('table-choice');
  await decoder.selectOption({ label: (await decoder.locator('option', { hasText: 'vcodec_a_mm1 TTBR0' }).textContent())! });
  const range = page.locator(`[data-testid=pt-range][data-va="${base}"]`);
  await expect(range).toHaveAttribute('data-changed', 'true');
  await expect(range).toHaveAttribute('data-end', String(base + 16 * SZ_1M));
  await range.click();
  await page.locator(`[data-testid=leaf][data-va="${base}"]`).click();
  const slots = page.getByTestId('slot');
  await expect(slots).toHaveCount(16);
  for (let i = 0; i < 16; i++) {
    const slot = slots.nth(i);
    await expect(slot).toHaveAttribute('data-va', String(base + i * SZ_1M));
    await expect(slot).toHaveAttribute('data-size', String(SZ_1M));
    await expect(slot).toHaveAttribute('data-level', '1');
    await expect(slot).toHaveAttribute('data-pa', String(framePa(cli.addresses.frameChunks, i * SZ_1M)));
  }
  await page.screenshot({ path: `${shots}page-tables.png`, fullPage: true });

  await page.locator('[role=tab][data-view=memory]').click();
  await expect(page.getByTestId('pool').first()).toBeVisible();
  await page.screenshot({ path: `${shots}physical-memory.png`, fullPage: true });
  await page.locator('[role=tab][data-view=caches]').click();
  await expect(page.getByTestId('tlb-stats')).toBeVisible();
  await page.keyboard.press('End');
  await expect(page.locator('[data-testid=tlb-entries] tbody tr').first()).toBeVisible();
  // Every cache of the SMMU's hierarchy with its counters: lookups are hits plus misses.
  const caches = page.locator('[data-testid=cache-counters] tbody tr');
  expect(await caches.count()).toBeGreaterThan(0);
  for (const row of await caches.all()) {
    const [lookups, hits, misses] = await Promise.all(['data-lookups', 'data-hits', 'data-misses'].map(async (a) => Number(await row.getAttribute(a))));
    expect(lookups).toBe(hits! + misses!);
  }
  await page.screenshot({ path: `${shots}translation-caches.png`, fullPage: true });
});

test('the walk view gives the levels and the physical address ctx.walk and vcm-ref walk give for a device address', async ({ page }) => {
  const text = readFileSync(`${repo}examples/scenarios/video-playback.yaml`, 'utf8');
  let device = '';
  let va = 0;
  let expected: ContextWalk | undefined;
  runScenario(parseScenario(text), {
    traffic: false,
    onSetUp: (s) => {
      const space = s.spaces.find((x) => x.kind === 'device' && x.reservations.length > 0)!;
      device = space.devices[0]!;
      const res = space.reservations[space.reservations.length - 1]!;
      va = res.devAddr + res.len / 2 + 0x123;
      expected = s.platform.tree.getCtxInstance(device).walk(va);
    },
  });
  await page.goto('./#sc=video-playback&s=0&v=walk');
  await page.getByTestId('walk-device').selectOption(device);
  await page.getByTestId('walk-address').fill(`0x${va.toString(16)}`);
  await page.getByTestId('walk-go').click();
  const result = page.getByTestId('walk-result');
  await expect(result).toHaveAttribute('data-pa', String(expected!.pa));
  const levels = page.getByTestId('walk-level');
  await expect(levels).toHaveCount(expected!.steps.length);
  for (const [i, s] of expected!.steps.entries()) {
    await expect(levels.nth(i)).toHaveAttribute('data-level', String(s.level));
    await expect(levels.nth(i)).toHaveAttribute('data-entry-pa', String(s.entryPa));
  }
  // And what `vcm-ref walk` prints for it.
  const out = execFileSync(process.execPath, [`${repo}apps/reference/dist/cli.js`, '--json', 'walk', `${repo}examples/scenarios/video-playback.yaml`, `0x${va.toString(16)}`, '--ctx', device], { encoding: 'utf8' });
  const cli = JSON.parse(out) as { pa: string | null; steps: { level: number; entryPa: string }[] };
  const num = (h: string): number => Number.parseInt(h.replaceAll('_', ''), 16);
  await expect(result).toHaveAttribute('data-pa', String(num(cli.pa!)));
  await expect(levels).toHaveCount(cli.steps.length);
  for (const [i, s] of cli.steps.entries()) await expect(levels.nth(i)).toHaveAttribute('data-entry-pa', String(num(s.entryPa)));
  await page.screenshot({ path: `${shots}walk.png`, fullPage: true });

  // An address outside every mapping: the fault the walk reports, not an error.
  const unmapped = 0xfff0_0000;
  let fault: ContextWalk | undefined;
  runScenario(parseScenario(text), { traffic: false, onSetUp: (s) => void (fault = s.platform.tree.getCtxInstance(device).walk(unmapped)) });
  await page.getByTestId('walk-address').fill(`0x${unmapped.toString(16)}`);
  await page.getByTestId('walk-go').click();
  await expect(result).toHaveAttribute('data-fault', fault!.fault!.fault);
});

test('a scenario with an error shows the path of the bad value and the suggestion', async ({ page }) => {
  const good = readFileSync(`${repo}examples/scenarios/video-playback.yaml`, 'utf8');
  const bad = good.replace('access: write', 'access: wirte');
  expect(bad).not.toBe(good);
  let path = '';
  let message = '';
  try {
    parseScenario(bad);
  } catch (e) {
    if (!isVcmError(e)) throw e;
    path = String(e.details['path']);
    message = e.message;
  }
  expect(path).not.toBe('');
  await page.goto('./#w=memory');
  await page.locator('details.paste summary').click();
  await page.getByTestId('paste').fill(bad);
  await page.getByTestId('paste-open').click();
  await expect(page.getByTestId('validation-path')).toHaveText(path);
  await expect(page.getByTestId('validation-error')).toContainText(message);
  await page.screenshot({ path: `${shots}invalid-scenario.png`, fullPage: true });
});

/** A value as JSON carries it (what crosses from the page): undefined fields dropped. */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v)) as unknown;

test('a scenario with a sweep runs in a worker, the page answering meanwhile: the same report as runScenario, and the chart has one point per sweep point', async ({ page }) => {
  const text = readFileSync(`${repo}examples/scenarios/tlb-study.yaml`, 'utf8');
  const checked = parseScenario(text);
  expect(checked.points.length).toBeGreaterThan(1);
  await page.goto('./#sc=tlb-study&v=scenario');
  const progress = page.getByTestId('scenario-progress');
  await expect(progress).toBeVisible();
  // While the worker runs, the page's own thread still answers at once.
  const t0 = Date.now();
  await page.evaluate(() => document.title);
  const answered = Date.now() - t0;
  if ((await progress.getAttribute('data-done')) === 'false') expect(answered).toBeLessThan(1500);
  await expect(page.getByTestId('sweep-chart')).toBeVisible({ timeout: 90_000 });
  await expect(progress).toHaveAttribute('data-done', 'true');
  await expect(page.getByTestId('sweep-point')).toHaveCount(checked.points.length);
  const fromWorker = await page.evaluate(() => window.vcmScenarioRun!);
  expect(fromWorker.name).toBe('tlb-study');
  expect(fromWorker.report).toEqual(plain(runScenario(checked)));
  expect(fromWorker.sweep).toEqual(plain(runSweep(checked)));
  console.log(`tlb-study with its ${checked.points.length}-point sweep: ${fromWorker.ms} ms in the worker`);
  await page.screenshot({ path: `${shots}scenario-sweep.png`, fullPage: true });
});

test('a timed scenario: each device\'s cycles, stalls and deadline, its caches, and the sweep chart of its slowest frame, as runScenario and runSweep give them', async ({ page }) => {
  const checked = parseScenario(readFileSync(`${repo}examples/scenarios/perf-study.yaml`, 'utf8'));
  const report = runScenario(checked);
  const timed = report.devices.filter((d) => d.timing !== undefined);
  expect(timed.length).toBeGreaterThan(0);
  await page.goto('./#sc=perf-study&v=scenario');
  await expect(page.getByTestId('sweep-chart')).toBeVisible({ timeout: 120_000 });
  for (const d of timed) {
    const row = page.locator(`[data-testid=scenario-timing] tr[data-device="${d.name}"]`);
    await expect(row).toHaveAttribute('data-cycles', String(d.timing!.cycles));
    await expect(row).toHaveAttribute('data-stall-cycles', String(d.timing!.stallCycles));
    await expect(row).toHaveAttribute('data-deadline-met', d.timing!.frame === null ? '' : String(d.timing!.frame.deadlineMet));
    await expect(page.locator(`[data-testid=scenario-caches] tr[data-device="${d.name}"]`)).toBeVisible();
  }
  // The default figure is a device's slowest frame: one point per sweep point, each the frame's milliseconds.
  const chart = page.getByTestId('sweep-chart');
  const figure = (await chart.getAttribute('data-figure'))!;
  expect(figure).toMatch(/^frame:/);
  const device = figure.slice('frame:'.length);
  const sweep = runSweep(checked);
  const points = page.getByTestId('sweep-point');
  await expect(points).toHaveCount(sweep.points.length);
  const drawn = (await points.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-y'))))).sort((a, b) => a - b);
  const expected = sweep.points.map((p) => p.devices.find((d) => d.name === device)!.timing!.frame!.worstSeconds * 1e3).sort((a, b) => a - b);
  expect(drawn).toEqual(expected);
  await page.screenshot({ path: `${shots}scenario-timing.png`, fullPage: true });
});

test('the URL opens the same walk-through, step and view', async ({ page }) => {
  await page.goto('./#w=walkthrough&s=5&v=memory');
  await expect(page.getByTestId('view-memory')).toBeVisible();
  await expect(page.locator('.steps li.current')).toHaveAttribute('data-step', '5');
  await page.keyboard.press('ArrowRight');
  await expect(page).toHaveURL(/s=6/);
  await page.reload();
  await expect(page.locator('.steps li.current')).toHaveAttribute('data-step', '6');
});

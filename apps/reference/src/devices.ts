/**
 * Which SMMUs and contexts of the board a walk-through uses. The MSM8x60
 * preset names them after the seeds (the video decoder `vcodec_a_mm1`, the
 * display engine `mdp0_port0`, the userspace example's `vcodec_a_stream`);
 * on another board the first context of a fitting SMMU stands in, and the
 * steps print which one ran.
 */
import { validateBoard } from '@vcm/devtree';
import type { Board, FormatName, SmmuSpec } from '@vcm/devtree';
import type { BoardChoice } from './board.js';

export interface ContextChoice {
  readonly smmu: SmmuSpec;
  readonly context: string;
}

export function normalisedBoard(board: BoardChoice): Board {
  return validateBoard(board.description);
}

function byName(b: Board, name: string): ContextChoice | undefined {
  for (const smmu of b.smmus) if (smmu.contexts.some((c) => c.name === name)) return { smmu, context: name };
  return undefined;
}

function firstOf(b: Board, format: FormatName | undefined, exclude?: SmmuSpec): ContextChoice | undefined {
  const smmu = b.smmus.find((s) => (format === undefined || s.format === format) && s !== exclude);
  return smmu === undefined ? undefined : { smmu, context: smmu.contexts[0]!.name };
}

/** The video decoder: `vcodec_a_mm1`, else the first short-descriptor context, else the first context. */
export function decoderContext(b: Board): ContextChoice | undefined {
  return byName(b, 'vcodec_a_mm1') ?? firstOf(b, 'armV7Short') ?? firstOf(b, undefined);
}

/** The display engine: `mdp0_port0`, else a context on another SMMU (preferably the other format). */
export function displayContext(b: Board, decoder: ContextChoice): ContextChoice | undefined {
  const other: FormatName = decoder.smmu.format === 'armV7Short' ? 'armLpae4k' : 'armV7Short';
  return byName(b, 'mdp0_port0') ?? firstOf(b, other, decoder.smmu) ?? firstOf(b, undefined, decoder.smmu);
}

/** The userspace example's context: `vcodec_a_stream` (seed 000), else the first context. */
export function userspaceContext(b: Board): ContextChoice | undefined {
  return byName(b, 'vcodec_a_stream') ?? firstOf(b, undefined);
}

/** The SMMU the seed's `smmu_*` sequence runs on: the first short-descriptor SMMU (4 KiB … 16 MiB pages). */
export function shortFormatSmmu(b: Board): SmmuSpec | undefined {
  return decoderContext(b)?.smmu.format === 'armV7Short' ? decoderContext(b)!.smmu : b.smmus.find((s) => s.format === 'armV7Short');
}

/** A display-engine SMMU for the TLB study: the display's, else the first. */
export function displaySmmu(b: Board): SmmuSpec | undefined {
  return byName(b, 'mdp0_port0')?.smmu ?? b.smmus[0];
}

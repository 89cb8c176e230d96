/**
 * Which SMMUs and contexts of the board a walk-through uses. The MSM8x60
 * preset names them after the seeds (the video decoder `vcodec_a_mm1`, the
 * display engine `mdp0_port0`, the userspace example's `vcodec_a_stream`);
 * on another board a context that fits stands in, and the steps print which
 * one ran. Each role says in words who may stand in, so a board without
 * any fitting context gets a reason, not a failure.
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
  const smmu = b.smmus.find((s) => (format === undefined || s.format === format) && s !== exclude && s.contexts.length > 0);
  return smmu === undefined ? undefined : { smmu, context: smmu.contexts[0]!.name };
}

/** The video decoder: `vcodec_a_mm1`, else the first short-descriptor context, else the first context. */
export function decoderContext(b: Board): ContextChoice | undefined {
  return byName(b, 'vcodec_a_mm1') ?? firstOf(b, 'armV7Short') ?? firstOf(b, undefined);
}

/** The display engine: `mdp0_port0`, else a context on another SMMU than the decoder's (preferably of the other format). */
export function displayContext(b: Board, decoder: ContextChoice): ContextChoice | undefined {
  const other: FormatName = decoder.smmu.format === 'armV7Short' ? 'armLpae4k' : 'armV7Short';
  return byName(b, 'mdp0_port0') ?? firstOf(b, other, decoder.smmu) ?? firstOf(b, undefined, decoder.smmu);
}

/** The userspace example's context: `vcodec_a_stream` (seed 000), else the first context. */
export function userspaceContext(b: Board): ContextChoice | undefined {
  return byName(b, 'vcodec_a_stream') ?? firstOf(b, undefined);
}

/** The SMMU the seed's `smmu_*` sequence runs on: the decoder's if short-descriptor, else the first short-descriptor SMMU, else the first. */
export function shortFormatSmmu(b: Board): SmmuSpec | undefined {
  const decoder = decoderContext(b);
  if (decoder?.smmu.format === 'armV7Short') return decoder.smmu;
  return b.smmus.find((s) => s.format === 'armV7Short') ?? b.smmus[0];
}

/** A display-engine SMMU for the TLB study: the display's, else the first. */
export function displaySmmu(b: Board): SmmuSpec | undefined {
  return byName(b, 'mdp0_port0')?.smmu ?? b.smmus[0];
}

/** The device roles a walk-through can need; `display` is chosen after `decoder`, on another SMMU. */
export type Role = 'decoder' | 'display' | 'userspace';

export interface RoleSpec {
  /** The context the seed names. */
  readonly seedName: string;
  /** Who stands in on a board without it, in words (for the skip reason). */
  readonly standIn: string;
}

export const ROLES: Readonly<Record<Role, RoleSpec>> = {
  decoder: { seedName: 'vcodec_a_mm1', standIn: 'nor any other context to stand in for the video decoder' },
  display: { seedName: 'mdp0_port0', standIn: "nor a context on an SMMU other than the decoder's to stand in for the display engine" },
  userspace: { seedName: 'vcodec_a_stream', standIn: 'nor any other context to stand in for it' },
};

/** The contexts chosen for `roles` on this board; a role no context can play is missing from the answer. */
export function resolveRoles(b: Board, roles: readonly Role[]): Partial<Record<Role, ContextChoice>> {
  const out: Partial<Record<Role, ContextChoice>> = {};
  const decoder = decoderContext(b);
  for (const role of roles) {
    const choice = role === 'decoder' ? decoder : role === 'display' ? decoder && displayContext(b, decoder) : userspaceContext(b);
    if (choice !== undefined) out[role] = choice;
  }
  return out;
}

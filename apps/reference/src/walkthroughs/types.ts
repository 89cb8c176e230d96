/**
 * What every walk-through module exports: its subcommand name, a title, the
 * seed section it replays, one paragraph on what it shows, what it needs
 * from the board (checked before it runs), and `run`, which records steps
 * and checks on a `Recorder` (walk-throughs return data; renderers print).
 */
import type { BoardChoice } from '../board.js';
import type { ContextChoice, Role } from '../devices.js';
import type { Injection } from '../inject.js';
import type { Needs } from '../needs.js';
import type { Progress } from '../progress.js';
import type { Recorder } from '../recorder.js';

export interface RunContext {
  readonly board: BoardChoice;
  readonly verbose: boolean;
  /** A testing aid: break an invariant between two steps (`--inject`). */
  readonly inject: Injection | undefined;
  readonly progress: Progress;
  /** `--frames`: frames per row of a walk-through that streams frames (its `frames` option); its default when absent. */
  readonly frames?: number;
  /** The context chosen for each role the walk-through's `needs` name. */
  readonly contexts: Readonly<Partial<Record<Role, ContextChoice>>>;
}

export interface Walkthrough {
  readonly id: string;
  readonly title: string;
  readonly source: string;
  readonly summary: string;
  /** What the board must have; a board without it skips the walk-through with the reason. */
  readonly needs: Needs;
  /** A walk-through that streams frames takes `--frames <n>` (1 … max; `help` is the option's help text). */
  readonly frames?: { readonly max: number; readonly help: string };
  run(rec: Recorder, ctx: RunContext): void;
}

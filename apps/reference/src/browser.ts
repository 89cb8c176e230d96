/**
 * What a browser may import of the reference app: the walk-throughs, the
 * recorder that turns their calls into steps, and the check of a board
 * against a walk-through's needs. Nothing here reaches Node's built-ins
 * (the CLI's file reading lives in cli.ts, board.ts and commands/), so the
 * explorer (apps/explorer) runs the same walk-throughs client-side.
 */
export { WALKTHROUGHS, findWalkthrough } from './walkthroughs/index.js';
export type { RunContext, Walkthrough } from './walkthroughs/types.js';
export { Recorder, WalkthroughAborted, describeError } from './recorder.js';
export type { WalkthroughInfo } from './recorder.js';
export type { Step, WalkthroughReport } from './report.js';
export { checkNeeds } from './needs.js';
export { silentProgress } from './progress.js';
export type { BoardChoice } from './board.js';

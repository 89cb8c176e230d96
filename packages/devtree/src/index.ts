export type * from './board.js';
export { FORMAT_NAMES, TLB_POLICIES } from './board.js';
export { boardSchema } from './board-schema.js';
export { validateBoard, parseBoard } from './validate-board.js';
export { msm8x60Board, msm8x60MemoryDescription, seedExampleBoard } from './presets.js';
export { DeviceTree, TREE_ROOT } from './tree.js';
export type { ContextNode, PrintOptions, SmmuNode, TreeNode, TreeProbes } from './tree.js';
export { closestNames, editDistance } from './suggest.js';

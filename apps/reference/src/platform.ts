/**
 * The simulated system a walk-through runs on: `@vcm/devtree`'s
 * `buildPlatform`, built fresh from the board description for every
 * walk-through so each starts from a clean board (no global state:
 * docs/rules.md#handles-and-platforms). Warnings of every layer (an unhandled
 * fault, a
 * VCM_PERF_WARN) are collected for the report instead of going to the
 * console.
 */
import { buildPlatform } from '@vcm/devtree';
import type { Platform } from '@vcm/devtree';
import type { BoardChoice } from './board.js';

export type BoardPlatform = Platform & { readonly warnings: readonly string[] };

export function buildBoardPlatform(board: BoardChoice): BoardPlatform {
  const warnings: string[] = [];
  const platform = buildPlatform(board.description, { logger: { warn: (message) => void warnings.push(message) } });
  return { ...platform, warnings };
}

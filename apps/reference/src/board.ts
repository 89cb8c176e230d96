/**
 * Which board the walk-throughs run on: `msm8x60Board()` by default, or a
 * JSON file given with `--board`, validated by `@vcm/devtree` before
 * anything runs. An unreadable or invalid file is a usage error (exit 2)
 * whose message carries the JSON path of the bad value.
 */
import { readFileSync } from 'node:fs';
import { isVcmError } from '@vcm/core';
import { msm8x60Board, validateBoard } from '@vcm/devtree';
import type { Board, BoardDescription } from '@vcm/devtree';

export interface BoardChoice {
  readonly name: string;
  /** `built-in preset msm8x60Board()` or the file path. */
  readonly source: string;
  /** As written (what `buildPlatform` is given). */
  readonly description: BoardDescription;
  /** As `validateBoard` returns it: every address a number, every default filled in. */
  readonly board: Board;
}

/** A problem with how the app was invoked: printed to stderr, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function defaultBoard(): BoardChoice {
  const description = msm8x60Board();
  return { name: description.name, source: 'built-in preset msm8x60Board()', description, board: validateBoard(description) };
}

function jsonPathOf(details: Readonly<Record<string, unknown>>): string | undefined {
  const p = details['path'] ?? details['param'];
  return typeof p === 'string' ? p : undefined;
}

/** Read, parse and validate a board file. Throws `UsageError` with the JSON path on any problem. */
export function loadBoardFile(file: string): BoardChoice {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read board file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`board file ${file} is not JSON: ${(e as Error).message}`);
  }
  let board: Board;
  try {
    board = validateBoard(json);
  } catch (e) {
    if (isVcmError(e)) {
      const path = jsonPathOf(e.details);
      // The message starts with the path already when the validator put it there.
      const where = path === undefined || e.message.startsWith(path) ? '' : ` at ${path}`;
      throw new UsageError(`invalid board file ${file}${where}: ${e.message}`);
    }
    throw e;
  }
  const description = json as BoardDescription;
  return { name: board.name, source: file, description, board };
}

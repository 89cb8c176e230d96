/**
 * Validation of a board description at the public boundary
 * (docs/rules.md#validation): the structure comes from the one definition
 * (`board.ts`, zod), then the rules it cannot say (`board-rules.ts`). The
 * first problem found is thrown as a `VcmError` `EINVAL` whose message
 * starts with the JSON path of the bad value, shows the value and says what
 * is allowed (docs/boards.md#errors).
 */
import { VcmError } from '@vcm/core';
import { boardDescription } from './board.js';
import type { Board, BoardDescription } from './board.js';
import { issueError } from './board-issues.js';
import { checkBoardRules } from './board-rules.js';

/**
 * Check a board description and return it normalised (addresses as numbers,
 * context banks and optional lists filled in). Throws `VcmError` `EINVAL`
 * at the first problem, its message and `details.path` giving the JSON path.
 * The input is never changed.
 */
export function validateBoard(description: unknown): Board {
  const parsed = boardDescription.safeParse(description, { reportInput: true });
  if (!parsed.success) throw issueError(boardDescription, description, parsed.error.issues[0]!);
  // Parsing succeeded, so the input has the shape of a BoardDescription.
  checkBoardRules(parsed.data, description as BoardDescription);
  return parsed.data;
}

/** Parse a board file's text (JSON) and validate it; bad JSON is `EINVAL` naming the parser's complaint. */
export function parseBoard(text: string): Board {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new VcmError('EINVAL', `board: the text is not JSON: ${reason} (allowed: a JSON object, see board.schema.json)`, {
      path: 'board',
      value: 'text',
      allowed: 'a JSON object',
    });
  }
  return validateBoard(json);
}

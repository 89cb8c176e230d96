/** Every walk-through, in the order `all` runs them (issue 7). */
import { memory } from './memory.js';
import type { Walkthrough } from './types.js';

export const WALKTHROUGHS: readonly Walkthrough[] = [memory];

export function findWalkthrough(id: string): Walkthrough | undefined {
  return WALKTHROUGHS.find((w) => w.id === id);
}

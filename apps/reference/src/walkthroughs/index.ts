/** Every walk-through, in the order `all` runs them (`memory` first). */
import { memory } from './memory.js';
import { migration } from './migration.js';
import { threeWay } from './three-way.js';
import { walkthrough } from './walkthrough.js';
import { smmu } from './smmu.js';
import { tlbStudy } from './tlb-study.js';
import { userspace } from './userspace.js';
import { videoPlayback } from './video-playback.js';
import type { Walkthrough } from './types.js';

export const WALKTHROUGHS: readonly Walkthrough[] = [memory, walkthrough, threeWay, videoPlayback, smmu, userspace, tlbStudy, migration];

export function findWalkthrough(id: string): Walkthrough | undefined {
  return WALKTHROUGHS.find((w) => w.id === id);
}

/**
 * A VCM's address spaces (page tables) and the atomic map/unmap of backed
 * reservations into them. Core muxes through the driver interface like
 * Linux's IOMMU core calls `iommu_ops` (seed 000); every change is done
 * inside an update bracket (`smmu_update_start`/`smmu_update_done`), and a
 * failed map is rolled back so nothing stays half mapped
 * (docs/rules.md#atomicity).
 */
import type { AddressSpace, MappingDriver } from './driver.js';

/** One address space of a VCM, shared by every associated device of `driver` whose `spaceKey` is `key`. */
export interface SpaceEntry {
  readonly driver: MappingDriver;
  /** `undefined` for a prebuilt VCM's external table, which any device of its driver uses. */
  readonly key: string | undefined;
  readonly space: AddressSpace;
  /** Associations using the space. */
  users: number;
  /** True for a prebuilt VCM's table: never destroyed by core, only released with `dispose()`. */
  readonly external: boolean;
}

/** A physically contiguous run of a physmem, at `offset` inside it. */
export interface Run {
  readonly offset: number;
  readonly pa: number;
  readonly len: number;
}

/** Map `runs` at `devAddr` into one space in a bracket; on a throw, unmap what was mapped and rethrow. */
export function mapRuns(space: AddressSpace, devAddr: number, runs: readonly Run[], attr: number): void {
  space.updateStart();
  let done = 0;
  try {
    for (; done < runs.length; done++) {
      const r = runs[done] as Run;
      space.map(devAddr + r.offset, r.pa, r.len, attr);
    }
  } catch (e) {
    for (let i = done - 1; i >= 0; i--) {
      const r = runs[i] as Run;
      space.unmap(devAddr + r.offset, r.len);
    }
    space.updateDone();
    throw e;
  }
  space.updateDone();
}

/** Unmap `runs` at `devAddr` from one space in a bracket. */
export function unmapRuns(space: AddressSpace, devAddr: number, runs: readonly Run[]): void {
  space.updateStart();
  try {
    for (const r of runs) space.unmap(devAddr + r.offset, r.len);
  } finally {
    space.updateDone();
  }
}

/** Map into every space, all or nothing. */
export function mapIntoAll(spaces: readonly SpaceEntry[], devAddr: number, runs: readonly Run[], attr: number): void {
  let done = 0;
  try {
    for (; done < spaces.length; done++) mapRuns((spaces[done] as SpaceEntry).space, devAddr, runs, attr);
  } catch (e) {
    for (let i = done - 1; i >= 0; i--) unmapRuns((spaces[i] as SpaceEntry).space, devAddr, runs);
    throw e;
  }
}

/** Unmap from every space. */
export function unmapFromAll(spaces: readonly SpaceEntry[], devAddr: number, runs: readonly Run[]): void {
  for (const s of spaces) unmapRuns(s.space, devAddr, runs);
}

/**
 * Rewrite the mappings of one reservation with a new attribute in every
 * space (`vcm_set_res_attr` on a backed reservation): unmap and map again in
 * one bracket per space. On a throw, every space gets its old mapping back.
 */
export function remapAll(spaces: readonly SpaceEntry[], devAddr: number, runs: readonly Run[], oldAttr: number, newAttr: number): void {
  let done = 0;
  try {
    for (; done < spaces.length; done++) {
      const { space } = spaces[done] as SpaceEntry;
      space.updateStart();
      try {
        unmapRuns(space, devAddr, runs);
        try {
          mapRuns(space, devAddr, runs, newAttr);
        } catch (e) {
          mapRuns(space, devAddr, runs, oldAttr);
          throw e;
        }
      } finally {
        space.updateDone();
      }
    }
  } catch (e) {
    for (let i = done - 1; i >= 0; i--) {
      const { space } = spaces[i] as SpaceEntry;
      unmapRuns(space, devAddr, runs);
      mapRuns(space, devAddr, runs, oldAttr);
    }
    throw e;
  }
}

/**
 * The simulated system a walk-through runs on, built fresh from the board
 * description for every walk-through so each one starts from a clean board
 * (no global state: ARCHITECTURE.md).
 *
 * Until `@vcm/devtree`'s `buildPlatform` lands this wires the physical side
 * by hand from the validated board.
 */
import { validateBoard } from '@vcm/devtree';
import { createPhysicalSystem } from '@vcm/physalloc';
import type { PhysAllocator, PhysicalRam } from '@vcm/physalloc';
import type { BoardChoice } from './board.js';

export interface BoardPlatform {
  readonly memory: PhysicalRam;
  readonly allocator: PhysAllocator;
}

export function buildBoardPlatform(board: BoardChoice): BoardPlatform {
  const b = validateBoard(board.description);
  const system = createPhysicalSystem({
    banks: b.memory.banks,
    pools: b.memory.pools.flatMap((p) => (p.kind === 'block' ? [{ name: p.name, bank: p.bank, base: p.base, blockSize: p.blockSize, count: p.count }] : [])),
    contiguous: b.memory.pools.flatMap((p) => (p.kind === 'contiguous' ? [{ name: p.name, base: p.base, size: p.size }] : [])),
    memtypes: b.memory.memtypes.map((m) => ({ id: m.id, name: m.name, pools: m.pools, contiguous: m.contiguous })),
    tableRegion: b.memory.tableRegion,
  });
  return { memory: system.memory, allocator: system.allocator };
}

/**
 * `/dev` nodes, one per context, named after it (seed 000: "Each context is
 * given a dev node named after the context ... Users open, close and mmap
 * these nodes to access VCM buffers from userspace in the same way that
 * they used to open, close and mmap /dev nodes that represented large
 * physically contiguous buffers (called PMEM buffers on Android)").
 *
 * An `mmap` does what a PMEM-style driver built on the VCM API would do:
 * allocate physical memory, reserve it on the context's VCM and on the
 * process's user VCM (`VCM_PREBUILT_USER`), back both with the same
 * allocation, and return the user address; `devAddrOf` gives the address to
 * program into the device. Every step is undone if a later one fails
 * (docs/rules.md#atomicity), and `close()` releases everything the handle
 * made.
 *
 * "The context's VCM": the device VCM active on the context's low base when
 * the user has built a topology (the seed's example: get the context,
 * create the VCM, associate, activate, then use the node); otherwise the
 * node makes its own on first open (`DEFAULT_NODE_VCM`), associates and
 * activates it, and takes it down again when its last handle closes.
 */
import { VCM_MEMTYPE_0, VCM_READ, VCM_USE_HIGH_BASE, VCM_WB_WA, VCM_WRITE, VCM_PREBUILT_USER, VcmError, Vcmm, alignUp, checkOptions, hex, formatSize } from '@vcm/core';
import type { Association, Physmem, Reservation, Vcm } from '@vcm/core';
import type { SmmuContext, Smmu } from '@vcm/smmu';
import type { Process, Vmm } from '@vcm/vmm-overlay';
import { DeviceTree } from './tree.js';
import type { ContextNode } from './tree.js';
import { closestNames } from './suggest.js';

/** Where `/dev` nodes live. */
export const DEV_PREFIX = '/dev/';

/** The device address range of a VCM a node creates for its context. */
export interface NodeVcmRange {
  readonly start: number;
  readonly len: number;
}

/** A node's own device VCM: 256 MiB from 0x1000_0000 (clear of page 0, inside every format's 32-bit input space). */
export const DEFAULT_NODE_VCM: NodeVcmRange = Object.freeze({ start: 0x1000_0000, len: 0x1000_0000 });

/** The default reservation attributes of an `mmap`: read/write, write-back write-allocate (both mappings agree: docs/rules.md#aliasing). */
export const DEFAULT_MMAP_ATTR = VCM_READ | VCM_WRITE | VCM_WB_WA;

/** What `handle.mmap` allocates and how it maps it: memtype, reservation and physical attributes. */
export interface MmapOptions {
  /** Memory type to allocate from (default `VCM_MEMTYPE_0`). */
  readonly memtype?: number;
  /** Reservation attributes of both mappings (default `DEFAULT_MMAP_ATTR`). */
  readonly attr?: number;
  /** `vcm_phys_alloc` attributes: page selection, `VCM_PHYS_CONT`, alignment (default 0: `VCM_ALL`). */
  readonly physAttr?: number;
}

/** The keys of `MmapOptions`. */
const MMAP_OPTION_KEYS: readonly string[] = ['memtype', 'attr', 'physAttr'];

/** One live `mmap` of a handle. */
export interface DevMapping {
  /** Where the process sees the buffer. */
  readonly userVa: number;
  /** Where the device sees it. */
  readonly devAddr: number;
  /** Bytes mapped (the request rounded up to 4 KiB). */
  readonly len: number;
  readonly physmem: Physmem;
  readonly userRes: Reservation;
  readonly devRes: Reservation;
}

/** The `/dev` nodes as plain JSON (docs/rules.md#observability): open handles per node and the VCM each uses. */
export interface DevNodesSnapshot {
  readonly nodes: readonly { path: string; handles: number; vcm: number | null; owned: boolean }[];
}

interface NodeState {
  readonly path: string;
  readonly context: ContextNode<Smmu, SmmuContext>;
  readonly handles: Set<DevHandle>;
  vcm: Vcm | undefined;
  /** Set when the node made `vcm` (and its association) itself. */
  assoc: Association | undefined;
}

interface DevNodesHost {
  readonly vcmm: Vcmm;
  readonly vmm: Vmm;
  readonly tree: DeviceTree<Smmu, SmmuContext>;
  readonly range: NodeVcmRange;
}

/** The nodes `dev.open` is opening a handle on right now: the only way a `DevHandle` is made. */
const OPENING = new WeakSet<object>();

/** The `/dev` directory of one platform. */
export class DevNodes {
  readonly #host: DevNodesHost;
  readonly #nodes = new Map<string, NodeState>();
  #nextHandle = 1;

  /** Not a constructor to call: made by `buildPlatform`. */
  /** `host`: the platform's `{ vcmm, vmm, tree, range }` (`buildPlatform` makes the nodes); anything else is `EINVAL`. */
  constructor(host: DevNodesHost) {
    const h = host as Partial<DevNodesHost> | null;
    if (
      typeof h !== 'object' ||
      h === null ||
      !(h.vcmm instanceof Vcmm) ||
      typeof h.vmm !== 'object' ||
      h.vmm === null ||
      typeof h.vmm.createProcess !== 'function' ||
      !(h.tree instanceof DeviceTree) ||
      typeof h.range !== 'object' ||
      h.range === null
    ) {
      throw new VcmError('EINVAL', 'new DevNodes: host must be { vcmm, vmm, tree, range } of one platform (buildPlatform makes the /dev nodes)', { param: 'host' });
    }
    this.#host = host;
    for (const c of host.tree.contexts()) {
      const path = `${DEV_PREFIX}${c.name}`;
      this.#nodes.set(path, { path, context: c, handles: new Set(), vcm: undefined, assoc: undefined });
    }
  }

  /** Every node path, in tree order: `/dev/vcodec_a_mm1`, … */
  list(): string[] {
    return [...this.#nodes.keys()];
  }

  /**
   * Open a node for `process` (a live process of this platform's VMM).
   * `ENOENT` for a path that is not a node (naming the closest), `EINVAL`
   * for a process that is not live here. The first open of a node with no
   * device VCM active on its context creates, associates and activates one.
   */
  open(path: string, process: Process): DevHandle {
    const where = 'dev.open';
    if (typeof path !== 'string') {
      throw new VcmError('EINVAL', `${where}: path must be a node path like "${DEV_PREFIX}<context name>", got ${path === null ? 'null' : typeof path}`, { param: 'path' });
    }
    const node = this.#nodes.get(path);
    if (node === undefined) {
      const shown = typeof path === 'string' ? JSON.stringify(path) : typeof path;
      const near = typeof path === 'string' ? closestNames(path, this.#nodes.keys()) : [];
      throw new VcmError('ENOENT', `${where}: no node ${shown}${near.length > 0 ? ` (closest: ${near.map((n) => `"${n}"`).join(', ')})` : ` (nodes are ${DEV_PREFIX}<context name>)`}`, {
        param: 'path',
        value: typeof path === 'string' ? path : typeof path,
        suggestions: near,
      });
    }
    const { vmm } = this.#host;
    if (!vmm.processes.includes(process)) {
      const label = typeof process === 'object' && process !== null && 'label' in process ? String(process.label) : typeof process;
      throw new VcmError('EINVAL', `${where} ${path}: process ${label} is not a live process of this platform (create it with vmm.createProcess)`, { param: 'process' });
    }
    if (node.handles.size === 0) this.#attach(node);
    OPENING.add(node);
    let handle: DevHandle;
    try {
      handle = new DevHandle(this.#host, node, this.#nextHandle, process, (h) => this.#release(node, h));
    } finally {
      OPENING.delete(node);
    }
    this.#nextHandle++;
    node.handles.add(handle);
    return handle;
  }

  /** The VCM a node maps into right now (`undefined` while no handle is open). */
  vcmOf(path: string): Vcm | undefined {
    return this.#known('dev.vcmOf', path).vcm;
  }

  /** Open handles of a node. */
  openCount(path: string): number {
    return this.#known('dev.openCount', path).handles.size;
  }

  /** The node at `path`: `EINVAL` for a path that is not a string, `ENOENT` naming the closest nodes for an unknown one. */
  #known(where: string, path: unknown): NodeState {
    if (typeof path !== 'string') {
      throw new VcmError('EINVAL', `${where}: path must be a node path like "${DEV_PREFIX}<context name>", got ${path === null ? 'null' : typeof path}`, { param: 'path' });
    }
    const node = this.#nodes.get(path);
    if (node === undefined) {
      const near = closestNames(path, this.#nodes.keys());
      throw new VcmError('ENOENT', `${where}: no node ${JSON.stringify(path)}${near.length > 0 ? ` (closest: ${near.map((n) => `"${n}"`).join(', ')})` : ''}`, { path, suggestions: near });
    }
    return node;
  }

  /** Plain data: each node, its open handles and the VCM it uses. */
  snapshot(): DevNodesSnapshot {
    return {
      nodes: [...this.#nodes.values()].map((n) => ({ path: n.path, handles: n.handles.size, vcm: n.vcm?.id ?? null, owned: n.assoc !== undefined })),
    };
  }

  toJSON(): DevNodesSnapshot {
    return this.snapshot();
  }

  /** Find the device VCM active on the context's low base, or make one (atomic). */
  #attach(node: NodeState): void {
    const dev = node.context.device;
    for (const vcm of this.#host.vcmm.vcms) {
      if (vcm.type !== 'device') continue;
      for (const a of vcm.associations) {
        if (a.dev === dev && a.isActive && (a.attr & VCM_USE_HIGH_BASE) === 0) {
          node.vcm = vcm;
          node.assoc = undefined;
          return;
        }
      }
    }
    const { start, len } = this.#host.range;
    const vcm = this.#host.vcmm.create(start, len);
    let assoc: Association | undefined;
    try {
      assoc = vcm.assoc(dev);
      assoc.activate();
    } catch (e) {
      if (assoc?.isAlive) assoc.deassoc();
      vcm.free();
      throw e;
    }
    node.vcm = vcm;
    node.assoc = assoc;
  }

  #release(node: NodeState, handle: DevHandle): void {
    node.handles.delete(handle);
    if (node.handles.size > 0) return;
    const { vcm, assoc } = node;
    node.vcm = undefined;
    node.assoc = undefined;
    if (assoc !== undefined && vcm !== undefined) {
      if (assoc.isActive) assoc.deactivate();
      assoc.deassoc();
      vcm.free();
    }
  }
}

/** An open `/dev` node: mmap, munmap, devAddrOf, close. */
export class DevHandle {
  /** Unique per platform; names the handle in messages. */
  readonly fd: number;
  readonly path: string;
  readonly process: Process;
  readonly #host: DevNodesHost;
  readonly #node: NodeState;
  readonly #onClose: (h: DevHandle) => void;
  /** Live mappings by user address, in mmap order. */
  readonly #maps = new Map<number, DevMapping>();
  #userVcm: Vcm | undefined;
  #open = true;
  /** Closed by its process's exit rather than by `close()`: a late `close()` is then harmless. */
  #closedByExit = false;
  /** Removes the process-exit callback. */
  #offExit: (() => void) | undefined;

  /** Not a constructor to call: made by `DevNodes.open`. */
  /** @internal Made by `dev.open`; `new DevHandle` from outside is `EINVAL`. */
  constructor(host: DevNodesHost, node: NodeState, fd: number, process: Process, onClose: (h: DevHandle) => void) {
    if (!OPENING.has(node)) {
      throw new VcmError('EINVAL', 'new DevHandle: handles are made by dev.open(path, process), not by new', { param: 'node' });
    }
    this.#host = host;
    this.#node = node;
    this.fd = fd;
    this.path = node.path;
    this.process = process;
    this.#onClose = onClose;
    // The process's exit closes the handle, as do_exit closes a task's files: otherwise its buffer stays allocated and device-mapped.
    this.#offExit = process.onExit(() => this.#closeOnExit());
  }

  /** "/dev/vcodec_a_mm1 (fd 3)" */
  get label(): string {
    return `${this.path} (fd ${this.fd})`;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** The context device behind the node. */
  get device(): SmmuContext {
    return this.#node.context.device;
  }

  /** The device VCM the node maps into. */
  get vcm(): Vcm {
    this.#live('vcm');
    return this.#node.vcm!;
  }

  /** Live mappings in mmap order. */
  get mappings(): readonly DevMapping[] {
    return [...this.#maps.values()];
  }

  /**
   * Map `len` bytes (rounded up to 4 KiB) of fresh physical memory into the
   * device's VCM and the process: returns the user address. Atomic: on any
   * failure (`ENOMEM` from the pools or an address space, `EINVAL` for a bad
   * memtype or attribute) nothing stays allocated, reserved or mapped.
   */
  mmap(len: number, options: MmapOptions = {}): number {
    const where = `mmap ${this.label}`;
    this.#live('mmap');
    if (typeof len !== 'number' || !Number.isSafeInteger(len) || len <= 0) {
      throw new VcmError('EINVAL', `${where}: len must be a positive integer (bytes; rounded up to 4 KiB), got ${typeof len === 'number' ? String(len) : typeof len}`, {
        param: 'len',
        value: typeof len === 'number' ? len : typeof len,
        expected: 'a positive integer',
      });
    }
    // A plain object only: a misspelt key is refused rather than mapping from the default memory type.
    checkOptions(where, 'options', options, MMAP_OPTION_KEYS);
    if (!this.process.isAlive) {
      throw new VcmError('EINVAL', `${where}: ${this.process.label} has exited`, { param: 'process', pid: this.process.pid });
    }
    const size = alignUp(len, 0x1000);
    const memtype = options.memtype ?? VCM_MEMTYPE_0;
    const attr = options.attr ?? DEFAULT_MMAP_ATTR;
    const { vcmm } = this.#host;
    const devVcm = this.#node.vcm!;

    const madeUserVcm = this.#userVcm === undefined;
    let userVcm: Vcm | undefined = this.#userVcm;
    let physmem: Physmem | undefined;
    let devRes: Reservation | undefined;
    let userRes: Reservation | undefined;
    try {
      userVcm ??= this.#createUserVcm();
      physmem = vcmm.physAlloc(memtype, size, options.physAttr ?? 0);
      devRes = devVcm.reserve(size, attr);
      userRes = userVcm.reserve(size, attr);
      devRes.back(physmem);
      userRes.back(physmem);
    } catch (e) {
      // Undo in reverse; each step undone only if it happened
      // (docs/rules.md#atomicity).
      if (userRes?.isBacked) userRes.unback();
      if (devRes?.isBacked) devRes.unback();
      userRes?.unreserve();
      devRes?.unreserve();
      physmem?.free();
      if (madeUserVcm && userVcm !== undefined) userVcm.free();
      throw e;
    }
    this.#userVcm = userVcm;
    const mapping: DevMapping = Object.freeze({ userVa: userRes.devAddr, devAddr: devRes.devAddr, len: size, physmem, userRes, devRes });
    this.#maps.set(mapping.userVa, mapping);
    return mapping.userVa;
  }

  /**
   * The device address of the byte the process sees at `userVa` (any
   * address inside a mapping of this handle): what to program into the
   * device. `EINVAL` for an address no mapping of this handle covers.
   */
  devAddrOf(userVa: number): number {
    this.#live('devAddrOf');
    const m = this.#find(userVa);
    if (m === undefined) {
      throw new VcmError('EINVAL', `devAddrOf ${this.label}: ${typeof userVa === 'number' ? hex(userVa) : typeof userVa} is not inside a mapping of this handle${this.#mapList()}`, {
        param: 'userVa',
        value: typeof userVa === 'number' ? userVa : typeof userVa,
      });
    }
    return m.devAddr + (userVa - m.userVa);
  }

  /** Undo one `mmap`: `userVa` is the address it returned. */
  munmap(userVa: number): void {
    this.#live('munmap');
    const m = typeof userVa === 'number' ? this.#maps.get(userVa) : undefined;
    if (m === undefined) {
      throw new VcmError('EINVAL', `munmap ${this.label}: ${typeof userVa === 'number' ? hex(userVa) : typeof userVa} is not an address mmap returned on this handle${this.#mapList()}`, {
        param: 'userVa',
        value: typeof userVa === 'number' ? userVa : typeof userVa,
      });
    }
    this.#unmap(m);
    this.#maps.delete(userVa);
  }

  /**
   * Release every mapping, the process's user VCM and, with the node's last
   * handle, the node's own VCM. The process's exit does this by itself;
   * `close()` after that changes nothing.
   */
  close(): void {
    if (this.#closedByExit) return;
    this.#live('close');
    this.#close();
  }

  /** The process is exiting: close as `close()` would, and remember why. */
  #closeOnExit(): void {
    if (!this.#open) return;
    this.#closedByExit = true;
    this.#close();
  }

  #close(): void {
    this.#offExit?.();
    this.#offExit = undefined;
    for (const m of [...this.#maps.values()].reverse()) this.#unmap(m);
    this.#maps.clear();
    // A process that exited took its user VCM down with it (PrebuiltVcm.onRevoke).
    if (this.#userVcm?.isAlive) this.#userVcm.free();
    this.#userVcm = undefined;
    this.#open = false;
    this.#onClose(this);
  }

  toJSON(): { fd: number; path: string; pid: number; open: boolean; mappings: { userVa: number; devAddr: number; len: number }[] } {
    return {
      fd: this.fd,
      path: this.path,
      pid: this.process.pid,
      open: this.#open,
      mappings: this.mappings.map((m) => ({ userVa: m.userVa, devAddr: m.devAddr, len: m.len })),
    };
  }

  #unmap(m: DevMapping): void {
    if (m.userRes.isAlive) {
      if (m.userRes.isBacked) m.userRes.unback();
      m.userRes.unreserve();
    }
    if (m.devRes.isBacked) m.devRes.unback();
    m.devRes.unreserve();
    m.physmem.free();
  }

  /** The process's own user VCM, made with the process current (`vcm_create_from_prebuilt(VCM_PREBUILT_USER)`). */
  #createUserVcm(): Vcm {
    const { vmm, vcmm } = this.#host;
    const previous = vmm.current;
    vmm.switchTo(this.process);
    try {
      return vcmm.createFromPrebuilt(VCM_PREBUILT_USER);
    } finally {
      vmm.switchTo(previous !== undefined && previous.isAlive ? previous : undefined);
    }
  }

  #find(userVa: number): DevMapping | undefined {
    if (typeof userVa !== 'number' || !Number.isSafeInteger(userVa)) return undefined;
    for (const m of this.#maps.values()) if (userVa >= m.userVa && userVa < m.userVa + m.len) return m;
    return undefined;
  }

  #mapList(): string {
    if (this.#maps.size === 0) return ' (it has no mappings)';
    return ` (mappings: ${[...this.#maps.values()].map((m) => `${hex(m.userVa)} ${formatSize(m.len)}`).join(', ')})`;
  }

  #live(call: string): void {
    if (!this.#open) {
      throw new VcmError('EINVAL', `${call} ${this.label}: the handle is closed; open the node again`, { param: 'handle', path: this.path, fd: this.fd });
    }
  }
}

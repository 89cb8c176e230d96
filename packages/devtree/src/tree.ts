/**
 * The Qualcomm SMMU device tree of seed 000 ("Qualcomm SMMU Device Tree"):
 *
 *   smmu/
 *    smmu0/
 *     ctx0
 *
 * "Since users are interested in contexts not smmus, the contexts name is
 * passed to a function to find the dev_id associated with that name":
 * `getCtxInstance` (`smmu_get_ctx_instance`), `freeCtxInstance`
 * (`smmu_free_ctx_instance`) and `getBaseAddr` (`smmu_get_base_addr`).
 *
 * The tree is built from a validated board alone; what stands at each node
 * (the SMMU model, the context device) is made by two probe functions, the
 * way the seed's two platform drivers probe their devices. That keeps the
 * tree independent of how the hardware is simulated.
 */
import { VcmError, hex } from '@vcm/core';
import type { Device } from '@vcm/core';
import type { Board, Context, SmmuSpec } from './board.js';
import { closestNames } from './suggest.js';

/** The root directory of the tree, as the seed names it. */
export const TREE_ROOT = 'smmu';

/** An SMMU in the device tree (`smmu/<name>`): its board entry, the object its probe made and its contexts. */
export interface SmmuNode<S = unknown, C extends Device = Device> {
  readonly kind: 'smmu';
  readonly name: string;
  /** `smmu/<name>` */
  readonly path: string;
  readonly spec: SmmuSpec;
  /** What the SMMU probe made (the SMMU model in a platform). */
  readonly smmu: S;
  readonly contexts: readonly ContextNode<S, C>[];
}

/** A context in the device tree (`smmu/<smmu>/<context>`): its bank and the device (`dev_id`) the VCM API takes. */
export interface ContextNode<S = unknown, C extends Device = Device> {
  readonly kind: 'context';
  readonly name: string;
  /** `smmu/<smmu>/<context>` */
  readonly path: string;
  /** Context bank index inside its SMMU. */
  readonly bank: number;
  readonly parent: SmmuNode<S, C>;
  /** The device (`dev_id`) that the VCM API takes. */
  readonly device: C;
}

/** A node of the device tree below the root: an SMMU or a context. */
export type TreeNode<S = unknown, C extends Device = Device> = SmmuNode<S, C> | ContextNode<S, C>;

/** The two "platform drivers": make the object behind an SMMU node and behind a context node. */
export interface TreeProbes<S, C extends Device> {
  smmu(spec: SmmuSpec): S;
  context(spec: Context, parent: { readonly spec: SmmuSpec; readonly smmu: S }): C;
}

/** How `tree.print()` lays the tree out. */
export interface PrintOptions {
  /**
   * Leading spaces of each depth: root, SMMU, context. Default `[0, 1, 2]`,
   * one space a level. Seeds 001–003 draw the same tree at `[0, 15, 32]`.
   */
  readonly indent?: readonly [number, number, number];
}

interface MutableSmmuNode<S, C extends Device> {
  kind: 'smmu';
  name: string;
  path: string;
  spec: SmmuSpec;
  smmu: S;
  contexts: ContextNode<S, C>[];
}

/**
 * The Qualcomm SMMU device tree (`smmu/<smmu>/<context>`): users want
 * contexts, not SMMUs, so a context's name finds its device —
 * `getCtxInstance` (`smmu_get_ctx_instance`), `freeCtxInstance` and
 * `getBaseAddr` (`smmu_get_base_addr`). Built from a validated board; what
 * stands at each node is made by two probe functions, as platform drivers
 * probe devices, so the tree does not depend on how the hardware is simulated.
 */
export class DeviceTree<S = unknown, C extends Device = Device> implements Iterable<TreeNode<S, C>> {
  readonly #smmus: SmmuNode<S, C>[] = [];
  readonly #byName = new Map<string, ContextNode<S, C>>();
  readonly #byDevice = new Map<C, ContextNode<S, C>>();
  /** How many `getCtxInstance` calls each context has outstanding. */
  readonly #instances = new Map<C, number>();

  /**
   * `board` is a validated board (`validateBoard`); `probes` must be two
   * functions, and the context probe must make a device (an object with a
   * name). Anything else is `EINVAL` before any probe runs.
   */
  constructor(board: Board, probes: TreeProbes<S, C>) {
    const valid = checkBoardShape(board);
    if (typeof probes !== 'object' || probes === null || typeof probes.smmu !== 'function' || typeof probes.context !== 'function') {
      throw new VcmError('EINVAL', 'new DeviceTree: probes must be { smmu(spec), context(spec, parent) }, two functions that make the object at each node', {
        param: 'probes',
      });
    }
    for (const spec of valid.smmus) {
      const smmu = probes.smmu(spec);
      const node: MutableSmmuNode<S, C> = { kind: 'smmu', name: spec.name, path: `${TREE_ROOT}/${spec.name}`, spec, smmu, contexts: [] };
      for (const ctx of spec.contexts) {
        const device = probes.context(ctx, { spec, smmu });
        if (typeof device !== 'object' || device === null || typeof (device as { name?: unknown }).name !== 'string') {
          throw new VcmError('EINVAL', `new DeviceTree: the context probe made no device for context "${ctx.name}" (it must return an object with a name), got ${device === null ? 'null' : typeof device}`, {
            param: 'probes',
            context: ctx.name,
          });
        }
        const ctxNode: ContextNode<S, C> = Object.freeze({
          kind: 'context',
          name: ctx.name,
          path: `${node.path}/${ctx.name}`,
          bank: ctx.bank,
          parent: node,
          device,
        });
        node.contexts.push(ctxNode);
        this.#byName.set(ctx.name, ctxNode);
        this.#byDevice.set(device, ctxNode);
      }
      Object.freeze(node.contexts);
      this.#smmus.push(Object.freeze(node));
    }
  }

  /**
   * `smmu_get_ctx_instance(ctx_name)`: the device of the context with this
   * name. An unknown name is `ENODEV` naming the closest known names.
   */
  getCtxInstance(name: string): C {
    if (typeof name !== 'string') {
      throw new VcmError('EINVAL', `getCtxInstance: name must be a context name string, got ${describe(name)}`, { param: 'name', value: typeof name });
    }
    const node = this.#byName.get(name);
    if (node === undefined) {
      const suggestions = closestNames(name, this.#byName.keys());
      const hint = suggestions.length > 0 ? ` (closest: ${suggestions.map((s) => `"${s}"`).join(', ')})` : ` (contexts: ${this.#nameList()})`;
      throw new VcmError('ENODEV', `getCtxInstance: no context named "${name}"${hint}`, { name, suggestions });
    }
    this.#instances.set(node.device, (this.#instances.get(node.device) ?? 0) + 1);
    return node.device;
  }

  /**
   * `smmu_free_ctx_instance(dev)`: give back one instance obtained from
   * `getCtxInstance`. A device of another tree, or one with no instance
   * outstanding, is `EINVAL`.
   */
  freeCtxInstance(dev: C): void {
    const node = this.#nodeOf('freeCtxInstance', dev);
    const held = this.#instances.get(node.device) ?? 0;
    if (held === 0) {
      throw new VcmError('EINVAL', `freeCtxInstance: context "${node.name}" has no instance outstanding (get it with getCtxInstance first; was it freed twice?)`, {
        param: 'dev',
        context: node.name,
      });
    }
    if (held === 1) this.#instances.delete(node.device);
    else this.#instances.set(node.device, held - 1);
  }

  /** How many `getCtxInstance` instances of this context are outstanding. */
  instanceCount(dev: C): number {
    return this.#instances.get(this.#nodeOf('instanceCount', dev).device) ?? 0;
  }

  /** `smmu_get_base_addr(dev)`: the register base of the SMMU that holds this context. */
  getBaseAddr(dev: C): number {
    return this.#nodeOf('getBaseAddr', dev).parent.spec.base;
  }

  /** The tree node of a context device; `EINVAL` for a device that is not a context of this tree. */
  contextOf(dev: C): ContextNode<S, C> {
    return this.#nodeOf('contextOf', dev);
  }

  /** The context node with this name, or `undefined`. */
  findContext(name: string): ContextNode<S, C> | undefined {
    if (typeof name !== 'string') {
      throw new VcmError('EINVAL', `findContext: name must be a context name string, got ${describe(name)}`, { param: 'name', value: typeof name });
    }
    return this.#byName.get(name);
  }

  /**
   * The node at a path such as `smmu/smmu0/ctx1` (a leading or trailing `/`
   * is allowed); `ENOENT` naming the closest paths when there is none.
   */
  lookup(path: string): TreeNode<S, C> {
    if (typeof path !== 'string') {
      throw new VcmError('EINVAL', `lookup: path must be a string like "${TREE_ROOT}/smmu0/ctx0", got ${describe(path)}`, { param: 'path', value: typeof path });
    }
    const parts = path.split('/').filter((p) => p.length > 0);
    if (parts[0] === TREE_ROOT && parts.length >= 2 && parts.length <= 3) {
      const smmu = this.#smmus.find((s) => s.name === parts[1]);
      if (smmu !== undefined) {
        if (parts.length === 2) return smmu;
        const ctx = smmu.contexts.find((c) => c.name === parts[2]);
        if (ctx !== undefined) return ctx;
      }
    }
    // A right context name under the wrong SMMU: offer its real path first.
    const byLast = this.#byName.get(parts[parts.length - 1] ?? '');
    const near = closestNames(parts.join('/'), [...this].map((n) => n.path));
    const suggestions = byLast === undefined ? near : [byLast.path, ...near.filter((p) => p !== byLast.path)].slice(0, 3);
    const hint = suggestions.length > 0 ? ` (closest: ${suggestions.map((s) => `"${s}"`).join(', ')})` : ` (paths look like "${TREE_ROOT}/<smmu>/<context>")`;
    throw new VcmError('ENOENT', `lookup: no node at "${path}"${hint}`, { path, suggestions });
  }

  /** The SMMU nodes in board order. */
  get smmus(): readonly SmmuNode<S, C>[] {
    return this.#smmus;
  }

  /** Every context node, SMMU by SMMU in board order. */
  *contexts(): IterableIterator<ContextNode<S, C>> {
    for (const s of this.#smmus) yield* s.contexts;
  }

  /** Every node depth-first: each SMMU, then its contexts (the order `print` draws). */
  *[Symbol.iterator](): IterableIterator<TreeNode<S, C>> {
    for (const s of this.#smmus) {
      yield s;
      yield* s.contexts;
    }
  }

  /** The tree drawn the way the seed draws it: `smmu/`, each SMMU as `name/`, each context below it. */
  print(options: PrintOptions = {}): string {
    const [r, s, c] = printIndent(options);
    const lines = [`${' '.repeat(r)}${TREE_ROOT}/`];
    for (const smmu of this.#smmus) {
      lines.push(`${' '.repeat(s)}${smmu.name}/`);
      for (const ctx of smmu.contexts) lines.push(`${' '.repeat(c)}${ctx.name}`);
    }
    return `${lines.join('\n')}\n`;
  }

  /** Plain data: the tree's shape, bases and outstanding instances (docs/rules.md#observability). */
  toJSON(): { smmus: { name: string; base: string; irq: number; format: string; contexts: { name: string; bank: number; instances: number }[] }[] } {
    return {
      smmus: this.#smmus.map((s) => ({
        name: s.name,
        base: hex(s.spec.base),
        irq: s.spec.irq,
        format: s.spec.format,
        contexts: s.contexts.map((c) => ({ name: c.name, bank: c.bank, instances: this.#instances.get(c.device) ?? 0 })),
      })),
    };
  }

  #nameList(): string {
    return [...this.#byName.keys()].map((n) => `"${n}"`).join(', ') || 'none';
  }

  #nodeOf(where: string, dev: C): ContextNode<S, C> {
    const node = this.#byDevice.get(dev);
    if (node === undefined) {
      const name = typeof dev === 'object' && dev !== null && typeof (dev as { name?: unknown }).name === 'string' ? `"${(dev as { name: string }).name}"` : describe(dev);
      throw new VcmError('EINVAL', `${where}: dev ${name} is not a context of this device tree (contexts: ${this.#nameList()})`, { param: 'dev', value: name });
    }
    return node;
  }
}

/** The widest indent `print` draws: a level deeper than a terminal line is a mistake. */
const MAX_INDENT = 80;

function printIndent(options: unknown): readonly [number, number, number] {
  const bad = (why: string): never => {
    throw new VcmError('EINVAL', `print: options must be { indent?: [root, smmu, context] }, three whole numbers from 0 to ${MAX_INDENT}; ${why}`, {
      param: 'options',
    });
  };
  if (options === undefined) return [0, 1, 2];
  const proto: unknown = typeof options === 'object' && options !== null ? Object.getPrototypeOf(options) : undefined;
  if (proto !== Object.prototype && proto !== null) return bad(`got ${describe(options)}`);
  const indent = (options as PrintOptions).indent;
  if (indent === undefined) return [0, 1, 2];
  if (!Array.isArray(indent) || indent.length !== 3) return bad(`indent is ${describe(indent)}`);
  for (const n of indent) {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_INDENT) bad(`indent holds ${describe(n)}`);
  }
  return indent;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  switch (typeof value) {
    case 'object':
      return 'an object';
    case 'function':
      return 'a function';
    case 'string':
      return JSON.stringify(value);
    case 'symbol':
      return value.toString();
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
  }
  return 'undefined';
}

/** The part of a validated board the tree reads: SMMUs with names and contexts with names and banks. */
function checkBoardShape(board: unknown): Board {
  const b = board as Partial<Board> | null;
  type Named = { readonly name?: unknown; readonly bank?: unknown; readonly contexts?: unknown };
  const isObject = (x: unknown): x is Named => typeof x === 'object' && x !== null;
  const smmus = isObject(b) ? (b as { smmus?: unknown }).smmus : undefined;
  const ok =
    Array.isArray(smmus) &&
    smmus.every(
      (s: unknown) =>
        isObject(s) &&
        typeof s.name === 'string' &&
        Array.isArray(s.contexts) &&
        s.contexts.every((c: unknown) => isObject(c) && typeof c.name === 'string' && Number.isSafeInteger(c.bank)),
    );
  if (!ok) {
    throw new VcmError('EINVAL', `new DeviceTree: board must be a validated board (validateBoard(description)) with smmus and their contexts, got ${describe(board)}`, {
      param: 'board',
    });
  }
  return b as Board;
}

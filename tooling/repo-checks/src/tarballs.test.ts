/**
 * The packages as an npm user meets them: each one is packed with `pnpm
 * pack` (as `pnpm publish` would pack it) and its tarball unpacked into a
 * `node_modules/@vcm/<name>` of a temporary directory, so the checks read
 * exactly what an install holds — files, manifest, declarations, source
 * maps — and a second copy of `@vcm/core` that is not the workspace's.
 *
 * It reads each package's `dist/`: run `pnpm build` first (`pnpm test` does,
 * through turbo's `^build`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as workspaceCore from '@vcm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PackageInfo,
  declarationErrors,
  declarationProgram,
  exportDocs,
  filesUnder,
  publishablePackages,
  typeEntries,
  underscoreNames,
  unresolvedSources,
} from './package-surface.js';

const root = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: dirname(fileURLToPath(import.meta.url)), encoding: 'utf8' }).trim();
const packages = publishablePackages(root);

interface Packed {
  readonly pkg: PackageInfo;
  /** Entries of the tarball, without the leading `package/`. */
  readonly entries: readonly string[];
  /** Where the tarball was unpacked: `<tmp>/node_modules/@vcm/<name>`. */
  readonly installed: string;
  readonly manifest: Record<string, unknown>;
}

let tmp = '';
const packed = new Map<string, Packed>();
/** Packages with no build to pack: reported by their own test, skipped by the others. */
const unbuilt: string[] = [];
const ownManifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { devDependencies?: Record<string, string> };

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'vcm-tarballs-'));
  const tarballs = join(tmp, 'tarballs');
  mkdirSync(tarballs);
  for (const pkg of packages) {
    if (!existsSync(join(pkg.dir, 'dist', 'index.d.ts'))) {
      unbuilt.push(pkg.name);
      continue;
    }
    const before = new Set(readdirSync(tarballs));
    execFileSync('pnpm', ['pack', '--pack-destination', tarballs], { cwd: pkg.dir, stdio: 'pipe' });
    const made = readdirSync(tarballs).filter((f) => !before.has(f) && f.endsWith('.tgz'));
    if (made.length !== 1) throw new Error(`pnpm pack in ${pkg.dir} made ${made.length} tarballs`);
    const tgz = join(tarballs, made[0]!);
    const entries = execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' })
      .split('\n')
      .filter((e) => e !== '' && !e.endsWith('/'))
      .map((e) => e.replace(/^package\//, ''));
    const installed = join(tmp, 'node_modules', pkg.name);
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', tgz, '-C', installed, '--strip-components=1']);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    packed.set(pkg.name, { pkg, entries, installed, manifest });
  }
  // Third-party dependencies as the workspace installed them, so the
  // unpacked declarations resolve their imports (zod for @vcm/devtree).
  for (const { pkg, manifest } of packed.values()) {
    for (const dep of Object.keys((manifest['dependencies'] as Record<string, string> | undefined) ?? {})) {
      const link = join(tmp, 'node_modules', dep);
      if (dep.startsWith('@vcm/') || existsSync(link)) continue;
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(realpathSync(join(pkg.dir, 'node_modules', dep)), link, 'dir');
    }
  }
}, 120_000);

afterAll(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

function each(): Packed[] {
  return packages.flatMap((p) => packed.get(p.name) ?? []);
}

describe('every tarball', () => {
  it('is made for every publishable package, the five of the design among them', () => {
    expect(packages.map((p) => p.name)).toEqual(expect.arrayContaining(['@vcm/core', '@vcm/devtree', '@vcm/physalloc', '@vcm/smmu', '@vcm/vmm-overlay']));
    // turbo builds a package before these checks only when @vcm/repo-checks depends on it (`^build`).
    const notDependedOn = packages.map((p) => p.name).filter((n) => ownManifest.devDependencies?.[n] === undefined);
    expect(notDependedOn, 'add them to the devDependencies of tooling/repo-checks').toEqual([]);
    expect(unbuilt, 'these have no dist/index.d.ts: run `pnpm build` first').toEqual([]);
  });

  it('ships the LICENSE, the README, the manifest and the built entry points', () => {
    for (const { pkg, entries } of each()) {
      const required = ['LICENSE', 'README.md', 'package.json', ...[...typeEntries(pkg.manifest).values()].map((t) => t.replace(/^\.\//, ''))];
      for (const t of typeEntries(pkg.manifest).values()) required.push(t.replace(/^\.\//, '').replace(/\.d\.ts$/, '.js'));
      expect({ pkg: pkg.name, missing: required.filter((f) => !entries.includes(f)) }).toEqual({ pkg: pkg.name, missing: [] });
    }
  });

  it('ships no tests, test helpers or build caches', () => {
    for (const { pkg, entries } of each()) {
      const stray = entries.filter((e) => /\.test\.|(^|\/)test-[^/]*$|\.tsbuildinfo$/.test(e));
      expect({ pkg: pkg.name, stray }).toEqual({ pkg: pkg.name, stray: [] });
    }
  });

  it('has source maps that resolve: every source is in the tarball or embedded', () => {
    for (const { pkg, entries, installed } of each()) {
      const maps = entries.filter((e) => e.endsWith('.map'));
      expect(maps.length, `${pkg.name} ships no source maps`).toBeGreaterThan(0);
      const inTarball = new Set(entries);
      const broken = maps.flatMap((m) => {
        const missing = unresolvedSources(m, readFileSync(join(installed, m), 'utf8'), (p) => inTarball.has(p));
        return missing.map((s) => `${m} → ${s}`);
      });
      expect({ pkg: pkg.name, broken }).toEqual({ pkg: pkg.name, broken: [] });
    }
  });

  it('has a publishable manifest: no workspace: ranges, the repository directory, per-package keywords', () => {
    const keywordLists = new Set<string>();
    for (const { pkg, manifest } of each()) {
      const text = JSON.stringify(manifest);
      expect(text, `${pkg.name}'s packed package.json`).not.toContain('workspace:');
      expect(manifest['repository']).toMatchObject({ type: 'git', directory: relative(root, pkg.dir) });
      expect(typeof manifest['homepage']).toBe('string');
      expect(manifest['bugs']).toMatchObject({ url: expect.any(String) as string });
      keywordLists.add(JSON.stringify(manifest['keywords']));
    }
    expect(keywordLists.size).toBe(each().length);
  });

  it('names @vcm/core a peer dependency of every package built on it, so one copy is shared', () => {
    for (const { pkg, manifest } of each()) {
      if (pkg.name === '@vcm/core') continue;
      const peers = (manifest['peerDependencies'] as Record<string, string> | undefined) ?? {};
      const deps = (manifest['dependencies'] as Record<string, string> | undefined) ?? {};
      expect(peers['@vcm/core'], `${pkg.name} peerDependencies`).toMatch(/^\^\d+\.\d+\.\d+$/);
      expect(Object.keys(deps).filter((d) => d.startsWith('@vcm/')), `${pkg.name} dependencies`).toEqual([]);
    }
  });
});

describe('the declarations users get', () => {
  it('declare no member or export whose name starts with _ (internals are stripped)', () => {
    const found = each().flatMap(({ installed }) =>
      filesUnder(installed, '.d.ts').flatMap((f) => underscoreNames(relative(tmp, f), readFileSync(f, 'utf8'))),
    );
    expect(found).toEqual([]);
  });

  it('compile on their own: nothing they mention was stripped or left out of the tarball', () => {
    const entries = each().flatMap(({ pkg, installed }) => [...typeEntries(pkg.manifest).values()].map((t) => join(installed, t)));
    const ours = join(tmp, 'node_modules', '@vcm');
    const errors = declarationErrors(declarationProgram(entries), (file) => file.startsWith(ours));
    expect(errors).toEqual([]);
  });

  it('document every export of every entry point', () => {
    const undocumented: string[] = [];
    for (const { pkg, installed } of each()) {
      const entries = [...typeEntries(pkg.manifest)].map(([sub, t]) => [sub, join(installed, t)] as const);
      const program = declarationProgram(entries.map(([, f]) => f));
      for (const [sub, file] of entries) {
        for (const d of exportDocs(program, file)) {
          if (!d.documented) undocumented.push(`${join(pkg.name, sub)}: ${d.name} (${d.kind} in ${relative(tmp, d.file)})`);
        }
      }
    }
    expect(undocumented).toEqual([]);
  });
});

describe('two copies of @vcm/core', () => {
  type Core = typeof workspaceCore;
  async function packedCore(): Promise<Core> {
    const main = join(packed.get('@vcm/core')!.installed, 'dist', 'index.js');
    const core = (await import(/* @vite-ignore */ pathToFileURL(main).href)) as Core;
    expect(core.VcmError).not.toBe(workspaceCore.VcmError);
    return core;
  }

  it('recognise each other’s errors, with their codes, through isVcmError and instanceof', async () => {
    const other = await packedCore();
    const foreign = new other.VcmError('EFAULT', 'no translation for device address 0x1000');
    expect(workspaceCore.isVcmError(foreign)).toBe(true);
    expect(workspaceCore.isVcmError(foreign, 'EFAULT')).toBe(true);
    expect(workspaceCore.isVcmError(foreign, 'EINVAL')).toBe(false);
    expect(foreign instanceof workspaceCore.VcmError).toBe(true);
    const ours = new workspaceCore.VcmError('EBUSY', 'the association is active');
    expect(other.isVcmError(ours, 'EBUSY')).toBe(true);
    expect(ours instanceof other.VcmError).toBe(true);
  });

  it('recognise an error a real call of the other copy threw', async () => {
    const other = await packedCore();
    const thrown = (() => {
      try {
        other.checkUint('vcm_reserve', 'len', -1);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(workspaceCore.isVcmError(thrown, 'EINVAL')).toBe(true);
    expect((thrown as Error).message).toContain('len');
  });
});

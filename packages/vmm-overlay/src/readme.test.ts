/**
 * The README's walk-through example runs as written: its first `ts` block is
 * transpiled and executed against the real packages, and what it prints is
 * checked.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import ts from 'typescript';
import * as core from '@vcm/core';
import * as physalloc from '@vcm/physalloc';
import * as smmu from '@vcm/smmu';
import * as overlay from './index.js';

const modules: Record<string, unknown> = { '@vcm/core': core, '@vcm/physalloc': physalloc, '@vcm/smmu': smmu, '@vcm/vmm-overlay': overlay };

describe('README', () => {
  it('the Stage 1 + Stage 2 example runs and prints what its comments say', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const js = ts.transpileModule(block as string, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    const printed: string[] = [];
    const fakeConsole = { log: (...args: unknown[]) => printed.push(args.join(' ')), warn: () => undefined };
    const require = (name: string): unknown => {
      const m = modules[name];
      if (m === undefined) throw new Error(`README imports ${name}`);
      return m;
    };
    new Function('require', 'exports', 'console', js)(require, {}, fakeConsole);
    const expected = [...(block as string).matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => (m[1] as string).split(':')[0]);
    expect(printed).toEqual(expected);
    expect(printed).toEqual(['hello from the decoder', 'e0800000']);
  });
});

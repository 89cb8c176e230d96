/** The static build must stay under 1 MB gzipped (everything bundled: the explorer works offline once loaded). */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { expect, test } from '@playwright/test';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
}

test('the static build is under 1 MB gzipped and loads nothing from another origin', ({ page: _ }) => {
  const all = files(dist);
  const gz = all.reduce((n, f) => n + gzipSync(readFileSync(f), { level: 9 }).length, 0);
  console.log(`static build: ${all.length} files, ${(gz / 1024).toFixed(1)} KiB gzipped`);
  expect(gz).toBeLessThan(1_000_000);
  for (const f of all.filter((x) => /\.(html|js|css)$/.test(x))) expect(readFileSync(f, 'utf8')).not.toMatch(/(src|href)=["']https?:\/\//);
});

import { describe, expect, it } from 'vitest';
import { parseAddress } from './format.js';

describe('parseAddress', () => {
  it('reads hex with or without the CLI\'s separators, and decimal', () => {
    expect(parseAddress('0x0100_0000')).toBe(0x0100_0000);
    expect(parseAddress(' 0X1000 ')).toBe(0x1000);
    expect(parseAddress('4096')).toBe(4096);
  });
  it('answers undefined for anything else', () => {
    for (const bad of ['', '0x', '-1', '1.5', '0xg', 'abc']) expect(parseAddress(bad)).toBeUndefined();
  });
});

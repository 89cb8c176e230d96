import { describe, expect, it } from 'vitest';
import { imageGeometry, pageRounded } from './image.js';

describe('image sizes (docs/scenarios.md#image-sizes)', () => {
  it('NV12 is 3,110,400 bytes at 1080p and 12,441,600 at 4K before alignment', () => {
    expect(imageGeometry({ format: 'NV12', width: 1920, height: 1080 }).bytes).toBe(3_110_400);
    expect(imageGeometry({ format: 'NV12', width: 3840, height: 2160 }).bytes).toBe(12_441_600);
  });

  it('a decoder stride and 32-row height alignment grow the frame', () => {
    const g = imageGeometry({ format: 'NV12', width: 1920, height: 1080, stride: 2048, heightAlign: 32 });
    expect(g.alignedHeight).toBe(1088);
    expect(g.bytes).toBe(2048 * (1088 + 544));
  });

  it('P010 has two bytes per sample, YUYV two per pixel, RGBA8888 four', () => {
    expect(imageGeometry({ format: 'P010', width: 1920, height: 1080 }).bytes).toBe(6_220_800);
    expect(imageGeometry({ format: 'YUYV', width: 1280, height: 720 }).bytes).toBe(1_843_200);
    expect(imageGeometry({ format: 'RGBA8888', width: 1920, height: 1080 }).bytes).toBe(8_294_400);
  });

  it('an odd semi-planar height still gets its chroma row', () => {
    expect(imageGeometry({ format: 'NV12', width: 16, height: 3 }).bytes).toBe(16 * (3 + 2));
  });

  it('allocations are whole 4 KiB pages', () => {
    expect(pageRounded(3_110_400)).toBe(3_112_960);
    expect(pageRounded(4096)).toBe(4096);
  });
});

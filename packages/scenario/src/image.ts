/**
 * Image buffer sizes (docs/scenarios.md#image-sizes). H is the height
 * rounded up to `heightAlign`; the stride is in bytes of the first plane:
 *
 *   NV12      stride × (H + ⌈H/2⌉)   Y plane, then interleaved CbCr at half height; 1 byte per sample
 *   P010      stride × (H + ⌈H/2⌉)   as NV12 with 2 bytes per sample (10 bits in 16)
 *   YUYV      stride × H             4:2:2 packed, 2 bytes per pixel
 *   RGBA8888  stride × H             4 bytes per pixel
 *
 * The default stride is width × bytes per pixel of the first plane, so a
 * 1920×1080 NV12 frame is 3,110,400 bytes and a 3840×2160 one 12,441,600
 * (the figures of the Linux V4L2 pixel-format documentation). The
 * allocation is the size rounded up to whole 4 KiB pages.
 */
import type { ImageFormat, ImageSpec } from './definition.js';

/** Bytes per pixel of the first plane. */
export const BYTES_PER_PIXEL: Readonly<Record<ImageFormat, number>> = { NV12: 1, P010: 2, YUYV: 2, RGBA8888: 4 };

/** The geometry an image buffer gets. */
export interface ImageGeometry {
  /** Bytes per row of the first plane. */
  readonly stride: number;
  /** Rows of the first plane after height alignment. */
  readonly alignedHeight: number;
  /** All planes, before rounding to pages. */
  readonly bytes: number;
}

/** The smallest stride a row of `image` fits in. */
export function minStride(image: Pick<ImageSpec, 'format' | 'width'>): number {
  return image.width * BYTES_PER_PIXEL[image.format];
}

/** Stride, aligned height and bytes of an image buffer. */
export function imageGeometry(image: ImageSpec): ImageGeometry {
  const stride = image.stride ?? minStride(image);
  const align = image.heightAlign ?? 1;
  const alignedHeight = Math.ceil(image.height / align) * align;
  const semiPlanar = image.format === 'NV12' || image.format === 'P010';
  const rows = semiPlanar ? alignedHeight + Math.ceil(alignedHeight / 2) : alignedHeight;
  return { stride, alignedHeight, bytes: stride * rows };
}

/** A size rounded up to whole 4 KiB pages: what is allocated and reserved. */
export function pageRounded(bytes: number): number {
  return Math.ceil(bytes / 4096) * 4096;
}

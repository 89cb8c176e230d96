export * from './constants.js';
export * from './errors.js';
export * from './validate.js';
export type * from './memory.js';
export type * from './driver.js';

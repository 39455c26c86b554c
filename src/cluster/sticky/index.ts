// Sticky sessions of `loadstone/cluster`. E (src/cluster/index.ts) re-exports all of this with
// `export * from './sticky/index.js'`: StickyRouter, StickyRouterStats, StickyRouterOptions,
// StickyKey, acceptStickyConnections.
export { acceptStickyConnections } from './acceptStickyConnections.js';
export { StickyRouter } from './StickyRouter.js';
export type { StickyKey, StickyRouterOptions } from './StickyRouterOptions.js';
export type { StickyRouterStats } from './StickyRouterStats.js';

// The root entry: every module's public surface. Each module is also its own subpath
// (`loadstone/sharding`, …) for users who want only that part.

export * from './balancing/index.js';
export * from './core/index.js';
export * from './resilience/index.js';
export * from './sharding/index.js';

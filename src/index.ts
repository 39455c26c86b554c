/**
 * The root entry: every module's public surface. Each module is also its own subpath
 * (`loadstone/sharding`, …) for users who want only that part.
 *
 * @module loadstone
 */

export * from './balancing/index.js';
export * from './cache/index.js';
export * from './capacity/index.js';
export * from './cluster/index.js';
export * from './core/index.js';
export * from './health/index.js';
export * from './jobs/index.js';
export * from './mailbox/index.js';
export * from './pool/index.js';
export * from './presence/index.js';
export * from './prometheus/index.js';
export * from './queue/index.js';
export * from './resilience/index.js';
export * from './sharding/index.js';
export * from './threads/index.js';

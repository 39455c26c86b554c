/**
 * Who is online, across the workers of a machine or many machines.
 *
 * @module loadstone/presence
 */

export { Presence, type PresenceEntry, type PresenceEvents } from './Presence.js';
export type { PresenceOptions } from './PresenceOptions.js';
export type { PresenceStats } from './PresenceStats.js';

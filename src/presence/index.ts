/**
 * Who is online, across the workers of a machine or many machines.
 *
 * @module loadstone/presence
 */

export { Presence, type PresenceEntry, type PresenceEvents, type PresenceStats } from './Presence.js';
export type { PresenceOptions } from './PresenceOptions.js';

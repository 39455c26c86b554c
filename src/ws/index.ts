/**
 * WebSocket servers (`ws`): admission, a connection limit, shedding and a graceful close for the
 * upgrades of an HTTP server.
 *
 * @module loadstone/ws
 */

export { WebSocketGate, type WebSocketGateStats } from './WebSocketGate.js';
export type {
  GatedSocket,
  UpgradeHandler,
  UpgradeSource,
  WebSocketGateOptions,
} from './WebSocketGateOptions.js';

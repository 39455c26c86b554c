import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import {
  checkOptionKeys,
  functionOption,
  implementationOption,
  integerOption,
  optionNames,
  optionsObject,
  timerMsOption,
} from '../core/internal/validate.js';
import type { ShedDecision } from '../health/index.js';

/** The part of an upgraded WebSocket the gate uses; a `ws` `WebSocket` is one. */
export type GatedSocket = {
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** `close` and `error` listeners. */
  on(event: 'close' | 'error', listener: (...args: unknown[]) => void): unknown;
};

/** The part of a `ws` `WebSocketServer` (made with `{ noServer: true }`) the gate uses. */
export type UpgradeHandler<S extends GatedSocket> = {
  /** Completes the handshake on an admitted request and hands over the socket. */
  handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: (socket: S, req: IncomingMessage) => void,
  ): void;
};

/** An HTTP server (`http.createServer()`, or a framework's) whose `upgrade` requests the gate answers. */
export type UpgradeSource = {
  /** Adds the `upgrade` listener. */
  on(event: 'upgrade', listener: (req: IncomingMessage, socket: Duplex, head: Buffer) => void): unknown;
  /** Removes it. */
  removeListener(
    event: 'upgrade',
    listener: (req: IncomingMessage, socket: Duplex, head: Buffer) => void,
  ): unknown;
};

/** Options of {@link WebSocketGate}. */
export type WebSocketGateOptions<S extends GatedSocket> = {
  /** The server whose `upgrade` requests the gate admits or refuses. */
  readonly server: UpgradeSource;
  /** Your `new WebSocketServer({ noServer: true, maxPayload })`: it does the handshake. */
  readonly wss: UpgradeHandler<S>;
  /**
   * Takes each admitted socket. If it throws, the socket is closed with `1011` and the error is
   * reported as a `LOADSTONE_WARN_WS_HANDLER_THREW` warning; the process stays up.
   */
  readonly onConnection: (socket: S, req: IncomingMessage) => void;
  /**
   * Most sockets open at once, handshakes included. Past it an upgrade gets a plain `503` with
   * `Retry-After` before any handshake: the balancer in front cannot know this process is full.
   * 1 to 10,000,000.
   * @default 10_000
   */
  readonly maxConnections?: number;
  /**
   * A shedding decision (`health.shedDecision()` of a `HealthMonitor`): while it sheds, new
   * upgrades get its `503` and `Retry-After`; open sockets are left alone.
   */
  readonly shed?: ShedDecision;
  /**
   * Begins {@link WebSocketGate.close} when it aborts: a supervised worker's `ctx.signal`, which
   * aborts as the drain begins (a drain waits for every connection, so sockets must be told to go).
   */
  readonly signal?: AbortSignal;
  /**
   * How long a socket may take to answer the `1001 going away` close frame before it is
   * terminated, so one silent client cannot hold a drain to its deadline.
   * @default 2_000
   */
  readonly closeTimeoutMs?: number;
  /**
   * `Retry-After` of the `503` for a full or closing gate, in seconds. 0 to 86,400.
   * @default 5
   */
  readonly retryAfterSeconds?: number;
};

/** The options, checked, with their defaults. */
export type ResolvedGateOptions<S extends GatedSocket> = Required<
  Omit<WebSocketGateOptions<S>, 'shed' | 'signal'>
> &
  Pick<WebSocketGateOptions<S>, 'shed' | 'signal'>;

const OPTIONS = optionNames<WebSocketGateOptions<GatedSocket>>()([
  'server',
  'wss',
  'onConnection',
  'maxConnections',
  'shed',
  'signal',
  'closeTimeoutMs',
  'retryAfterSeconds',
]);

/** Checks the gate's options; every fault is an `InvalidOptionError` naming the option. */
export function resolveGateOptions<S extends GatedSocket>(
  options: WebSocketGateOptions<S>,
): ResolvedGateOptions<S> {
  const opts = optionsObject('options', options) as Partial<WebSocketGateOptions<S>>;
  checkOptionKeys(opts, OPTIONS, 'WebSocketGate');
  const shed = opts.shed;
  if (shed !== undefined && (typeof shed?.shed !== 'function' || !Number.isFinite(shed.retryAfterSeconds))) {
    throw new InvalidOptionError('options.shed', 'a ShedDecision (health.shedDecision())', shed);
  }
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) {
    throw new InvalidOptionError('options.signal', 'an AbortSignal', opts.signal);
  }
  return {
    server: implementationOption('options.server', opts.server, ['on', 'removeListener'], 'an http.Server'),
    wss: implementationOption(
      'options.wss',
      opts.wss,
      ['handleUpgrade'],
      'a WebSocketServer made with { noServer: true }',
    ),
    onConnection: functionOption('options.onConnection', opts.onConnection),
    maxConnections: integerOption('options.maxConnections', opts.maxConnections ?? 10_000, 1, 10_000_000),
    shed,
    signal: opts.signal,
    closeTimeoutMs: timerMsOption('options.closeTimeoutMs', opts.closeTimeoutMs ?? 2_000),
    retryAfterSeconds: integerOption('options.retryAfterSeconds', opts.retryAfterSeconds ?? 5, 0, 86_400),
  };
}

// The soak's load: a steady, paced mix of the express-auth routes over one keep-alive
// `http.Agent`, with exact accounting. Requests are issued at a fixed rate (not as fast as
// possible, so the 2 shared cores keep room for the server, Redis and the other jobs on the
// machine) with at most `concurrency` in flight; a request due while that many are in flight is
// skipped and counted, never queued. No retries: every request ends as exactly one outcome.
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { build as buildHistogram, type Histogram } from 'hdr-histogram-js';

export type Route = 'profile' | 'login' | 'signup' | 'ready';
export const ROUTES: readonly Route[] = ['profile', 'login', 'signup', 'ready'];

/** Share of each route in the mix (cumulative thresholds are derived from these). */
export const MIX: Readonly<Record<Route, number>> = { profile: 0.8, login: 0.1, signup: 0.05, ready: 0.05 };

/** The method and path of each route, for the report. */
export const ROUTE_LABELS: Readonly<Record<Route, string>> = {
  profile: 'GET /profiles/:username',
  login: 'POST /login',
  signup: 'POST /signup',
  ready: 'GET /health/ready',
};

/**
 * How a request ended:
 * - `ok`: 2xx;
 * - `limited`: 429 (the login rate limit; not a failure);
 * - `notReady`: 503 from the readiness probe (a draining or unhealthy worker saying so: the
 *   probe doing its job, not a failure);
 * - `failed`: a connection error, no answer within the timeout, or any other 5xx (503 included);
 * - `unexpected`: any other 4xx (a known user's profile 404, a right password 401, a fresh name's
 *   signup 409, a 400): a wrong answer.
 */
export type Outcome = 'ok' | 'limited' | 'notReady' | 'failed' | 'unexpected';

/** Counts and latencies of a set of requests (a minute, a route). */
export type Tally = {
  sent: number;
  ok: number;
  limited: number;
  notReady: number;
  /** `notReady` answers whose body said `shuttingDown: true`. */
  notReadyDraining: number;
  failed: number;
  /** Failed requests that were 503 answers (load shedding, a full hashing queue). */
  failed503: number;
  unexpected: number;
  /** Requests due while `concurrency` were in flight, not sent. */
  skipped: number;
  /** Microseconds from sending to the end of the response, of every request that got one. */
  readonly latencyUs: Histogram;
};

/** A failed or unexpected request, kept for the report. */
export type Incident = {
  /** Milliseconds since the start of the load. */
  readonly startMs: number;
  readonly endMs: number;
  readonly route: Route;
  readonly outcome: 'failed' | 'unexpected';
  /** Error code, `timeout`, or the HTTP status. */
  readonly kind: string;
  /** `x-worker` of the answer, when there was one. */
  readonly worker: string | undefined;
  /** The start of the answer's body or the error message. */
  readonly detail: string;
};

export type MixedLoadOptions = {
  readonly host: string;
  readonly port: number;
  readonly rate: number;
  readonly concurrency: number;
  readonly durationMs: number;
  readonly timeoutMs: number;
  readonly password: string;
  /** Users signed up before the load: logins go round-robin over them. */
  readonly loginUsers: readonly string[];
  /** Profile reads pick from the last this-many signed-up users (a fixed-size working set). */
  readonly profileWindow: number;
  /** Seed of the route and user choice. */
  readonly seed: number;
};

const MAX_INCIDENTS = 10_000;
const BODY_PREFIX = 300;

export function newTally(): Tally {
  return {
    sent: 0,
    ok: 0,
    limited: 0,
    notReady: 0,
    notReadyDraining: 0,
    failed: 0,
    failed503: 0,
    unexpected: 0,
    skipped: 0,
    latencyUs: buildHistogram({ numberOfSignificantValueDigits: 3, autoResize: true }),
  };
}

/** mulberry32: a small seeded PRNG, so two runs send the same sequence of routes and users. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Answer = { status: number; worker: string | undefined; body: string };

export class MixedLoad {
  readonly minutes: Tally[];
  readonly routes: Record<Route, Tally>;
  readonly total: Tally = newTally();
  readonly incidents: Incident[] = [];
  /** Incidents beyond {@link MAX_INCIDENTS}, counted only. */
  incidentsDropped = 0;
  /** When each skipped request was due (milliseconds since the start), the first 100,000. */
  readonly skippedAtMs: number[] = [];
  /** Users signed up during the load (201). */
  signedUp = 0;
  readonly #options: MixedLoadOptions;
  readonly #agent: Agent;
  readonly #random: () => number;
  readonly #window: string[];
  #windowNext = 0;
  #loginNext = 0;
  #newUser = 0;
  #inFlight = 0;
  #issued = 0;
  #t0 = 0;
  #timer: NodeJS.Timeout | undefined;
  #idle: (() => void) | undefined;

  constructor(options: MixedLoadOptions) {
    this.#options = options;
    this.#agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
    this.#random = prng(options.seed);
    this.#window = options.loginUsers.slice(-options.profileWindow);
    this.minutes = Array.from({ length: Math.ceil(options.durationMs / 60_000) }, newTally);
    this.routes = { profile: newTally(), login: newTally(), signup: newTally(), ready: newTally() };
  }

  /** Sockets the agent holds open now (busy and idle): the client's side of the workers' connections. */
  get openSockets(): number {
    let n = 0;
    for (const list of [...Object.values(this.#agent.sockets), ...Object.values(this.#agent.freeSockets)]) {
      n += list?.length ?? 0;
    }
    return n;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Milliseconds since the load started (the time base of every figure of the run). */
  now(): number {
    return performance.now() - this.#t0;
  }

  /** Starts issuing requests; `t0` is the run's time base (a `performance.now()`). */
  start(t0: number): void {
    this.#t0 = t0;
    const { rate, durationMs, concurrency } = this.#options;
    this.#timer = setInterval(() => {
      const elapsed = Math.min(this.now(), durationMs);
      const due = Math.floor((elapsed * rate) / 1000);
      while (this.#issued < due) {
        const startMs = (this.#issued * 1000) / rate;
        this.#issued++;
        if (this.#inFlight >= concurrency) {
          this.#minute(startMs).skipped++;
          this.total.skipped++;
          if (this.skippedAtMs.length < 100_000) this.skippedAtMs.push(startMs);
          continue;
        }
        this.#send(this.#pick());
      }
      if (elapsed >= durationMs) clearInterval(this.#timer);
    }, 10);
  }

  /** Resolves once the last request due was issued and every request in flight ended. */
  async finished(): Promise<void> {
    while (this.now() < this.#options.durationMs) {
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(1000, this.#options.durationMs - this.now())),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20)); // the last tick
    clearInterval(this.#timer);
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    this.#agent.destroy();
  }

  /** Stops at once (on an error or SIGINT): destroys every socket. */
  abort(): void {
    clearInterval(this.#timer);
    this.#agent.destroy();
  }

  #pick(): Route {
    const r = this.#random();
    if (r < MIX.profile) return 'profile';
    if (r < MIX.profile + MIX.login) return 'login';
    if (r < MIX.profile + MIX.login + MIX.signup) return 'signup';
    return 'ready';
  }

  #minute(startMs: number): Tally {
    const i = Math.min(this.minutes.length - 1, Math.max(0, Math.floor(startMs / 60_000)));
    return this.minutes[i] as Tally;
  }

  #send(route: Route): void {
    const { host, port, timeoutMs, password, loginUsers } = this.#options;
    let method = 'GET';
    let path = '/health/ready';
    let body: string | undefined;
    let newUser: string | undefined;
    if (route === 'profile') {
      path = `/profiles/${this.#window[Math.floor(this.#random() * this.#window.length)]}`;
    } else if (route === 'login') {
      const username = loginUsers[this.#loginNext++ % loginUsers.length];
      method = 'POST';
      path = '/login';
      body = JSON.stringify({ username, password });
    } else if (route === 'signup') {
      newUser = `new${this.#newUser++}`;
      method = 'POST';
      path = '/signup';
      body = JSON.stringify({ username: newUser, password });
    }
    const sentAt = performance.now();
    const startMs = sentAt - this.#t0;
    this.#inFlight++;
    let settled = false;
    const settle = (answer: Answer | { error: string; detail: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.#inFlight--;
      if ('error' in answer) {
        this.#record(route, startMs, 'failed', answer.error, undefined, answer.detail, undefined);
      } else {
        const us = Math.max(1, Math.round((performance.now() - sentAt) * 1000));
        const outcome = classify(route, answer.status);
        if (outcome === 'ok' && newUser !== undefined) this.#addToWindow(newUser);
        this.#record(route, startMs, outcome, String(answer.status), answer.worker, answer.body, us);
      }
      if (this.#inFlight === 0) this.#idle?.();
    };
    const headers: Record<string, string | number> =
      body === undefined
        ? {}
        : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    const req = request({ agent: this.#agent, host, port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (text.length < BODY_PREFIX) text += chunk;
      });
      res.on('end', () => {
        const worker = res.headers['x-worker'];
        settle({
          status: res.statusCode ?? 0,
          worker: typeof worker === 'string' ? worker : undefined,
          body: text,
        });
      });
      res.on('error', (e: NodeJS.ErrnoException) => settle({ error: e.code ?? 'error', detail: e.message }));
    });
    const timer = setTimeout(() => {
      settle({ error: 'timeout', detail: `no answer within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => settle({ error: e.code ?? 'error', detail: e.message }));
    req.end(body);
  }

  #addToWindow(username: string): void {
    this.signedUp++;
    this.#window[this.#windowNext] = username;
    this.#windowNext = (this.#windowNext + 1) % this.#window.length;
  }

  #record(
    route: Route,
    startMs: number,
    outcome: Outcome,
    kind: string,
    worker: string | undefined,
    detail: string,
    latencyUs: number | undefined,
  ): void {
    const draining = outcome === 'notReady' && /"shuttingDown"\s*:\s*true/.test(detail);
    for (const t of [this.#minute(startMs), this.routes[route], this.total]) {
      t.sent++;
      t[outcome]++;
      if (draining) t.notReadyDraining++;
      if (outcome === 'failed' && kind === '503') t.failed503++;
      if (latencyUs !== undefined) t.latencyUs.recordValue(latencyUs);
    }
    if (outcome !== 'failed' && outcome !== 'unexpected') return;
    if (this.incidents.length >= MAX_INCIDENTS) {
      this.incidentsDropped++;
      return;
    }
    const endMs = this.now();
    const text = detail.replace(/\s+/g, ' ').slice(0, 120);
    this.incidents.push({ startMs, endMs, route, outcome, kind, worker, detail: text });
  }
}

function classify(route: Route, status: number): Outcome {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 429) return 'limited';
  if (route === 'ready' && status === 503) return 'notReady';
  if (status >= 500 || status === 0) return 'failed';
  return 'unexpected';
}

/**
 * Signs up `count` users named `pool0…` before the load (at most `concurrency` at once), each
 * with `password`; every answer must be 201.
 *
 * @returns the usernames.
 * @throws Error with the first answer that was not 201.
 */
export async function signUpPool(options: {
  readonly host: string;
  readonly port: number;
  readonly count: number;
  readonly concurrency: number;
  readonly password: string;
}): Promise<string[]> {
  const { host, port, count, concurrency, password } = options;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const names = Array.from({ length: count }, (_, i) => `pool${i}`);
  let next = 0;
  const one = (username: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({ username, password });
      const req = request(
        {
          agent,
          host,
          port,
          method: 'POST',
          path: '/signup',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          timeout: 30_000,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () =>
            res.statusCode === 201
              ? resolve()
              : reject(new Error(`signup of ${username}: ${res.statusCode} ${text.slice(0, 200)}`)),
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error(`signup of ${username} timed out`)));
      req.on('error', reject);
      req.end(body);
    });
  const loop = async (): Promise<void> => {
    while (next < names.length) await one(names[next++] as string);
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, loop));
  } finally {
    agent.destroy();
  }
  return names;
}

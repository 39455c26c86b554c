// The Express 5 app of one worker: routes only. The primitives it uses are built (and closed)
// in server.ts and handed in, so this file reads as an ordinary Express app.
import { randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { isLoadstoneError } from 'loadstone';
import type { TieredCache } from 'loadstone/cache';
import { healthRoutes, loadShedding, rateLimit } from 'loadstone/express';
import type { HealthMonitor } from 'loadstone/health';
import type { RateLimiter } from 'loadstone/resilience';
import type { Passwords } from './passwords.js';
import { USERNAME, type UserStore } from './users.js';

/** What `GET /profiles/:username` answers: the public part of a user, never the password hash. */
export type Profile = { readonly username: string; readonly createdAt: string };

export type AppParts = {
  /** This worker's slot (`w0`, `w1`…), sent as `x-worker` on every response. */
  readonly slot: string;
  readonly users: UserStore;
  readonly passwords: Passwords;
  readonly profiles: TieredCache<Profile>;
  readonly loginLimiter: RateLimiter;
  readonly monitor: HealthMonitor;
};

type Credentials = { username: string; password: string };

function credentials(body: unknown): Credentials | undefined {
  const { username, password } = (body ?? {}) as Partial<Record<keyof Credentials, unknown>>;
  if (typeof username !== 'string' || !USERNAME.test(username)) return undefined;
  if (typeof password !== 'string' || password.length < 8 || password.length > 256) return undefined;
  return { username, password };
}

const BAD_BODY = {
  error: 'expected JSON { "username": 3-32 of [a-z0-9_-], "password": 8-256 characters }',
};

export function createApp(parts: AppParts): express.Express {
  const { slot, users, passwords, profiles, loginLimiter, monitor } = parts;
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.setHeader('x-worker', slot);
    next();
  });

  // Probes: status only (the detailed snapshot stays on the admin port, the primary's `GET /`).
  // While this worker is critical, everything but the probes answers 503 + Retry-After.
  const health = healthRoutes({ monitor, live: '/health/live', ready: '/health/ready', health: false });
  app.use(health, loadShedding(health), express.json({ limit: '4kb' }));

  app.post('/signup', async (req, res) => {
    const creds = credentials(req.body);
    if (creds === undefined) return void res.status(400).json(BAD_BODY);
    // Cheap check first, so a taken name costs no hash; `create` below is the atomic one.
    if ((await users.find(creds.username)) !== undefined)
      return void res.status(409).json({ error: 'taken' });
    const password = await passwords.hash(creds.password);
    const created = await users.create({
      username: creds.username,
      createdAt: new Date().toISOString(),
      password,
    });
    if (!created) return void res.status(409).json({ error: 'taken' });
    // Drops a cached "not found" for this name in every worker (the delete goes out on the bus).
    await profiles.delete(`profile:${creds.username}`);
    res.status(201).json({ username: creds.username });
  });

  // Per username and client address: guessing one user's password from one place is slowed
  // down, while that user can still log in from elsewhere.
  const limitLogins = rateLimit(loginLimiter, {
    key: (req) => `${String((req as Request).body?.username)}|${req.ip}`,
  });
  app.post('/login', limitLogins, async (req, res) => {
    const creds = credentials(req.body);
    if (creds === undefined) return void res.status(400).json(BAD_BODY);
    const user = await users.find(creds.username);
    if (!(await passwords.verify(creds.password, user?.password))) {
      return void res.status(401).json({ error: 'wrong username or password' });
    }
    // A real app would create a session here; the example hands out an opaque token.
    res.json({ token: randomBytes(24).toString('base64url') });
  });

  app.get('/profiles/:username', async (req, res) => {
    const { username } = req.params;
    if (!USERNAME.test(username)) return void res.status(404).json({ error: 'not found' });
    // Read through the cache: memory first, then (with REDIS_URL) Redis, then the user store.
    const profile = await profiles.getOrSet(`profile:${username}`, async () => {
      const user = await users.find(username);
      return user === undefined ? undefined : { username: user.username, createdAt: user.createdAt };
    });
    if (profile === undefined) return void res.status(404).json({ error: 'not found' });
    res.json(profile);
  });

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (isLoadstoneError(error, 'ERR_LOADSTONE_CAPACITY')) {
      // The password pool's queue is full: tell the client to come back rather than queue more.
      return void res.status(503).setHeader('retry-after', '1').json({ error: 'busy, retry later' });
    }
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return void res.status(status).json(BAD_BODY); // express.json: malformed or too large
    }
    console.error(error);
    res.status(500).json({ error: 'internal error' });
  });
  return app;
}

// Password hashing through a WorkerThreadPool: the server's event loop only sends the work and
// awaits the answer, so one slow hash never delays the other requests of the worker.
import { randomBytes } from 'node:crypto';
import { WorkerThreadPool } from 'loadstone/threads';

/** What a task of `hash-worker.mjs` receives: the password, a salt (hex) and the scrypt cost N. */
type HashInput = { readonly password: string; readonly salt: string; readonly cost: number };

/** What the user store keeps of a password: never the password itself. */
export type PasswordHash = { readonly salt: string; readonly hash: string; readonly cost: number };

/** Checked against for unknown usernames: see `verify`. */
const DECOY = { salt: '00'.repeat(16), hash: '00'.repeat(64) };

export class Passwords {
  readonly pool: WorkerThreadPool;
  readonly #cost: number;

  constructor(options: { readonly cost: number; readonly maxThreads: number }) {
    this.#cost = options.cost;
    this.pool = new WorkerThreadPool({
      name: 'threads:passwords',
      filename: new URL('./hash-worker.mjs', import.meta.url),
      minThreads: 1,
      maxThreads: options.maxThreads,
      // A bounded queue: past it `run` rejects at once (503) instead of letting logins pile up,
      // and the pool's health check turns degraded at half of it (see the HealthMonitor checks).
      maxQueue: 64,
    });
  }

  /** Hashes a new password with a fresh random salt (16 bytes, per user). */
  async hash(password: string): Promise<PasswordHash> {
    const salt = randomBytes(16).toString('hex');
    const input: HashInput = { password, salt, cost: this.#cost };
    const hash = await this.pool.run<string>(input, { name: 'hash' });
    return { salt, hash, cost: this.#cost };
  }

  /**
   * Checks `password` against a stored hash (its own salt and cost, so raising `SCRYPT_COST`
   * keeps old accounts working). For an unknown user (`stored` undefined) it still hashes once,
   * so the response time does not tell which usernames exist.
   */
  async verify(password: string, stored: PasswordHash | undefined): Promise<boolean> {
    const { salt, hash, cost } = stored ?? { ...DECOY, cost: this.#cost };
    const ok = await this.pool.run<boolean>({ password, salt, cost, expected: hash }, { name: 'verify' });
    return ok && stored !== undefined;
  }
}

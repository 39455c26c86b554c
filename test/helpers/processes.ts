// Small probes the process-level tests share: is a pid still running, what does a port answer,
// ports to bind or to find taken, and a child's next IPC message of a type.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { get } from 'node:http';
import { createServer, type Server } from 'node:net';
import { processState } from './freezeProcess.js';

/** Whether `pid` runs; a zombie (exited, not yet reaped by the init it was reparented to) does not. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return processState(pid) !== 'Z';
}

/** The status of `GET path` on 127.0.0.1:`port` over a fresh connection; 0 when none answers within 2 s. */
export function httpStatus(port: number, path = '/'): Promise<number> {
  return new Promise((resolve) => {
    const request = get({ host: '127.0.0.1', port, path, agent: false, timeout: 2_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(0));
  });
}

/** A loopback port taken by a listener of the test's own, for "the port is already taken" cases. */
export async function takenPort(): Promise<{ port: number; release(): Promise<void> }> {
  const blocker: Server = createServer().listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  return {
    port: (blocker.address() as { port: number }).port,
    release: () => new Promise((resolve) => blocker.close(() => resolve())),
  };
}

/** A loopback port free a moment ago (another process may take it first: use it at once). */
export async function freePort(): Promise<number> {
  const taken = await takenPort();
  await taken.release();
  return taken.port;
}

/** The child's next IPC message whose `type` is `type`; rejects if it exits first. */
export function nextMessage<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type?: string }): void => {
      if (message?.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message as T);
    };
    const onExit = (code: number | null): void => {
      child.off('message', onMessage);
      reject(new Error(`child exited with code ${code} before sending ${type}`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

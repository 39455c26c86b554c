/** What the signals drive. */
export type ProcessSignalHost = {
  stop(): Promise<void>;
  reload(): Promise<void>;
  /** Kills every worker at once, without draining. */
  killAll(): void;
  /** The process that launched this one closed its IPC channel: nobody supervises us any more. */
  launcherGone(): void;
};

/**
 * The primary's process signals (`handleSignals`): `SIGTERM`/`SIGINT` stop gracefully then exit,
 * a second one kills every worker and exits at once; `SIGHUP` reloads. When a launcher started
 * this process with an IPC channel (PM2's fork mode, a test runner, a parent script), that
 * channel closing means the launcher is gone: the primary must not serve on, unsupervised and
 * unkillable by the launcher's own shutdown.
 */
export class ProcessSignalHandlers {
  readonly #host: ProcessSignalHost;
  #handlers: [NodeJS.Signals, () => void][] = [];
  #count = 0;

  constructor(host: ProcessSignalHost) {
    this.#host = host;
  }

  install(): void {
    const host = this.#host;
    const onStop = (): void => {
      this.#count++;
      if (this.#count > 1) {
        host.killAll();
        process.exit(1);
      }
      host.stop().then(
        () => process.exit(process.exitCode ?? 0),
        () => process.exit(1),
      );
    };
    const onReload = (): void => {
      // Nobody awaits a signal's reload: say why it failed (the old workers keep serving).
      host.reload().catch((error: unknown) => {
        const why = error instanceof Error ? error.message : String(error);
        process.stderr.write(`loadstone: reload (SIGHUP) failed: ${why}; the old workers keep serving\n`);
      });
    };
    this.#handlers = [
      ['SIGTERM', onStop],
      ['SIGINT', onStop],
      ['SIGHUP', onReload],
    ];
    for (const [signal, handler] of this.#handlers) process.on(signal, handler);
    if (process.connected) process.on('disconnect', this.#onDisconnect);
  }

  remove(): void {
    for (const [signal, handler] of this.#handlers) process.off(signal, handler);
    this.#handlers = [];
    process.off('disconnect', this.#onDisconnect);
  }

  readonly #onDisconnect = (): void => this.#host.launcherGone();
}

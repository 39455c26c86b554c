// Child-process entry of an isolated throughput case (protocol in isolate.ts): builds one
// contender, warms it up, then times one run per `run` message until `finish`.
//
//   node --expose-gc --import tsx bench/child.ts '<ChildRequest as JSON>'
//
// Run by hand (no IPC channel), it does one run and prints the replies as JSON lines on stdout.
import { encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import type { Contender } from './contender.js';
import { collectGarbage } from './gc.js';
import type { ChildMessage, ChildRequest, ParentMessage } from './isolate.js';
import { type ContenderState, contenderState, timedRun, warmUp } from './measure.js';

/** Imports the case module and returns the named contender, built by the case's factory. */
async function loadContender(request: ChildRequest): Promise<Contender> {
  const mod = (await import(request.module)) as Record<string, unknown>;
  const factory = mod[request.factory];
  if (typeof factory !== 'function') {
    throw new Error(`${request.module} has no exported function ${JSON.stringify(request.factory)}`);
  }
  const contenders = (factory as (params: unknown) => readonly Contender[])(request.params);
  const contender = contenders.find((c) => c.name === request.contender);
  if (contender === undefined) {
    const names = contenders.map((c) => JSON.stringify(c.name)).join(', ');
    throw new Error(
      `${request.factory}() returned no contender ${JSON.stringify(request.contender)} (${names})`,
    );
  }
  return contender;
}

/** Handles one message from the parent; resolves to the reply. */
async function handle(
  s: ContenderState,
  request: ChildRequest,
  message: ParentMessage,
): Promise<ChildMessage> {
  if (message.type === 'run') {
    collectGarbage();
    const ops = s.totalOps;
    const opsPerSec = await timedRun(s, request.timing.roundMs);
    return { type: 'ran', opsPerSec, ops: s.totalOps - ops };
  }
  await s.contender.teardown?.();
  return { type: 'finished', histogram: encodeIntoCompressedBase64(s.histogram) };
}

function errorText(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** Sends a reply; after `finished` or `error`, exits once it is sent (open handles would keep the child alive). */
function reply(message: ChildMessage): void {
  const exitCode = message.type === 'error' ? 1 : 0;
  const last = message.type === 'finished' || message.type === 'error';
  if (process.send === undefined) {
    process.stdout.write(`${JSON.stringify(message)}\n`);
    if (last) process.exit(exitCode);
  } else if (last) {
    process.send(message, () => process.exit(exitCode));
  } else {
    process.send(message);
  }
}

try {
  const request = JSON.parse(process.argv[2] ?? '') as ChildRequest;
  const contender = await loadContender(request);
  const s = contenderState(contender);
  await contender.setup?.();
  collectGarbage();
  await warmUp(s, request.timing);
  reply({ type: 'ready', batchSize: s.batchSize });
  if (process.send === undefined) {
    reply(await handle(s, request, { type: 'run' }));
    reply(await handle(s, request, { type: 'finish' }));
  }
  // One message at a time: the parent sends the next only after this reply. If the parent dies,
  // the channel closes and the child goes too.
  process.once('disconnect', () => process.exit(1));
  process.on('message', (message: ParentMessage) => {
    handle(s, request, message).then(reply, (error: unknown) =>
      reply({ type: 'error', error: errorText(error) }),
    );
  });
} catch (error) {
  reply({ type: 'error', error: errorText(error) });
}

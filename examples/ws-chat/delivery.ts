// Direct messages through the Mailbox: the sender's worker stores each one in Redis, then tells
// every worker "this user has mail" on the bus. A worker holding one of the user's sockets pulls
// what that socket has not been sent yet, in mailbox order, from the socket's cursor (the last id
// it was sent). The live notice carries no message: two senders' notices may cross on the bus,
// but a pull always returns the mailbox's order, so a socket is sent each message once, in order.
// A socket that (re)connects with the last id its client saw gets the rest the same way.
import type { Mailbox } from 'loadstone/mailbox';
import type { WebSocket } from 'ws';

export type Direct = { from: string; text: string };

type Cursor = { readonly user: string; after: string | undefined; pulling: boolean; again: boolean };

const PAGE = 100;

export class DirectDelivery {
  readonly #cursors = new Map<WebSocket, Cursor>();

  constructor(
    private readonly mailbox: Mailbox<Direct>,
    private readonly send: (ws: WebSocket, message: Record<string, string>) => void,
  ) {}

  /** `ws` now speaks for `user`; its client has every message up to `after`. */
  attach(ws: WebSocket, user: string, after: string | undefined): void {
    this.#cursors.set(ws, { user, after, pulling: false, again: false });
    // What the client says it has is acknowledged: a reconnect is also an ack.
    if (after !== undefined) this.ack(user, after);
    void this.#pull(ws, true);
  }

  detach(ws: WebSocket): void {
    this.#cursors.delete(ws);
  }

  /** `user` has new mail: each of their sockets here pulls it. */
  notify(user: string): void {
    for (const [ws, cursor] of this.#cursors) if (cursor.user === user) void this.#pull(ws, false);
  }

  /** The client of `user` received every message up to `id`. */
  ack(user: string, id: string): void {
    this.mailbox.ack(user, id).catch(() => undefined); // unacknowledged mail is sent again later: safe
  }

  async #pull(ws: WebSocket, first: boolean): Promise<void> {
    const cursor = this.#cursors.get(ws);
    if (cursor === undefined) return;
    if (cursor.pulling) {
      cursor.again = true; // a notice during a pull: pull once more when it ends
      return;
    }
    cursor.pulling = true;
    try {
      for (;;) {
        cursor.again = false;
        const { messages, gap } = await this.mailbox.read(cursor.user, { after: cursor.after, limit: PAGE });
        if (this.#cursors.get(ws) !== cursor) return; // the socket closed meanwhile
        if (gap && first) this.send(ws, { type: 'gap', text: 'some messages expired before delivery' });
        first = false;
        for (const { id, message } of messages) {
          this.send(ws, { type: 'message', id, from: message.from, text: message.text });
          cursor.after = id;
        }
        if (messages.length < PAGE && !cursor.again) return;
      }
    } catch {
      // Redis unreachable: the mail stays stored; try again in a second.
      setTimeout(() => void this.#pull(ws, first), 1_000).unref();
    } finally {
      cursor.pulling = false;
    }
  }
}

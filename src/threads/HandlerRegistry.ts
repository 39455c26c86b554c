// Numbers the task functions (a worker module and one of its exports). Internal.
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { moduleUrl } from './resolveOptions.js';

/**
 * The most distinct task functions (module and export pairs) a pool numbers. Each stays known to
 * the pool and to every thread for good, and a task's `name` may come from request data: 20,000
 * unknown names left 4.7 MB behind before this bound.
 */
export const MAX_HANDLERS = 10_000;

/**
 * The longest export `name` a task may give. With {@link MAX_HANDLERS} it bounds what names keep
 * in bytes too: at most about 10 MB of names (each is held twice), however long an attacker's.
 */
export const MAX_HANDLER_NAME_LENGTH = 256;

/** What a thread needs to load a handler: the module's `file:` URL and the export (`null`: default). */
export type HandlerDef = { readonly url: string; readonly name: string | null };

/**
 * Gives each (module, export) pair a small id, so that a task carries a number across the thread
 * boundary and each thread is sent a handler's definition only once.
 */
export class HandlerRegistry {
  readonly #filename: string | undefined;
  readonly #handlers: HandlerDef[] = [];
  readonly #handlerIds = new Map<string, number>();
  readonly #defaultHandlers = new Map<string | undefined, number>();

  /** @param filename - the pool's own worker module (`file:` URL), if it has one. */
  constructor(filename: string | undefined) {
    this.#filename = filename;
  }

  /**
   * The id of export `name` of module `filename` (the pool's module when `undefined`).
   *
   * @throws InvalidOptionError for a bad `name` or `filename`, or when neither the call nor the
   *   pool names a module.
   */
  idFor(filename: string | URL | undefined, name: string | undefined): number {
    if (
      name !== undefined &&
      (typeof name !== 'string' || name.length === 0 || name.length > MAX_HANDLER_NAME_LENGTH)
    ) {
      throw new InvalidOptionError(
        'options.name',
        `a non-empty string of at most ${MAX_HANDLER_NAME_LENGTH} characters`,
        name,
      );
    }
    if (filename === undefined) {
      const known = this.#defaultHandlers.get(name);
      if (known !== undefined) return known;
      if (this.#filename === undefined) {
        throw new InvalidOptionError(
          'options.filename',
          'a path or a file: URL (the pool has none)',
          filename,
        );
      }
      const id = this.#handlerId(this.#filename, name);
      this.#defaultHandlers.set(name, id);
      return id;
    }
    return this.#handlerId(moduleUrl('options.filename', filename), name);
  }

  /** The definition behind an id from {@link HandlerRegistry.idFor}. */
  definition(id: number): HandlerDef {
    return this.#handlers[id] as HandlerDef;
  }

  #handlerId(url: string, name: string | undefined): number {
    const key = `${url}\0${name ?? ''}`;
    let id = this.#handlerIds.get(key);
    if (id === undefined) {
      if (this.#handlers.length >= MAX_HANDLERS) {
        throw new InvalidOptionError(
          name === undefined ? 'options.filename' : 'options.name',
          `one of the ${MAX_HANDLERS} task functions this pool knows (it numbers no more)`,
          name ?? url,
        );
      }
      id = this.#handlers.length;
      this.#handlers.push({ url, name: name ?? null });
      this.#handlerIds.set(key, id);
    }
    return id;
  }
}

/**
 * The write side of the memory, node-hid, usb and serial transports: writes run one after
 * another, in call order (a write starts only after the previous one settled, so they never
 * overlap), and none starts once the transport is closed. A failed write does not block the
 * ones after it. (UDP keeps call order by its socket's send queue; see hid-transport.ts.)
 *
 * @example
 * ```ts
 * const writer = new OrderedWriter(() => queue.closed, () => closedError('HID transport udp:…'));
 * await writer.run(() => socket.send(report));
 * ```
 */
export class OrderedWriter {
  readonly #isClosed: () => boolean;
  readonly #closedError: () => Error;
  #tail: Promise<void> = Promise.resolve();

  constructor(isClosed: () => boolean, closedError: () => Error) {
    this.#isClosed = isClosed;
    this.#closedError = closedError;
  }

  /** Run `send` after every earlier write settled; rejects at once when already closed. */
  run(send: () => Promise<void> | void): Promise<void> {
    if (this.#isClosed()) return Promise.reject(this.#closedError());
    const done = this.#tail.then(() => {
      if (this.#isClosed()) throw this.#closedError();
      return send();
    });
    this.#tail = done.catch(() => {});
    return done;
  }
}

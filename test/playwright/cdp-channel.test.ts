/**
 * The bridge's DevTools channel against a scripted session (the browser test,
 * bridge.browser.test.ts, runs it in Chromium): the origin is the one the session reported for
 * the calling context, the answer goes back into that context, calls on other bindings are
 * not taken, and a browser without a DevTools session leaves the channel unopened.
 */
import { describe, expect, it } from 'vitest';
import { type CdpSession, openCdpChannel } from '../../src/playwright/cdp-channel.js';

/** A session that records what was sent and lets the test emit events. */
class ScriptedSession implements CdpSession {
  readonly sent: { method: string; params: Record<string, unknown> | undefined }[] = [];
  readonly #listeners = new Map<string, ((params: never) => void)[]>();
  detached = false;
  constructor(private readonly refuse: string | undefined = undefined) {}
  async send(method: string, params?: Record<string, unknown>): Promise<unknown> {
    if (method === this.refuse) throw new Error(`${method} refused`);
    this.sent.push({ method, params });
    return {};
  }
  on(event: string, listener: (params: never) => void): this {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener]);
    return this;
  }
  async detach(): Promise<void> {
    this.detached = true;
  }
  emit(event: string, params: unknown): void {
    for (const l of this.#listeners.get(event) ?? []) l(params as never);
  }
  evaluated(): { expression: unknown; contextId: unknown }[] {
    return this.sent.filter((s) => s.method === 'Runtime.evaluate').map((s) => ({ expression: s.params?.expression, contextId: s.params?.contextId }));
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

async function open(session: ScriptedSession, onCall: Parameters<typeof openCdpChannel>[4] = async (_c, origin, payload) => JSON.stringify({ origin, payload })) {
  const calls: string[] = [];
  const opened = await openCdpChannel({ newCDPSession: async () => session }, {}, 'fast', 'deliver', async (caller, origin, payload) => {
    calls.push(caller);
    return onCall(caller, origin, payload);
  });
  return { opened, calls };
}

describe('openCdpChannel', () => {
  it('adds the binding after enabling Runtime, and answers a call into the calling context with the origin the browser reported', async () => {
    const session = new ScriptedSession();
    const { opened, calls } = await open(session);
    expect(opened).toBe(true);
    expect(session.sent.map((s) => [s.method, s.params])).toEqual([
      ['Runtime.enable', undefined],
      ['Runtime.addBinding', { name: 'fast' }],
    ]);
    session.emit('Runtime.executionContextCreated', { context: { id: 7, origin: 'https://rp.example' } });
    session.emit('Runtime.executionContextCreated', { context: { id: 8, origin: 'https://other.example' } });
    session.emit('Runtime.bindingCalled', { name: 'fast', payload: '{"id":1}', executionContextId: 7 });
    await settle();
    expect(calls).toEqual(['cdp:7']);
    // The answer is a JSON string literal handed to the page's deliver function, in context 7 only.
    const [answer] = session.evaluated();
    expect(answer!.contextId).toBe(7);
    expect(answer!.expression).toBe(`globalThis["deliver"](${JSON.stringify(JSON.stringify({ origin: 'https://rp.example', payload: '{"id":1}' }))})`);
  });

  it("an unknown, destroyed or cleared context has no origin: the handler gets 'null'", async () => {
    const session = new ScriptedSession();
    const origins: string[] = [];
    await open(session, async (_c, origin) => {
      origins.push(origin);
      return undefined;
    });
    session.emit('Runtime.executionContextCreated', { context: { id: 1, origin: 'https://a.example' } });
    session.emit('Runtime.executionContextCreated', { context: { id: 2, origin: '' } });
    session.emit('Runtime.executionContextCreated', { context: { id: 3, origin: 'https://c.example' } });
    session.emit('Runtime.executionContextDestroyed', { executionContextId: 1 });
    for (const id of [1, 2, 3, 9]) session.emit('Runtime.bindingCalled', { name: 'fast', payload: '{}', executionContextId: id });
    session.emit('Runtime.executionContextsCleared', {});
    session.emit('Runtime.bindingCalled', { name: 'fast', payload: '{}', executionContextId: 3 });
    await settle();
    expect(origins).toEqual(['null', 'null', 'https://c.example', 'null', 'null']);
    // No answer was asked for, so nothing went back.
    expect(session.evaluated()).toEqual([]);
  });

  it("calls on another binding (Playwright's own, another bridge's) are not taken; a failing handler sends nothing", async () => {
    const session = new ScriptedSession();
    const { calls } = await open(session, async () => {
      throw new Error('handler failed');
    });
    session.emit('Runtime.bindingCalled', { name: '__playwright__binding__', payload: '{}', executionContextId: 1 });
    session.emit('Runtime.bindingCalled', { name: 'fast', payload: '{}', executionContextId: 1 });
    await settle();
    expect(calls).toEqual(['cdp:1']);
    expect(session.evaluated()).toEqual([]);
  });

  it('a browser without DevTools (no session) or one that refuses the binding leaves the channel unopened', async () => {
    const none = await openCdpChannel(
      {
        newCDPSession: async () => {
          throw new Error('CDP session is only available in Chromium');
        },
      },
      {},
      'fast',
      'deliver',
      async () => undefined,
    );
    expect(none).toBe(false);
    const refusing = new ScriptedSession('Runtime.addBinding');
    expect((await open(refusing)).opened).toBe(false);
    expect(refusing.detached).toBe(true);
  });
});

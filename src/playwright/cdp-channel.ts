/**
 * The bridge's fast channel on Chromium: a binding of its own made with the DevTools protocol
 * (`Runtime.addBinding`) on the page's own target, and answers delivered by `Runtime.evaluate`
 * into the calling context. Playwright's `exposeBinding` carries every call through its
 * binding-call objects and its value serializer in both directions; this channel carries one
 * JSON string each way. A no-op call from a `page.evaluate` costs about 0.8 ms less this way
 * (docs/rig.md, "How fast"), which lifts the bridge from 0.60× to about 0.75× the create rate
 * of Chromium's built-in virtual authenticator.
 *
 * The page script prefers this binding when its frame has it and falls back to the Playwright
 * binding otherwise (other browsers, out-of-process iframes, a page opened before a context's
 * channel reached it), so both channels stay installed and answer the same way.
 *
 * The calling frame's origin is the one Chromium reports for the execution context
 * (`Runtime.executionContextCreated`'s `origin`), never a value the page claims.
 */

/** A DevTools session as playwright-core's `CDPSession` offers it (the methods used). */
export interface CdpSession {
  send(method: string, params?: Record<string, unknown>): Promise<unknown>;
  on(event: string, listener: (params: never) => void): unknown;
  detach(): Promise<void>;
}

/** What opens a DevTools session on a page: Playwright's Chromium `BrowserContext`. */
export interface CdpCapableContext {
  newCDPSession(page: never): Promise<CdpSession>;
}

/**
 * One call from the page: the calling context (`caller`, unique within the page), its payload
 * (a JSON string) and that context's origin. The handler's answer (a JSON string) goes back to
 * that context; undefined sends nothing.
 */
export type CdpCallHandler = (caller: string, origin: string, payload: string) => Promise<string | undefined>;

interface ExecutionContextDescription {
  id: number;
  origin: string;
}

/**
 * Open the fast channel on one page; false when the page's browser has no DevTools protocol
 * (Firefox, WebKit) or refuses a session, and the Playwright binding carries every call. The
 * channel lives as long as the page (a page keeps a binding once it has it, so it is never
 * taken away: a detached bridge answers it with a refusal).
 *
 * @param context - the page's browser context (`page.context()`)
 * @param page - the page
 * @param binding - the binding's name in the page (the page script calls it)
 * @param deliver - the page function that takes one answer (a JSON string naming its call's id)
 * @param onCall - runs one call; its answer goes back to the calling context
 */
export async function openCdpChannel(context: CdpCapableContext, page: unknown, binding: string, deliver: string, onCall: CdpCallHandler): Promise<boolean> {
  let session: CdpSession;
  try {
    session = await context.newCDPSession(page as never);
  } catch {
    return false;
  }
  const origins = new Map<number, string>();
  session.on('Runtime.executionContextCreated', ({ context: c }: { context: ExecutionContextDescription }) => {
    origins.set(c.id, c.origin);
  });
  session.on('Runtime.executionContextDestroyed', ({ executionContextId }: { executionContextId: number }) => {
    origins.delete(executionContextId);
  });
  session.on('Runtime.executionContextsCleared', () => origins.clear());
  session.on('Runtime.bindingCalled', ({ name, payload, executionContextId }: { name: string; payload: string; executionContextId: number }) => {
    if (name !== binding) return;
    // Chromium reports an opaque origin as '' or 'null'; the bridge refuses both (SecurityError).
    const origin = origins.get(executionContextId) || 'null';
    onCall(`cdp:${executionContextId}`, origin, payload).then(
      (answer) => {
        if (answer === undefined) return;
        // The expression is two JSON literals; a context that navigated away has nothing to answer.
        const expression = `globalThis[${JSON.stringify(deliver)}](${JSON.stringify(answer)})`;
        session.send('Runtime.evaluate', { expression, contextId: executionContextId }).catch(() => undefined);
      },
      () => undefined, // the handler answers every failure itself; nothing is left to tell the page
    );
  });
  try {
    // Enabling Runtime reports every context that exists now, then each new one.
    await session.send('Runtime.enable');
    await session.send('Runtime.addBinding', { name: binding });
  } catch {
    await session.detach().catch(() => undefined);
    return false;
  }
  return true;
}

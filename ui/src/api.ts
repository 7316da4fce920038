/**
 * The dashboard's client of the rig's control API: every call carries the bearer token, which
 * the page takes from its URL's fragment (`#token=...`, never sent to a server) and keeps in
 * session storage; live events come over the same authenticated fetch as Server-Sent Events.
 */
import type { DeviceState, RigInfo, RigStreamEvent } from '../../src/rig/rig-state.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class RigApi {
  readonly #token: string;

  constructor(token: string) {
    this.#token = token;
  }

  /** The token from `#token=...` (then dropped from the address bar) or from this tab's session. */
  static fromLocation(): RigApi | undefined {
    const hash = new URLSearchParams(location.hash.slice(1));
    const fromHash = hash.get('token');
    if (fromHash !== null) {
      sessionStorage.setItem('tokenrig-token', fromHash);
      history.replaceState(null, '', location.pathname + location.search);
    }
    const token = fromHash ?? sessionStorage.getItem('tokenrig-token');
    return token === null ? undefined : new RigApi(token);
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`/api${path}`, {
      method,
      headers: { authorization: `Bearer ${this.#token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as T & { error?: { message: string } };
    if (!res.ok) throw new ApiError(res.status, json.error?.message ?? res.statusText);
    return json;
  }

  rig(): Promise<RigInfo> {
    return this.call('GET', '/rig');
  }

  devices(query: { q: string; kind: string; offset: number; limit: number }): Promise<{ total: number; devices: DeviceState[] }> {
    const p = new URLSearchParams({ offset: String(query.offset), limit: String(query.limit) });
    if (query.q !== '') p.set('q', query.q);
    if (query.kind !== '') p.set('kind', query.kind);
    return this.call('GET', `/devices?${p}`);
  }

  /** Read the event stream until `signal` aborts; reconnects after a drop. */
  async events(onEvent: (e: RigStreamEvent) => void, onOpen: () => void, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const res = await fetch('/api/events', { headers: { authorization: `Bearer ${this.#token}` }, signal });
        if (!res.ok || res.body === null) throw new ApiError(res.status, 'no event stream');
        onOpen();
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            for (const line of block.split('\n')) if (line.startsWith('data: ')) onEvent(JSON.parse(line.slice(6)) as RigStreamEvent);
          }
        }
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof ApiError && e.status === 401) throw e;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/**
 * The script the bridge installs in every frame before the page's own scripts run. It
 * replaces `navigator.credentials.create/get` for `publicKey` requests: the options go to
 * the test process as their WebAuthn L3 JSON form (§5.1.8, binary as base64url), and the
 * answer comes back as objects shaped as the browser's own: `instanceof PublicKeyCredential`
 * holds, `rawId` and the response's buffers are ArrayBuffers, and `response.getTransports()`,
 * `getAuthenticatorData()`, `getPublicKey()`, `getPublicKeyAlgorithm()`,
 * `getClientExtensionResults()` and `toJSON()` answer as §5.2.1 / §5.1.8 say. Errors are
 * DOMExceptions with the names §5.1.3 / §5.1.4 give (NotAllowedError, InvalidStateError,
 * SecurityError, NotSupportedError, AbortError) or a TypeError for malformed options.
 *
 * It is plain JavaScript in a string, not a compiled function: a test runner's transform
 * would otherwise slip its helpers into the source the page receives. Requests for other
 * credential types (passwords, `mediation: 'conditional'`) go to the browser's own methods.
 */

/** The page script for a binding named `binding` (exposed with `page.exposeBinding`). */
export function pageScript(binding: string): string {
  return `(() => {
  'use strict';
  const BINDING = ${JSON.stringify(binding)};
  const container = globalThis.navigator && globalThis.navigator.credentials;
  if (!container || globalThis[BINDING + '_installed']) return;
  Object.defineProperty(globalThis, BINDING + '_installed', { value: true });
  const nativeCreate = container.create.bind(container);
  const nativeGet = container.get.bind(container);
  let nextId = 1;

  // Two channels to the test process: on Chromium the bridge's own DevTools binding (one JSON
  // string each way, answered through DELIVER), else Playwright's binding. Chosen per call: the
  // fast one may reach a frame after its first scripts ran, or not at all.
  const FAST = BINDING + '_cdp';
  const waiting = new Map();
  Object.defineProperty(globalThis, BINDING + '_answer', {
    value: (text) => {
      const answer = JSON.parse(text);
      const resolve = waiting.get(answer.id);
      waiting.delete(answer.id);
      if (resolve) resolve(answer);
    },
  });
  const send = (message) => {
    const fast = globalThis[FAST];
    if (typeof fast !== 'function') return globalThis[BINDING](message);
    if (message.op === 'abort') {
      fast(JSON.stringify(message));
      return Promise.resolve(null);
    }
    return new Promise((resolve) => {
      waiting.set(message.id, resolve);
      fast(JSON.stringify(message));
    });
  };

  const toB64u = (source, what) => {
    let bytes;
    if (source instanceof ArrayBuffer) bytes = new Uint8Array(source);
    else if (ArrayBuffer.isView(source)) bytes = new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    else throw new TypeError(what + ' must be a BufferSource');
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(s).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  };
  const fromB64u = (text) => {
    const s = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4));
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out.buffer;
  };
  // Extension inputs may hold buffers anywhere (prf, largeBlob): base64url them, as §5.1.8 does.
  const jsonValue = (v) => {
    if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return toB64u(v, 'extension input');
    if (Array.isArray(v)) return v.map(jsonValue);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonValue(x)]));
    return v;
  };
  const descriptors = (list, what) => {
    if (list === undefined) return undefined;
    return Array.from(list, (d, i) => ({ type: d.type, id: toB64u(d.id, what + '[' + i + '].id'), ...(d.transports === undefined ? {} : { transports: Array.from(d.transports) }) }));
  };
  const required = (value, what) => {
    if (value === undefined || value === null) throw new TypeError("Failed to execute on 'CredentialsContainer': required member " + what + ' is undefined.');
    return value;
  };
  const creationJSON = (o) => {
    const rp = required(o.rp, 'rp');
    const user = required(o.user, 'user');
    return {
      rp: { name: String(required(rp.name, 'rp.name')), ...(rp.id === undefined ? {} : { id: String(rp.id) }) },
      user: { id: toB64u(required(user.id, 'user.id'), 'user.id'), name: String(required(user.name, 'user.name')), displayName: String(required(user.displayName, 'user.displayName')) },
      challenge: toB64u(required(o.challenge, 'challenge'), 'challenge'),
      pubKeyCredParams: Array.from(required(o.pubKeyCredParams, 'pubKeyCredParams'), (p) => ({ type: p.type, alg: Number(p.alg) })),
      ...(o.timeout === undefined ? {} : { timeout: Number(o.timeout) }),
      ...(o.excludeCredentials === undefined ? {} : { excludeCredentials: descriptors(o.excludeCredentials, 'excludeCredentials') }),
      ...(o.authenticatorSelection === undefined ? {} : { authenticatorSelection: { ...o.authenticatorSelection } }),
      ...(o.attestation === undefined ? {} : { attestation: o.attestation }),
      ...(o.extensions === undefined ? {} : { extensions: jsonValue(o.extensions) }),
    };
  };
  const requestJSON = (o) => ({
    challenge: toB64u(required(o.challenge, 'challenge'), 'challenge'),
    ...(o.timeout === undefined ? {} : { timeout: Number(o.timeout) }),
    ...(o.rpId === undefined ? {} : { rpId: String(o.rpId) }),
    ...(o.allowCredentials === undefined ? {} : { allowCredentials: descriptors(o.allowCredentials, 'allowCredentials') }),
    ...(o.userVerification === undefined ? {} : { userVerification: o.userVerification }),
    ...(o.extensions === undefined ? {} : { extensions: jsonValue(o.extensions) }),
  });

  // Extension outputs a browser gives as ArrayBuffers (WebAuthn L3 §10.1.4 prf, §10.1.5
  // largeBlob; CTAP 2.1 §12.2 getCredBlob; hmacGetSecret); toJSON() keeps them base64url.
  const BINARY_OUTPUTS = [['prf', 'results', 'first'], ['prf', 'results', 'second'], ['largeBlob', 'blob'], ['getCredBlob'], ['hmacGetSecret', 'output1'], ['hmacGetSecret', 'output2']];
  const extensionResults = (json) => {
    const out = JSON.parse(JSON.stringify(json || {}));
    for (const path of BINARY_OUTPUTS) {
      let o = out;
      for (let i = 0; i < path.length - 1 && o; i++) o = o[path[i]];
      const k = path[path.length - 1];
      if (o && typeof o[k] === 'string') o[k] = fromB64u(o[k]);
    }
    return out;
  };
  const define = (target, values) => {
    for (const [k, v] of Object.entries(values)) Object.defineProperty(target, k, { value: v, enumerable: typeof v !== 'function', configurable: true });
    return target;
  };
  // Own data properties shadow the prototypes' native getters, so instanceof holds and nothing
  // reaches a native accessor with an object it did not make.
  const credential = (json) => {
    const r = json.response;
    const attestation = r.attestationObject !== undefined;
    const Response = attestation ? globalThis.AuthenticatorAttestationResponse : globalThis.AuthenticatorAssertionResponse;
    const response = Object.create(Response ? Response.prototype : Object.prototype);
    define(response, { clientDataJSON: fromB64u(r.clientDataJSON) });
    if (attestation) {
      define(response, {
        attestationObject: fromB64u(r.attestationObject),
        getTransports: () => [...(r.transports || [])],
        getAuthenticatorData: () => fromB64u(r.authenticatorData),
        getPublicKey: () => (r.publicKey === undefined ? null : fromB64u(r.publicKey)),
        getPublicKeyAlgorithm: () => r.publicKeyAlgorithm,
      });
    } else {
      define(response, {
        authenticatorData: fromB64u(r.authenticatorData),
        signature: fromB64u(r.signature),
        userHandle: r.userHandle === undefined ? null : fromB64u(r.userHandle),
      });
    }
    const Credential = globalThis.PublicKeyCredential;
    const cred = Object.create(Credential ? Credential.prototype : Object.prototype);
    return define(cred, {
      id: json.id,
      rawId: fromB64u(json.rawId),
      type: 'public-key',
      response,
      authenticatorAttachment: json.authenticatorAttachment === undefined ? null : json.authenticatorAttachment,
      getClientExtensionResults: () => extensionResults(json.clientExtensionResults),
      toJSON: () => JSON.parse(JSON.stringify(json)),
    });
  };

  const ceremony = (op, options) => {
    const signal = options.signal;
    if (signal && signal.aborted) return Promise.reject(signal.reason === undefined ? new DOMException('The operation was aborted.', 'AbortError') : signal.reason);
    let json;
    try {
      json = op === 'create' ? creationJSON(options.publicKey) : requestJSON(options.publicKey);
    } catch (e) {
      return Promise.reject(e);
    }
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        send({ op: 'abort', id });
        reject(signal.reason === undefined ? new DOMException('The operation was aborted.', 'AbortError') : signal.reason);
      };
      if (signal) signal.addEventListener('abort', onAbort, { once: true });
      send({ op, id, options: json }).then(
        (answer) => {
          if (signal) signal.removeEventListener('abort', onAbort);
          if (answer.error === undefined) resolve(credential(answer.credential));
          else if (answer.error.name === 'TypeError') reject(new TypeError(answer.error.message));
          else reject(new DOMException(answer.error.message, answer.error.name));
        },
        (e) => reject(new DOMException(String(e && e.message || e), 'NotAllowedError')),
      );
    });
  };

  const bridged = (options) => options !== null && typeof options === 'object' && options.publicKey !== undefined && options.mediation !== 'conditional';
  Object.defineProperty(container, 'create', { configurable: true, writable: true, value: function create(options) { return bridged(options) ? ceremony('create', options) : nativeCreate(options); } });
  Object.defineProperty(container, 'get', { configurable: true, writable: true, value: function get(options) { return bridged(options) ? ceremony('get', options) : nativeGet(options); } });
})();`;
}

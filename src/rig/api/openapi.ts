/**
 * The control API's OpenAPI 3.1 document, built from the route table and the schemas, served
 * at /api/openapi.json and checked in as docs/rig-openapi.json (a test keeps the two equal).
 */
import { ROUTES } from './routes.js';
import { SCHEMAS, ref } from './schemas.js';

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'bad input: the message names the field',
  401: 'no or a wrong bearer token',
  404: 'no such device',
  409: 'the device cannot do this (a FIDO key has no button, a dead battery, a sensor not fitted)',
};

/** Strip the JSON Schema members OpenAPI does not need ($schema, $id) from an embedded schema. */
function embedded(schema: object): object {
  const { $schema: _s, $id: _i, ...rest } = schema as Record<string, unknown>;
  return rest;
}

export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const params = [
      ...(r.path.includes('{id}') ? [{ name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: "the device's id: a token's serial, a FIDO key's name" }] : []),
      ...(r.query ?? []).map((q) => ({ name: q.name, in: 'query', required: false, schema: q.schema, description: q.description })),
    ];
    const errors = [...(r.body === undefined && r.query === undefined ? [] : [400]), 401, ...(r.errors ?? [])];
    (paths[r.path] ??= {})[r.method.toLowerCase()] = {
      operationId: r.operationId,
      summary: r.summary,
      ...(r.description === undefined ? {} : { description: r.description }),
      ...(params.length === 0 ? {} : { parameters: params }),
      ...(r.body === undefined ? {} : { requestBody: { required: true, content: { 'application/json': { schema: embedded(r.body) } } } }),
      responses: {
        [String(r.status ?? 200)]: { description: 'ok', content: { 'application/json': { schema: r.response } } },
        ...Object.fromEntries(errors.map((s) => [String(s), { description: STATUS_TEXT[s], content: { 'application/json': { schema: ref('Error') } } }])),
      },
    };
  }
  paths['/api/events'] = {
    get: {
      operationId: 'events',
      summary: 'live events as Server-Sent Events: one JSON object per `data:` line (event, device, state, ...)',
      description:
        'Every device event (press, time_set, fault, touch_pending, touch_settled, uv_pending, uv_settled, credential_made, ...) with the device id and its state after it, and the rig\'s own (clock_set, device_added, device_removed). A comment line every 15 s keeps the stream alive.',
      responses: { '200': { description: 'the event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, '401': { description: STATUS_TEXT[401], content: { 'application/json': { schema: ref('Error') } } } },
    },
  };
  paths['/api/openapi.json'] = {
    get: { operationId: 'openapi', summary: 'this document (no token needed)', security: [], responses: { '200': { description: 'the OpenAPI document', content: { 'application/json': { schema: { type: 'object' } } } } } },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'tokenrig rig control API',
      version,
      description: 'Drive a rig of simulated OTP tokens and FIDO keys: press, read displays, move clocks, inject faults, answer touches and fingerprints, read credentials, export seeds, add and remove devices. Loopback only; every request but this document needs the bearer token the rig prints in its ready line.',
    },
    servers: [{ url: 'http://127.0.0.1:{port}', variables: { port: { default: '0', description: 'the port in the ready line\'s api URL' } } }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: "the token in the rig's ready line" } },
      schemas: Object.fromEntries(Object.entries(SCHEMAS).map(([k, v]) => [k, embedded(v)])),
    },
  };
}

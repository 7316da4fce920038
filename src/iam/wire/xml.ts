/**
 * The little XML the AWS Query protocol answers with: elements built as strings, text escaped,
 * lists as `<Name><member>…</member></Name>` (the Query protocol's list serialisation), dates
 * as ISO 8601 UTC. Building strings directly keeps a response a few microseconds.
 *
 * @example
 * ```ts
 * el('UserName', 'alice');                       // '<UserName>alice</UserName>'
 * members('Users', users.map((u) => userXml(u))); // '<Users><member>…</member></Users>'
 * ```
 */

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** Escape text for element content (quotes stay as they are, as AWS leaves them in messages). */
export function escapeXml(text: string): string {
  return /[&<>]/.test(text) ? text.replace(/[&<>]/g, (c) => ESCAPES[c]!) : text;
}

/** An element whose content is text (escaped); omitted (empty string) when `value` is undefined. */
export function el(name: string, value: string | number | boolean | undefined | null): string {
  if (value === undefined || value === null) return '';
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** An element whose content is already XML (children). */
export function node(name: string, ...children: string[]): string {
  return `<${name}>${children.join('')}</${name}>`;
}

/** A Query-protocol list: each item wrapped in `<member>`. */
export function members(name: string, items: readonly string[]): string {
  return `<${name}>${items.map((i) => `<member>${i}</member>`).join('')}</${name}>`;
}

/** A timestamp as AWS writes it in IAM responses: ISO 8601 UTC without milliseconds. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** A timestamp with milliseconds, as STS writes `Expiration`. */
export function isoMillis(ms: number): string {
  return new Date(Math.floor(ms)).toISOString();
}

/**
 * The AWS Query protocol's request side: parameters arrive as `application/x-www-form-urlencoded`
 * pairs in a POST body (what the SDKs and the CLI send) or in a GET query string. Lists are
 * flattened as `Name.member.N` (1-based), structures in a list as `Name.member.N.Field`.
 *
 * @example
 * ```ts
 * const p = parseQueryParams('Action=CreateUser&UserName=alice&Tags.member.1.Key=team&Tags.member.1.Value=qa');
 * p.get('UserName');                       // 'alice'
 * listMembers(p, 'Tags');                  // [{ Key: 'team', Value: 'qa' }]
 * ```
 */

export type QueryParams = ReadonlyMap<string, string>;

/** Parse form-encoded text (or take decoded pairs); the first of repeated names wins. */
export function parseQueryParams(...sources: (string | Iterable<readonly [string, string]>)[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const source of sources) {
    if (source === '') continue;
    for (const [k, v] of typeof source === 'string' ? new URLSearchParams(source) : source) if (!out.has(k)) out.set(k, v);
  }
  return out;
}

/**
 * The members of the list parameter `name`, in index order: a record of fields for a list of
 * structures (`Tags.member.1.Key`), or `{ '': value }` for a list of scalars (`Names.member.1`).
 * Indexes that are not positive integers are ignored, as gaps are.
 */
export function listMembers(params: QueryParams, name: string): Record<string, string>[] {
  const prefix = `${name}.member.`;
  const byIndex = new Map<number, Record<string, string>>();
  for (const [key, value] of params) {
    if (!key.startsWith(prefix)) continue;
    const rest = key.slice(prefix.length);
    const dot = rest.indexOf('.');
    const indexText = dot < 0 ? rest : rest.slice(0, dot);
    if (!/^[1-9]\d{0,5}$/.test(indexText)) continue;
    const index = Number(indexText);
    const field = dot < 0 ? '' : rest.slice(dot + 1);
    let record = byIndex.get(index);
    if (record === undefined) byIndex.set(index, (record = {}));
    record[field] = value;
  }
  return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
}

/** True when any parameter belongs to the list `name` (so an empty list can be told from none). */
export function hasList(params: QueryParams, name: string): boolean {
  for (const key of params.keys()) if (key.startsWith(`${name}.member.`)) return true;
  return false;
}

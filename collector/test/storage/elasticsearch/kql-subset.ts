import type { estypes } from '@elastic/elasticsearch';

/**
 * The subset of KQL used by docs/kibana.md and configs/kibana/*.ndjson: `field : value`,
 * `field : *`, `field >= n` (> < <=), `and`, `or`, `not`, parentheses, quoted or bare values.
 * Parsed once, then turned into (a) Elasticsearch query DSL and (b) a JS predicate over a
 * document, so a test can check that ES returns exactly the spans the query describes.
 */
export type KqlNode =
  | { type: 'and' | 'or'; items: KqlNode[] }
  | { type: 'not'; item: KqlNode }
  | { type: 'cmp'; field: string; op: ':' | '>=' | '>' | '<=' | '<'; value: string };

const TOKEN = /\s*(\(|\)|>=|<=|>|<|:|"(?:[^"\\]|\\.)*"|[^\s():<>"]+)/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const m = TOKEN.exec(text);
    if (!m) break;
    tokens.push(m[1] as string);
  }
  if (TOKEN.lastIndex < text.trimEnd().length) throw new Error(`cannot tokenize KQL at ${TOKEN.lastIndex}: ${text}`);
  return tokens;
}

/** Parses a KQL query of the supported subset; throws on anything else. */
export function parseKql(text: string): KqlNode {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const next = () => {
    const t = tokens[i++];
    if (t === undefined) throw new Error(`unexpected end of KQL: ${text}`);
    return t;
  };
  const orExpr = (): KqlNode => {
    const items = [andExpr()];
    while (peek()?.toLowerCase() === 'or') {
      i++;
      items.push(andExpr());
    }
    return items.length === 1 ? (items[0] as KqlNode) : { type: 'or', items };
  };
  const andExpr = (): KqlNode => {
    const items = [notExpr()];
    while (peek()?.toLowerCase() === 'and') {
      i++;
      items.push(notExpr());
    }
    return items.length === 1 ? (items[0] as KqlNode) : { type: 'and', items };
  };
  const notExpr = (): KqlNode => {
    if (peek()?.toLowerCase() === 'not') {
      i++;
      return { type: 'not', item: notExpr() };
    }
    if (peek() === '(') {
      i++;
      const inner = orExpr();
      if (next() !== ')') throw new Error(`missing ) in KQL: ${text}`);
      return inner;
    }
    const field = next();
    const op = next();
    if (op !== ':' && op !== '>=' && op !== '>' && op !== '<=' && op !== '<')
      throw new Error(`unsupported operator ${op}`);
    let value = next();
    if (value.startsWith('"')) value = JSON.parse(value) as string;
    return { type: 'cmp', field, op, value };
  };
  const node = orExpr();
  if (i !== tokens.length) throw new Error(`trailing tokens in KQL: ${text}`);
  return node;
}

/** Every comparison of the query (for field checks). */
export function comparisons(node: KqlNode): Extract<KqlNode, { type: 'cmp' }>[] {
  if (node.type === 'cmp') return [node];
  if (node.type === 'not') return comparisons(node.item);
  return node.items.flatMap(comparisons);
}

const RANGE_KEY = { '>=': 'gte', '>': 'gt', '<=': 'lte', '<': 'lt' } as const;

/** Elasticsearch query DSL equivalent to the KQL (what Kibana generates, for this subset). */
export function toEsQuery(node: KqlNode): estypes.QueryDslQueryContainer {
  switch (node.type) {
    case 'and':
      return { bool: { filter: node.items.map(toEsQuery) } };
    case 'or':
      return { bool: { should: node.items.map(toEsQuery), minimum_should_match: 1 } };
    case 'not':
      return { bool: { must_not: [toEsQuery(node.item)] } };
    case 'cmp':
      if (node.op === ':') {
        return node.value === '*' ? { exists: { field: node.field } } : { match: { [node.field]: node.value } };
      }
      return { range: { [node.field]: { [RANGE_KEY[node.op]]: Number(node.value) } } };
  }
}

function valuesAt(doc: unknown, path: string): unknown[] {
  let current: unknown[] = [doc];
  for (const part of path.split('.')) {
    current = current.flatMap((v) => {
      if (v === null || typeof v !== 'object') return [];
      const x = (v as Record<string, unknown>)[part];
      return x === undefined ? [] : Array.isArray(x) ? x : [x];
    });
  }
  return current;
}

/** Evaluates the KQL on a stored document in JS (exact-match semantics of keyword fields). */
export function matches(node: KqlNode, doc: unknown): boolean {
  switch (node.type) {
    case 'and':
      return node.items.every((n) => matches(n, doc));
    case 'or':
      return node.items.some((n) => matches(n, doc));
    case 'not':
      return !matches(node.item, doc);
    case 'cmp': {
      const values = valuesAt(doc, node.field);
      if (node.op === ':') return node.value === '*' ? values.length > 0 : values.some((v) => String(v) === node.value);
      const limit = Number(node.value);
      return values.some((v) => {
        const n = Number(v);
        return node.op === '>=' ? n >= limit : node.op === '>' ? n > limit : node.op === '<=' ? n <= limit : n < limit;
      });
    }
  }
}

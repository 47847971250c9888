import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ES_TARGET_NAMES } from '../../../../test/support/elasticsearch-targets.js';
import type { Span } from '../../../src/model/span.js';
import { documentId, toDocument } from '../../../src/storage/elasticsearch/span-document.js';
import { openRealStore, type RealStore } from './es-test-support.js';
import { comparisons, matches, parseKql, toEsQuery } from './kql-subset.js';
import { BASE_MICROS, makeSpan } from './span-fixtures.js';

const ROOT = new URL('../../../../', import.meta.url);
const PLACEHOLDER = 'PASTE-CORRELATION-ID';

interface SavedObject {
  type: string;
  id: string;
  attributes: Record<string, unknown>;
  references: { name: string; type: string; id: string }[];
}

const savedObjects = readFileSync(new URL('configs/kibana/phosphor.ndjson', ROOT), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as SavedObject);
const kibanaDoc = readFileSync(new URL('docs/kibana.md', ROOT), 'utf8');
/** Every field the "Fields" table of docs/kibana.md names (brace lists expanded, `labels.<tag>` left out). */
const documentedFields = (() => {
  const table = kibanaDoc.slice(kibanaDoc.indexOf('## Fields'), kibanaDoc.indexOf('## KQL'));
  const names = new Set<string>();
  for (const row of table.split('\n').filter((l) => l.startsWith('| `'))) {
    const firstCell = row.split('|')[1] ?? '';
    for (const [, name] of firstCell.matchAll(/`([^`]+)`/g)) {
      if (!name || name.includes('<')) continue;
      const brace = /\{([^}]+)\}/.exec(name);
      if (brace) for (const part of (brace[1] as string).split(',')) names.add(name.replace(brace[0], part));
      else names.add(name);
    }
  }
  return [...names];
})();
/** Fields the saved objects name: columns, sort fields, the data view's field formats. */
const savedObjectFields = (() => {
  const names = new Set<string>();
  for (const o of savedObjects) {
    for (const c of (o.attributes.columns as string[] | undefined) ?? []) names.add(c);
    for (const [f] of (o.attributes.sort as [string, string][] | undefined) ?? []) names.add(f);
    if (o.attributes.timeFieldName) names.add(o.attributes.timeFieldName as string);
    const formats = o.attributes.fieldFormatMap;
    if (typeof formats === 'string') for (const f of Object.keys(JSON.parse(formats) as object)) names.add(f);
  }
  return [...names];
})();
const docQueries = [...kibanaDoc.matchAll(/```kql\n([\s\S]*?)```/g)].flatMap((m) =>
  (m[1] as string).split('\n').filter((l) => l.trim() !== ''),
);
const searches = savedObjects.filter((o) => o.type === 'search');
const searchQuery = (o: SavedObject) =>
  (
    JSON.parse((o.attributes.kibanaSavedObjectMeta as { searchSourceJSON: string }).searchSourceJSON) as {
      query: { query: string };
    }
  ).query.query;

/** Spans chosen so every documented query matches some but not all of them. */
function fixture(): Span[] {
  const a = makeSpan({ traceId: '7001', tags: { correlation_id: '7001', 'http.method': 'GET' } });
  delete a.parentSpanId;
  const b = makeSpan({
    traceId: '7001',
    parentSpanId: a.spanId,
    from: 'id-generator',
    fromEndpoint: 'NextID',
    to: 'store',
    toEndpoint: 'Lease',
    startMicros: BASE_MICROS + 100,
    durationMicros: 1_500_000,
    serverDurationMicros: 1_200_000,
    errorCode: 'UNAVAILABLE',
    errorDescription: 'lease store down',
    tags: { correlation_id: '7001', 'http.method': 'GET' },
  });
  const c = makeSpan({
    traceId: '7002',
    startMicros: BASE_MICROS + 1_000,
    durationMicros: 2_000_000,
    serverDurationMicros: 600_000,
    errorCode: 'INTERNAL',
    missing: ['REP'],
    lateEvents: 1,
    persistent: true,
    clientZone: 'zone-1',
    serverZone: 'zone-1',
    tags: { correlation_id: '7002' },
  });
  const d = makeSpan({
    traceId: '7003',
    startMicros: BASE_MICROS + 2_000,
    serverHost: 'host-c',
    skewMicros: 0,
    skewCorrected: false,
    tags: {},
  });
  for (const s of [a, c, d]) delete s.parentSpanId;
  return [a, b, c, d];
}

type FieldTypes = Map<string, string>;

function flattenMapping(
  properties: Record<string, { type?: string; properties?: object }>,
  prefix = '',
  out: FieldTypes = new Map(),
): FieldTypes {
  for (const [name, def] of Object.entries(properties)) {
    const path = prefix ? `${prefix}.${name}` : name;
    if (def.type) out.set(path, def.type);
    if (def.properties) flattenMapping(def.properties as Record<string, { type?: string }>, path, out);
  }
  return out;
}

let real: RealStore;
let types: FieldTypes;
const spans = fixture();

async function esIds(kql: string): Promise<string[]> {
  const res = await real.admin.search({ index: `${real.prefix}-*`, query: toEsQuery(parseKql(kql)), size: 100 });
  return res.hits.hits.map((h) => h._id as string).sort();
}

function expectedIds(kql: string): string[] {
  const ast = parseKql(kql);
  return spans
    .filter((s) => matches(ast, JSON.parse(JSON.stringify(toDocument(s)))))
    .map(documentId)
    .sort();
}

function checkFieldsOf(kql: string): void {
  for (const cmp of comparisons(parseKql(kql))) {
    const type = types.get(cmp.field);
    expect(type, `${cmp.field} (in "${kql}") is not in the mapping`).toBeDefined();
    if (cmp.op !== ':')
      expect(['long', 'date'], `${cmp.field} needs a numeric/date type for ${cmp.op}`).toContain(type);
    else if (cmp.value === 'true' || cmp.value === 'false')
      expect(type, `${cmp.field} compared to a boolean`).toBe('boolean');
    else if (cmp.value !== '*')
      expect(['keyword', 'long'], `${cmp.field} must be exact-match for "${kql}"`).toContain(type);
  }
}

describe.each(ES_TARGET_NAMES)('Kibana saved objects and documented KQL against the real mapping (%s)', (target) => {
  beforeAll(async () => {
    real = await openRealStore(target);
    real.store.write(spans);
    await real.store.flush();
    await real.refresh();
    const mapping = await real.admin.indices.getMapping({ index: `${real.prefix}-*` });
    const [first] = Object.values(mapping);
    types = flattenMapping((first?.mappings.properties ?? {}) as Record<string, { type?: string }>);
  }, 60_000);
  afterAll(async () => {
    await real?.cleanup();
  });

  it('ships a data view on the span indices with @timestamp (a date) as time field', () => {
    const view = savedObjects.find((o) => o.type === 'index-pattern');
    expect(view?.attributes).toMatchObject({ title: 'phosphor-spans-*', timeFieldName: '@timestamp' });
    expect(types.get('@timestamp')).toBe('date');
    for (const o of savedObjects.filter((x) => x.type !== 'index-pattern')) {
      for (const ref of o.references)
        expect(
          savedObjects.some((x) => x.id === ref.id && x.type === ref.type),
          `${o.id} -> ${ref.id}`,
        ).toBe(true);
    }
    expect(
      savedObjects
        .find((o) => o.type === 'dashboard')
        ?.references.map((r) => r.id)
        .sort(),
    ).toEqual(searches.map((s) => s.id).sort());
  });

  it.each(searches.map((s) => [s.attributes.title as string, s] as const))(
    'saved search "%s" uses mapped, sortable fields',
    (_title, search) => {
      for (const column of search.attributes.columns as string[])
        expect(types.has(column), `column ${column}`).toBe(true);
      for (const [field] of search.attributes.sort as [string, string][]) {
        expect(['keyword', 'long', 'date', 'boolean'], `sort field ${field}`).toContain(types.get(field));
      }
      checkFieldsOf(searchQuery(search));
    },
  );

  it.each(searches.map((s) => [s.attributes.title as string, s] as const))(
    'saved search "%s" returns the expected spans from ES',
    async (_title, search) => {
      const kql = searchQuery(search).replaceAll(PLACEHOLDER, '7001');
      const expected = expectedIds(kql);
      expect(expected.length).toBeGreaterThan(0);
      expect(await esIds(kql)).toEqual(expected);
    },
  );

  it("every field in the docs' Fields table and in the saved objects exists in the real mapping", () => {
    expect(documentedFields.length).toBeGreaterThan(30);
    expect(savedObjectFields.length).toBeGreaterThan(3);
    for (const field of [...documentedFields, ...savedObjectFields]) expect(types.has(field), field).toBe(true);
  });

  it('documents are ECS: ecs.version, event.duration in nanoseconds, zones in cloud.*', async () => {
    const res = await real.admin.search<Record<string, unknown>>({
      index: `${real.prefix}-*`,
      size: 1,
      query: { exists: { field: 'cloud.target.availability_zone' } },
    });
    const doc = res.hits.hits[0]?._source as {
      ecs: { version: string };
      event: { duration: number };
      span: { duration: { us: number } };
      cloud: { availability_zone: string; target: { availability_zone: string } };
    };
    expect(doc.ecs.version).toMatch(/^8\.\d+\.\d+$/);
    expect(doc.event.duration).toBe(doc.span.duration.us * 1000);
    expect(doc.cloud.availability_zone).toBe(doc.cloud.target.availability_zone);
    expect(types.get('event.duration')).toBe('long');
  });

  it('the shipped index template is accepted by PUT _index_template as is (no stray keys)', async () => {
    const body = readFileSync(new URL('configs/elasticsearch/index-template.json', ROOT), 'utf8');
    // The documented name: a collector with the default prefix installs the same template under it, so an existing
    // one (from `npm start -- --real-backends`) is replaced by identical content and left in place.
    const existed = (await real.target.request('GET', '/_index_template/phosphor-spans')).status === 200;
    const put = await real.target.request('PUT', '/_index_template/phosphor-spans', JSON.parse(body));
    try {
      expect(put.status, JSON.stringify(put.body)).toBe(200);
    } finally {
      if (!existed) await real.target.request('DELETE', '/_index_template/phosphor-spans');
    }
  });

  it('docs/kibana.md states the minimum Kibana version the saved objects need', () => {
    const newest = savedObjects
      .map((o) => (o as SavedObject & { typeMigrationVersion?: string }).typeMigrationVersion ?? '0.0.0')
      .map((v) => v.split('.').map(Number) as [number, number, number])
      .sort((a, b) => b[0] - a[0] || b[1] - a[1] || b[2] - a[2])[0] as [number, number, number];
    expect(kibanaDoc).toContain(`**Kibana ${newest[0]}.${newest[1]} or later**`);
  });

  it('the docs hold KQL examples', () => {
    expect(docQueries.length).toBeGreaterThanOrEqual(15);
  });

  it.each(docQueries)(
    'documented KQL `%s` uses mapped fields of the right type and matches the expected spans',
    async (kql) => {
      checkFieldsOf(kql);
      const expected = expectedIds(kql);
      expect(expected.length, 'the fixture must exercise the query').toBeGreaterThan(0);
      expect(expected.length, 'the query must filter something').toBeLessThan(spans.length);
      expect(await esIds(kql)).toEqual(expected);
    },
  );
});

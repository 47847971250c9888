import { BaseConnection, errors } from '@elastic/elasticsearch';

/** What a fake ES node answers: a status and a JSON body, or a thrown error (e.g. connection refused). */
export type FakeReply = { status: number; body: unknown } | Error;

/** A request as the fake saw it. */
export interface FakeRequest {
  method: string;
  path: string;
  querystring: string;
  body: string;
}

/** Request handler shared by every fake connection of a test. */
export interface FakeNode {
  requests: FakeRequest[];
  handle: (req: FakeRequest) => FakeReply | Promise<FakeReply>;
}

/**
 * Builds a Connection class for `new Client({ Connection })` that answers through `node.handle`,
 * so the real client code (serialisation, errors, product header) runs without a server.
 */
export function fakeConnection(node: FakeNode): typeof BaseConnection {
  return class FakeConnection extends BaseConnection {
    // biome-ignore lint/suspicious/noExplicitAny: the base class overloads request(); one implementation serves both.
    override async request(params: any): Promise<any> {
      const req: FakeRequest = {
        method: String(params.method),
        path: String(params.path),
        querystring: String(params.querystring ?? ''),
        body: typeof params.body === 'string' ? params.body : params.body ? String(params.body) : '',
      };
      node.requests.push(req);
      const reply = await node.handle(req);
      if (reply instanceof Error) throw reply;
      return {
        statusCode: reply.status,
        headers: { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' },
        body: JSON.stringify(reply.body),
      };
    }

    override async close(): Promise<void> {}
  };
}

/** A refused connection, as the client's HTTP connection reports it. */
export function refused(): Error {
  return new errors.ConnectionError('connect ECONNREFUSED 127.0.0.1:9200');
}

/** Parses a bulk body into its `index` actions (ids in order). */
export function bulkIds(body: string): string[] {
  const lines = body.split('\n').filter(Boolean);
  const ids: string[] = [];
  for (let i = 0; i < lines.length; i += 2) {
    const action = JSON.parse(lines[i] as string) as { index: { _id: string } };
    ids.push(action.index._id);
  }
  return ids;
}

/** A bulk response where `statusOf(id)` decides each item's status. */
export function bulkReply(body: string, statusOf: (id: string) => number): FakeReply {
  const items = bulkIds(body).map((id) => {
    const status = statusOf(id);
    return {
      index: {
        _id: id,
        status,
        ...(status >= 300
          ? {
              error: {
                type:
                  status === 409
                    ? 'version_conflict_engine_exception'
                    : status === 400
                      ? 'document_parsing_exception'
                      : 'unavailable_shards_exception',
                reason: `status ${status}`,
              },
            }
          : {}),
      },
    };
  });
  return { status: 200, body: { took: 1, errors: items.some((i) => i.index.status >= 300), items } };
}

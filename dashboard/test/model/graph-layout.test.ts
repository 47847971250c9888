import { describe, expect, it } from 'vitest';
import { edgeKey, layoutGraph } from '../../src/model/graph-layout.js';

const node = (service: string) => ({ service, calls: 1, errors: 0 });
const edge = (from: string, to: string) => ({ from, to, calls: 1, errors: 0 });

describe('layoutGraph', () => {
  it('puts callers in earlier layers than their callees (longest path)', () => {
    const layout = layoutGraph({
      nodes: ['gw', 'auth', 'users', 'db'].map(node),
      edges: [edge('gw', 'auth'), edge('gw', 'users'), edge('auth', 'users'), edge('users', 'db')],
    });
    const layer = (id: string) => layout.byId.get(id)!.layer;
    expect([layer('gw'), layer('auth'), layer('users'), layer('db')]).toEqual([0, 1, 2, 3]);
    expect(layout.width).toBeGreaterThan(layout.byId.get('db')!.x);
  });

  it('breaks cycles by marking a back edge instead of looping', () => {
    const layout = layoutGraph({
      nodes: ['a', 'b', 'c'].map(node),
      edges: [edge('a', 'b'), edge('b', 'c'), edge('c', 'b')],
    });
    expect(layout.nodes).toHaveLength(3);
    expect(layout.backEdges.has(edgeKey('c', 'b'))).toBe(true);
    expect(layout.byId.get('a')!.layer).toBe(0);
  });

  it('stacks siblings in one layer without overlap', () => {
    const layout = layoutGraph({
      nodes: ['gw', 'x', 'y', 'z'].map(node),
      edges: [edge('gw', 'x'), edge('gw', 'y'), edge('gw', 'z')],
    });
    const ys = ['x', 'y', 'z'].map((id) => layout.byId.get(id)!.y);
    expect(new Set(ys).size).toBe(3);
  });
});

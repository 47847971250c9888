import { describe, expect, it } from 'vitest';
import { edgeKey, LAYOUT, layoutGraph } from '../../src/model/graph-layout.js';

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

  it('gives each edge that skips layers its own lane below every box, and none to the others', () => {
    const layout = layoutGraph({
      nodes: ['gateway', 'rates', 'quote', 'id-generator'].map(node),
      edges: [
        edge('gateway', 'rates'),
        edge('rates', 'quote'),
        edge('quote', 'id-generator'),
        edge('gateway', 'quote'),
        edge('gateway', 'id-generator'),
      ],
    });
    expect(layout.nodes.map((n) => n.layer)).toEqual([0, 1, 2, 3]);
    expect([...layout.lanes.keys()].sort()).toEqual(
      [edgeKey('gateway', 'id-generator'), edgeKey('gateway', 'quote')].sort(),
    );
    const lowestBox = Math.max(...layout.nodes.map((n) => n.y + LAYOUT.NODE_HEIGHT));
    const laneYs = [...layout.lanes.values()];
    for (const y of laneYs) {
      expect(y).toBeGreaterThan(lowestBox);
      expect(y).toBeLessThan(layout.height);
    }
    expect(new Set(laneYs).size).toBe(2);
    // The shorter edge runs nearer the boxes, so the two lanes nest rather than cross.
    expect(layout.lanes.get(edgeKey('gateway', 'quote'))!).toBeLessThan(
      layout.lanes.get(edgeKey('gateway', 'id-generator'))!,
    );
  });
});

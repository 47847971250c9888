import { describe, expect, it } from 'vitest';
import { criticalPath } from '../../src/model/critical-path.js';
import { buildTraceTree, spanIdAt } from '../../src/model/trace-tree.js';
import { span } from '../support/spans.js';

describe('criticalPath', () => {
  it('follows the last-finishing child back through sequential and parallel calls', () => {
    // root 0..100: calls a (10..40) then, in parallel, b (45..90) and c (45..60); b has child b1 (50..85).
    const tree = buildTraceTree([
      span('root', undefined, 0, 100),
      span('a', 'root', 10, 30),
      span('b', 'root', 45, 45),
      span('c', 'root', 45, 15),
      span('b1', 'b', 50, 35),
    ]);
    const onPath = criticalPath(tree, tree.adjusted);
    const marked = Array.from({ length: tree.size }, (_, row) => spanIdAt(tree, row)).filter((_, i) => onPath[i] === 1);
    // The tree carries the same path, computed when it was built.
    expect([...tree.adjusted.critical]).toEqual([...onPath]);
    expect(marked.sort()).toEqual(['a', 'b', 'b1', 'root']);
  });

  it('marks only the root of a trace without children', () => {
    const tree = buildTraceTree([span('only', undefined, 0, 10)]);
    expect([...criticalPath(tree, tree.adjusted)]).toEqual([1]);
  });
});

import { fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { TimeAxis } from '../../src/components/timeline/time-axis.js';
import { TraceTimeline } from '../../src/components/timeline/trace-timeline.js';
import { generateTrace, HOSTILE_NAMES } from '../../src/fixtures/synthetic-trace.js';
import { buildTraceTree, type TraceTree } from '../../src/model/trace-tree.js';
import { entryTrace } from '../support/spans.js';

function Harness({ tree, initial = -1 }: { tree: TraceTree; initial?: number }) {
  const [selected, setSelected] = useState(initial);
  return <TraceTimeline tree={tree} mode="adjusted" selectedRow={selected} onSelect={setSelected} />;
}

const rows = () => screen.getAllByRole('treeitem');

describe('TraceTimeline', () => {
  it('renders only a window of rows for a 10,000-span trace', () => {
    const tree = buildTraceTree(generateTrace({ spanCount: 10_000, seed: 11 }));
    render(<Harness tree={tree} />);
    const shown = rows();
    expect(shown.length).toBeGreaterThan(10);
    // 600px viewport / 26px rows + 2×20 overscan: far below 10,000.
    expect(shown.length).toBeLessThan(80);
    expect(screen.getByText(/10,000 of\s+10,000 rows/)).toBeTruthy();
  });

  it('shows hostile names as text, never as markup', () => {
    const tree = buildTraceTree(generateTrace({ spanCount: 60, seed: 5, hostile: true }));
    const { container } = render(<Harness tree={tree} />);
    expect(container.querySelector('img, script, svg[onload]')).toBeNull();
    expect(screen.getAllByText(HOSTILE_NAMES[0]).length).toBeGreaterThan(0);
  });

  it('collapses and expands a subtree with the toggle', () => {
    const tree = buildTraceTree(generateTrace({ spanCount: 200, seed: 2 }));
    render(<Harness tree={tree} />);
    fireEvent.click(screen.getAllByRole('button', { name: 'Collapse' })[0]!);
    expect(rows()).toHaveLength(1);
    expect(rows()[0]!.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(screen.getByRole('button', { name: 'Expand' }));
    expect(rows().length).toBeGreaterThan(1);
  });

  it('navigates the tree with the keyboard', () => {
    const tree = buildTraceTree(generateTrace({ spanCount: 200, seed: 2 }));
    render(<Harness tree={tree} />);
    const treeEl = screen.getByRole('tree');
    fireEvent.keyDown(treeEl, { key: 'ArrowDown' }); // select the first row
    expect(treeEl.getAttribute('aria-activedescendant')).toBe('span-row-0');
    fireEvent.keyDown(treeEl, { key: 'ArrowRight' }); // root has children: go to first child
    expect(treeEl.getAttribute('aria-activedescendant')).toBe('span-row-1');
    fireEvent.keyDown(treeEl, { key: 'ArrowLeft' }); // leaf or expanded child: to parent / collapse
    fireEvent.keyDown(treeEl, { key: 'Home' });
    expect(treeEl.getAttribute('aria-activedescendant')).toBe('span-row-0');
    fireEvent.keyDown(treeEl, { key: 'ArrowLeft' }); // expanded root: collapse
    expect(rows()).toHaveLength(1);
    fireEvent.keyDown(treeEl, { key: 'Enter' }); // toggle back open
    expect(rows().length).toBeGreaterThan(1);
  });

  it('marks partial, erroneous and skew-corrected spans', () => {
    const tree = buildTraceTree(
      generateTrace({ spanCount: 400, seed: 9, partialRatio: 0.5, errorRatio: 0.3, skewedHostRatio: 1 }),
    );
    render(<Harness tree={tree} />);
    expect(screen.getAllByText(/^missing (REQ|IN|OUT|REP)/).length).toBeGreaterThan(0);
    expect(screen.getAllByText('error').length).toBeGreaterThan(0);
    expect(screen.getAllByText(/^skew [+−]/).length).toBeGreaterThan(0);
    expect(document.querySelectorAll('.span-row.critical').length).toBeGreaterThan(0);
  });

  it('shows the entry span and an uninstrumented callee as normal, and only the lost events as partial', () => {
    render(<Harness tree={buildTraceTree(entryTrace())} />);
    const [entry, redis, quotes] = rows();
    expect(entry!.textContent).toContain('entry');
    expect(entry!.className).not.toContain('partial');
    expect(entry!.textContent).not.toContain('missing');
    expect(redis!.textContent).toContain('uninstrumented callee');
    expect(redis!.className).not.toContain('partial');
    expect(redis!.textContent).not.toContain('missing');
    expect(quotes!.textContent).toContain('missing OUT REP');
    expect(quotes!.className).toContain('partial');
  });

  it('zooms in and resets', () => {
    const tree = buildTraceTree(generateTrace({ spanCount: 50, seed: 4 }));
    render(<Harness tree={tree} initial={3} />);
    const before = screen.getByText(/^window /).textContent;
    fireEvent.click(screen.getByRole('button', { name: 'Zoom in' }));
    expect(screen.getByText(/^window /).textContent).not.toBe(before);
    fireEvent.click(screen.getByRole('button', { name: 'Reset zoom' }));
    expect(screen.getByText(/^window /).textContent).toBe(before);
  });
});

describe('TimeAxis', () => {
  it('puts labels right of their ticks, and left of a tick near the right edge', () => {
    const { container } = render(<TimeAxis viewStart={1_000} viewEnd={1_000 + 8_300} traceStart={1_000} />);
    const ticks = [...container.querySelectorAll<HTMLElement>('.axis-tick')];
    expect(ticks.map((t) => t.textContent)).toEqual(['+0 µs', '+2.00 ms', '+4.00 ms', '+6.00 ms', '+8.00 ms']);
    const last = ticks.at(-1) as HTMLElement;
    expect(last.classList.contains('axis-tick-end')).toBe(true);
    expect(Number.parseFloat(last.style.right)).toBeCloseTo(100 - (8_000 / 8_300) * 100, 5);
    expect(last.style.left).toBe('');
    const second = ticks[1] as HTMLElement;
    expect(second.classList.contains('axis-tick-end')).toBe(false);
    expect(Number.parseFloat(second.style.left)).toBeCloseTo((2_000 / 8_300) * 100, 5);
  });
});

import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { Loading } from '../../src/components/common/states.js';

describe('Loading', () => {
  it('shows the step and a determinate bar when the total is known', () => {
    render(<Loading what="trace 9" progress={{ step: 'downloading 1.0 of 4.0 MB', done: 1, total: 4 }} />);
    const status = screen.getByRole('status');
    expect(status.textContent).toContain('Loading trace 9');
    expect(status.textContent).toContain('downloading 1.0 of 4.0 MB');
    const bar = screen.getByRole('progressbar', { name: 'Loading trace 9' }) as HTMLProgressElement;
    expect([bar.value, bar.max]).toEqual([1, 4]);
  });

  it('shows an indeterminate bar while the size is unknown, and no bar without progress', () => {
    const { rerender } = render(<Loading what="trace 9" progress={{ step: 'building the tree of 5 spans' }} />);
    expect(screen.getByRole('progressbar').hasAttribute('value')).toBe(false);
    rerender(<Loading what="trace 9" />);
    expect(screen.queryByRole('progressbar')).toBeNull();
  });
});

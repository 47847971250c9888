import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ClusterStatus } from '../../src/api/cluster.js';
import { ApiProvider } from '../../src/api/context.js';
import { App } from '../../src/app.js';
import { fakeApi } from '../support/fake-api.js';

function open(api: ReturnType<typeof fakeApi>) {
  window.location.hash = '#/cluster';
  return render(
    <ApiProvider client={api}>
      <App />
    </ApiProvider>,
  );
}

describe('cluster page', () => {
  it('lists receivers with their loss and assemblers with their partitions and lag', async () => {
    const status: ClusterStatus = {
      role: 'receiver',
      member: 'receiver-1',
      members: [
        {
          member: 'receiver-1',
          role: 'receiver',
          httpUrl: 'http://127.0.0.1:7761',
          state: 'up',
          ageMillis: 900,
          summary: { acceptedEvents: 4000, producedEvents: 3900, bufferedEvents: 0, droppedEvents: 100 },
        },
        {
          member: 'assembler-1',
          role: 'assembler',
          httpUrl: 'http://127.0.0.1:7764',
          state: 'stale',
          ageMillis: 20_000,
          summary: { consumedEvents: 3900, lag: 42, paused: 1 },
          partitions: [
            { partition: 0, lag: 40, committedOffset: '10' },
            { partition: 3, lag: 2, committedOffset: '7' },
          ],
        },
      ],
      totals: { receivers: 1, assemblers: 0, acceptedEvents: 4000, producedEvents: 3900, droppedEvents: 100, lag: 0 },
    };
    const api = { ...fakeApi({}), getCluster: async () => status };
    open(api);
    expect(await screen.findByText('receiver-1')).toBeTruthy();
    expect(screen.getByText('assembler-1')).toBeTruthy();
    expect(screen.getByText('0, 3')).toBeTruthy();
    expect(screen.getByText('paused (Elasticsearch)')).toBeTruthy();
    expect(screen.getByText('stale')).toBeTruthy();
    expect(document.querySelector('.error-cell')?.textContent).toBe('100');
  });

  it('says when the collector is all-in-one', async () => {
    open(fakeApi({}));
    expect(await screen.findByText(/runs all-in-one/)).toBeTruthy();
  });
});

/** The app shell: navigation and the page the URL names. */
import { ClusterPage } from './pages/cluster-page.js';
import { ComparePage } from './pages/compare-page.js';
import { SearchPage } from './pages/search-page.js';
import { ServicesPage } from './pages/services-page.js';
import { TailPage } from './pages/tail-page.js';
import { TracePage } from './pages/trace-page.js';
import type { Page } from './routing/route.js';
import { formatRoute } from './routing/route.js';
import { useRoute } from './routing/router.js';

const NAV: Array<{ page: Exclude<Page, 'trace'>; label: string }> = [
  { page: 'search', label: 'Search' },
  { page: 'services', label: 'Services' },
  { page: 'tail', label: 'Live tail' },
  { page: 'compare', label: 'Compare' },
  { page: 'cluster', label: 'Cluster' },
];

export function App() {
  const route = useRoute();
  return (
    <div className="app">
      <nav className="top-nav" aria-label="Main">
        <span className="brand">Phosphor</span>
        {NAV.map((item) => (
          <a key={item.page} href={formatRoute(item.page)} aria-current={route.page === item.page ? 'page' : undefined}>
            {item.label}
          </a>
        ))}
      </nav>
      <main>
        {route.page === 'search' && <SearchPage params={route.params} />}
        {route.page === 'trace' && <TracePage key={route.traceId} traceId={route.traceId} params={route.params} />}
        {route.page === 'compare' && <ComparePage params={route.params} />}
        {route.page === 'services' && <ServicesPage params={route.params} />}
        {route.page === 'tail' && <TailPage key={route.params.toString()} params={route.params} />}
        {route.page === 'cluster' && <ClusterPage />}
        {route.page === 'not-found' && (
          <div className="state state-empty">
            No view at “{route.path}”. <a href={formatRoute('search')}>Go to search</a>.
          </div>
        )}
      </main>
    </div>
  );
}

/** Provides the API client to the views, so tests can hand in one pointed at fixtures. */
import { createContext, type ReactNode, useContext } from 'react';
import { type ApiClient, createApiClient } from './client.js';

const ApiContext = createContext<ApiClient | undefined>(undefined);

/** Wraps the app (or a component under test) with an API client. */
export function ApiProvider({ client, children }: { client: ApiClient; children: ReactNode }) {
  return <ApiContext.Provider value={client}>{children}</ApiContext.Provider>;
}

let defaultClient: ApiClient | undefined;

/** The client from the nearest provider, else one for the page's own origin. */
export function useApi(): ApiClient {
  const client = useContext(ApiContext);
  if (client) return client;
  defaultClient ??= createApiClient();
  return defaultClient;
}

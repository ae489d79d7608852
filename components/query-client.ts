import { isServer, QueryClient } from '@tanstack/react-query';

/** One QueryClient factory: a fresh client per server request, one shared client in the browser. */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { staleTime: 2000, retry: 1, refetchOnWindowFocus: true },
    },
  });
}

let browserClient: QueryClient | undefined;

export function getQueryClient(): QueryClient {
  if (isServer) return createQueryClient();
  browserClient ??= createQueryClient();
  return browserClient;
}

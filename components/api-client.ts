/** What a console API route answered when it was not 2xx: its message, and per-field issues for 422. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly issues: { path: string[]; message: string }[] = [],
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** The server's message for one input field, for showing it inline. */
  fieldError(field: string): string | undefined {
    return this.issues.find((issue) => issue.path[0] === field)?.message;
  }
}

/**
 * What a route's answer of type T is once it went through JSON: Dates arrive as ISO strings. A route declares the
 * server's wire type (exported next to the code that builds it) and the page reads `Wire<ThatType>`.
 */
export type Wire<T> = T extends Date
  ? string
  : T extends readonly (infer Item)[]
    ? Wire<Item>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

/**
 * fetch() for the console's own JSON API, typed by the route's wire type T: sends JSON, answers Wire<T>, and turns
 * any non-2xx answer into an ApiError.
 */
export async function apiFetch<T>(url: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<Wire<T>> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: init.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      cache: 'no-store',
      signal: init.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'The console server could not be reached. Check your connection and retry.');
  }
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (a proxy's error page, say): fall through with the status.
  }
  if (!res.ok) {
    const record = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const message = typeof record.error === 'string' ? record.error : `The server answered ${res.status} ${res.statusText}.`;
    const issues = Array.isArray(record.issues) ? (record.issues as { path: string[]; message: string }[]) : [];
    throw new ApiError(res.status, message, issues, record);
  }
  return body as Wire<T>;
}

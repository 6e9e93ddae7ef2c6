/**
 * The app talks to /api/v1 like any other client: the session cookie rides along, changes carry the CSRF token.
 * Answers that are not 2xx become an ApiError built from the problem+json body, so pages can show the server's
 * own message and put field errors beside the fields they name.
 */

export interface FieldError {
  field: string;
  code: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: FieldError[] = [],
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** The message for one field, e.g. `fieldError('email')` finds `body.email`. */
  fieldError(name: string): string | undefined {
    return this.errors.find((e) => e.field === name || e.field.endsWith(`.${name}`))?.message;
  }

  get retryAfterSeconds(): number | undefined {
    const v = this.extra.retry_after_seconds;
    return typeof v === 'number' ? v : undefined;
  }
}

/** `/t/{slug}` when the app was opened under a path prefix instead of the business's own host name. */
export const pathPrefix = /^\/t\/[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?(?=\/|$)/.exec(window.location.pathname)?.[0] ?? '';

let csrfToken: string | null = null;
/** Where a fresh CSRF token comes from: the business's session, or the operator's in the back office. */
let csrfSource = '/auth/csrf';

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** The back office keeps its token on the operator's session (`GET /platform/auth/session`), not a business's. */
export function setCsrfSource(path: string): void {
  csrfSource = path;
}

interface Options {
  /** A device credential (a kiosk's token) sent instead of the session cookie. */
  bearer?: string;
  signal?: AbortSignal;
}

async function send<T>(method: string, path: string, body: unknown, opts: Options, retried = false): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  // A file goes as itself, with its own type (a logo upload); anything else as JSON.
  const file = body instanceof Blob ? body : null;
  if (file) headers['content-type'] = file.type || 'application/octet-stream';
  else if (body !== undefined) headers['content-type'] = 'application/json';
  if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
  else if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(`${pathPrefix}/api/v1${path}`, {
      method,
      headers,
      body: file ?? (body === undefined ? undefined : JSON.stringify(body)),
      // Cookies ride along even with a device token: the server reads the token first, and the PIN sign-in that
      // a kiosk sends with its token answers with the session cookie the browser must keep.
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network_error', 'Brigade cannot be reached. Check the connection and try again.');
  }
  if (res.status === 204) return null as T;
  const text = await res.text();
  let json: Record<string, unknown> | null;
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : null;
  } catch {
    // Not JSON (a proxy's error page): the status alone has to speak.
    json = null;
  }
  if (res.ok) return json as T;
  const problem = json ?? {};
  const code = typeof problem.code === 'string' ? problem.code : `http_${res.status}`;
  // A page opened before the session existed (or after a reload) has no token yet: fetch one and try once more.
  if (code === 'csrf_failed' && !retried && !opts.bearer) {
    const fresh = await send<{ csrf_token: string }>('GET', csrfSource, undefined, {});
    csrfToken = fresh.csrf_token;
    return send<T>(method, path, body, opts, true);
  }
  const { errors, detail, ...extra } = problem as { errors?: FieldError[]; detail?: string };
  throw new ApiError(res.status, code, detail ?? `The request failed (${res.status}).`, errors ?? [], extra);
}

export const api = {
  get: <T>(path: string, opts: Options = {}) => send<T>('GET', path, undefined, opts),
  post: <T>(path: string, body?: unknown, opts: Options = {}) => send<T>('POST', path, body ?? {}, opts),
  put: <T>(path: string, body?: unknown, opts: Options = {}) => send<T>('PUT', path, body ?? {}, opts),
  patch: <T>(path: string, body?: unknown, opts: Options = {}) => send<T>('PATCH', path, body ?? {}, opts),
  delete: <T>(path: string, opts: Options = {}) => send<T>('DELETE', path, undefined, opts),
  /** Sends a file as the body of a PUT (the server checks what its bytes are). */
  upload: <T>(path: string, file: Blob, opts: Options = {}) => send<T>('PUT', path, file, opts),
};

/** Every item of a paged list, following next_cursor (lists answer at most 100 items a page). */
export async function getAll<T>(path: string, opts: Options = {}): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  const sep = path.includes('?') ? '&' : '?';
  do {
    const page: { items: T[]; next_cursor?: string | null } = await api.get(`${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, opts);
    items.push(...page.items);
    cursor = page.next_cursor ?? null;
  } while (cursor);
  return items;
}

/** A query string from the set values only. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** A field-level problem: `field` is a dotted path such as `body.name` or `query.limit`. */
export interface FieldError {
  field: string;
  code: string;
  message: string;
}

/** An error a client may see: RFC 9457 problem+json with a stable `code` clients can rely on. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: FieldError[] = [],
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const errors = {
  validation: (errs: FieldError[], message = 'The request is not valid.') => new AppError(400, 'validation_failed', message, errs),
  badRequest: (code: string, message: string, field?: string) =>
    new AppError(400, code, message, field ? [{ field, code, message }] : []),
  unauthenticated: (message = 'Sign in to continue.') => new AppError(401, 'unauthenticated', message),
  wrongTenant: () => new AppError(401, 'credential_not_for_this_tenant', 'This credential belongs to another business. Sign in here.'),
  invalidCredentials: () => new AppError(401, 'invalid_credentials', 'The email or password is not correct.'),
  forbidden: (permission?: string) =>
    new AppError(403, 'forbidden', 'You do not have permission to do this.', [], permission ? { permission } : {}),
  csrf: () =>
    new AppError(403, 'csrf_failed', 'The CSRF token is missing or not valid: fetch /api/v1/auth/csrf and send it as the x-csrf-token header.'),
  notFound: (what = 'resource') => new AppError(404, 'not_found', `The ${what} does not exist.`),
  tenantNotFound: () => new AppError(404, 'tenant_not_found', 'No business is served at this address.'),
  conflict: (code: string, message: string, field?: string) =>
    new AppError(409, code, message, field ? [{ field, code, message }] : []),
  staleVersion: () =>
    new AppError(409, 'stale_version', 'Someone else changed this first. Reload to see their change.', [
      { field: 'body.version', code: 'stale_version', message: 'version is not the current one' },
    ]),
  idempotencyMismatch: () =>
    new AppError(422, 'idempotency_key_reused', 'This Idempotency-Key was used for a different request.', [
      { field: 'header.idempotency-key', code: 'idempotency_key_reused', message: 'used for a different request' },
    ]),
  rateLimited: (retryAfterSeconds: number) =>
    new AppError(429, 'rate_limited', `Too many attempts. Try again in ${retryAfterSeconds} seconds.`, [], { retry_after_seconds: retryAfterSeconds }, {
      'retry-after': String(retryAfterSeconds),
    }),
  locked: (code: string, message: string, retryAfterSeconds: number) =>
    new AppError(423, code, message, [], { retry_after_seconds: retryAfterSeconds }, { 'retry-after': String(retryAfterSeconds) }),
  tenantSuspended: (supportEmail?: string | null) =>
    new AppError(403, 'tenant_suspended', `This account is suspended. Contact the owner of the business${supportEmail ? ` or write to ${supportEmail}` : ''}.`),
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  423: 'Locked',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors?: FieldError[];
  request_id?: string;
  [k: string]: unknown;
}

export function problem(status: number, code: string, detail: string, extra: Partial<Problem> = {}): Problem {
  return {
    type: `https://brigade.dev/problems/${code.replace(/_/g, '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
    ...extra,
  };
}

/** The PostgreSQL error code (SQLSTATE) of an error, also when drizzle wrapped the driver's error in its own. */
export function pgErrorCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return undefined;
}

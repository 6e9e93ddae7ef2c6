import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Session cookies: HttpOnly, SameSite=Lax, host-only. Over HTTPS they are Secure and carry the `__Host-` prefix,
 * which browsers accept only from a secure origin with Path=/ and no Domain; plain-http localhost cannot use it.
 */
export class SessionCookies {
  readonly session: string;
  readonly platform: string;
  readonly csrf: string;
  /** An operator's read-only support session in a business's pages (the bsa_ token, never a person's session). */
  readonly support: string;

  constructor(readonly secure: boolean) {
    const p = secure ? '__Host-' : '';
    this.session = `${p}brigade_session`;
    this.platform = `${p}brigade_platform`;
    this.csrf = `${p}brigade_csrf`;
    this.support = `${p}brigade_support`;
  }

  options(expires?: Date) {
    return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: this.secure, ...(expires ? { expires } : {}) };
  }

  set(reply: FastifyReply, name: string, token: string, expires: Date): void {
    reply.setCookie(name, token, this.options(expires));
  }

  clear(reply: FastifyReply, name: string): void {
    reply.clearCookie(name, this.options());
  }

  read(req: FastifyRequest, name: string): string | undefined {
    return req.cookies[name];
  }
}

/** `Authorization: Bearer <token>`, for devices and API clients that do not hold cookies. */
export function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string' || !h.startsWith('Bearer ')) return undefined;
  return h.slice(7).trim();
}

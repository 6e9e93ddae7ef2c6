import Tokens from '@fastify/csrf';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../core/errors.ts';
import type { SessionCookies } from './cookies.ts';

declare module 'fastify' {
  interface FastifyReply {
    /** A CSRF token bound to this session; sets the secret cookie when the browser has none. */
    generateCsrf(opts: { userInfo: string }): string;
  }
}

/**
 * Synchronizer tokens from @fastify/csrf: a per-browser secret in an HttpOnly SameSite=Strict cookie, and tokens
 * HMAC-bound to the session id, so a token taken from one session is worthless in another.
 */
export class Csrf {
  private tokens: Tokens.TokensUserinfo;

  constructor(
    private cookies: SessionCookies,
    hmacKey: string,
  ) {
    this.tokens = new (Tokens as unknown as new (o: object) => Tokens.TokensUserinfo)({ userInfo: true, hmacKey });
  }

  generate(req: FastifyRequest, reply: FastifyReply, userInfo: string): string {
    let secret: string | undefined = req.cookies[this.cookies.csrf];
    if (!secret) {
      secret = this.tokens.secretSync();
      reply.setCookie(this.cookies.csrf, secret, { ...this.cookies.options(), sameSite: 'strict' });
      // A token made in this same response must verify against the new secret on the next request.
      req.cookies[this.cookies.csrf] = secret;
    }
    return this.tokens.create(secret, userInfo);
  }

  check(req: FastifyRequest, userInfo: string): void {
    const secret = req.cookies[this.cookies.csrf];
    const token = req.headers['x-csrf-token'];
    if (!secret || typeof token !== 'string' || !this.tokens.verify(secret, token, userInfo)) throw errors.csrf();
  }
}

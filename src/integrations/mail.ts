import nodemailer, { type Transporter } from 'nodemailer';
import { v7 as uuidv7 } from 'uuid';
import type { FastifyBaseLogger } from 'fastify';
import type { PlatformTx, TenantTx } from '../core/db/tx.ts';
import type { Jobs } from '../core/jobs.ts';

/**
 * A Brigade bearer secret in a mailed link (`{prefix}{tenant}.{secret}`, see core/tokens.ts): invitation and
 * password reset links. Their tokens are stored only as hashes; once the mail has left through SMTP the outbox
 * copy loses the secret part too, so sent mail read later (platform support, a backup) holds no working link.
 * Mail kept for lack of SMTP keeps its link: reading it is then the only way to deliver it.
 */
const LINK_SECRET = /(?<![A-Za-z0-9_-])(b[a-z]_[A-Za-z0-9_-]{22})\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;

export function withoutSecrets(body: string): string {
  return body.replace(LINK_SECRET, '$1.[removed after sending]');
}

export interface Mail {
  to: string;
  subject: string;
  body: string;
}

/**
 * Mail leaves through the durable job queue, never inside the request: the request only records the message,
 * so a slow or failing SMTP server neither delays the answer nor loses the mail. Without SMTP the message is
 * kept in the outbox (readable by the platform admin) and written to the log.
 */
export class Mailer {
  private transport: Transporter | null;

  constructor(
    private jobs: Jobs,
    private log: FastifyBaseLogger,
    smtpUrl: string | undefined,
    private from: string,
  ) {
    this.transport = smtpUrl ? nodemailer.createTransport(smtpUrl) : null;
    jobs.register('mail.send', (tx, payload) => this.deliver(tx, String(payload.message_id)));
  }

  async queue(tx: TenantTx, mail: Mail): Promise<string> {
    return this.queueFor(tx, tx.tenantId, mail);
  }

  /** Queues a tenant's mail from the platform path (a lifecycle step tells the business's owners). */
  async queueFor(tx: TenantTx | PlatformTx, tenantId: string, mail: Mail): Promise<string> {
    const id = uuidv7();
    await tx.query(`INSERT INTO outbox_messages (tenant_id, id, to_address, subject, body) VALUES ($1, $2, $3, $4, $5)`, [
      tenantId,
      id,
      mail.to,
      mail.subject,
      mail.body,
    ]);
    if ('tenantId' in tx && !('platform' in tx)) await this.jobs.enqueue(tx, 'mail.send', { message_id: id });
    else await this.jobs.enqueueFor(tx as PlatformTx, tenantId, 'mail.send', { message_id: id });
    return id;
  }

  private async deliver(tx: TenantTx, id: string): Promise<void> {
    const [msg] = await tx.query<{ to_address: string; subject: string; body: string; status: string }>(
      `SELECT to_address, subject, body, status FROM outbox_messages WHERE tenant_id = $1 AND id = $2`,
      [tx.tenantId, id],
    );
    if (!msg || msg.status === 'sent' || msg.status === 'kept') return;
    if (!this.transport) {
      this.log.info({ to: msg.to_address, subject: msg.subject, body: msg.body }, 'mail kept in outbox (no SMTP_URL configured)');
      await tx.query(`UPDATE outbox_messages SET status = 'kept', attempts = attempts + 1 WHERE tenant_id = $1 AND id = $2`, [tx.tenantId, id]);
      return;
    }
    await this.transport.sendMail({ from: this.from, to: msg.to_address, subject: msg.subject, text: msg.body });
    await tx.query(
      `UPDATE outbox_messages SET status = 'sent', body = $3, attempts = attempts + 1, sent_at = now() WHERE tenant_id = $1 AND id = $2`,
      [tx.tenantId, id, withoutSecrets(msg.body)],
    );
  }

  /**
   * Sends now, for a caller that keeps its own log and retries (the waitlist's guest messages run in their own
   * durable job). Without SMTP the message is only logged and reported as kept, on the caller's log when it
   * gives one (a request's, which carries its request id).
   */
  async sendNow(mail: Mail, log: FastifyBaseLogger = this.log): Promise<'sent' | 'kept'> {
    if (!this.transport) {
      log.info({ to: mail.to, subject: mail.subject }, 'mail not sent (no SMTP_URL configured)');
      return 'kept';
    }
    await this.transport.sendMail({ from: this.from, to: mail.to, subject: mail.subject, text: mail.body });
    return 'sent';
  }

  close(): void {
    this.transport?.close();
  }
}

import { v7 as uuidv7 } from 'uuid';
import type { FastifyBaseLogger } from 'fastify';
import type { Statement, TenantTx } from '../core/db/tx.ts';
import type { Jobs } from '../core/jobs.ts';
import { countUsage } from '../core/usage.ts';
import type { Mailer } from '../integrations/mail.ts';
import { withoutSecrets } from '../integrations/mail.ts';
import { ProviderError, type TextProvider } from '../integrations/messaging.ts';
import type { Biz, Guest } from './service.ts';

/**
 * Messages to guests: joined, getting close, called, no-show. The request only records one row per channel in
 * `waitlist_deliveries` and queues a durable job; the job sends through the provider and writes the outcome (sent,
 * failed with the provider's error, or skipped) on the row, so every message is accounted for. A provider that is
 * down gets retried with backoff by re-queueing, which keeps each attempt's error on the row.
 */
export type Kind = 'joined' | 'close' | 'called' | 'no_show';
const JOB = 'waitlist.deliver';
const MAX_ATTEMPTS = 5;

/** The channels the business sends guests' messages on (`waitlist_settings`; a business without a row has the defaults). */
export interface Channels {
  notify_email: boolean;
  notify_sms: boolean;
  notify_whatsapp: boolean;
}

const DEFAULT_CHANNELS: Channels = { notify_email: true, notify_sms: true, notify_whatsapp: false };

/** The business's channels as a statement, for a caller to send with its own and hand the answer to `channelsFrom`. */
export function channelsRead(tx: TenantTx): Statement {
  return { text: `SELECT notify_email, notify_sms, notify_whatsapp FROM waitlist_settings WHERE tenant_id = $1`, params: [tx.tenantId] };
}

export function channelsFrom(rows: Record<string, unknown>[] | undefined): Channels {
  return (rows?.[0] as Channels | undefined) ?? DEFAULT_CHANNELS;
}

/** What the caller already has at hand, so the message costs no lookups of its own. */
export interface MessageContext {
  link?: string;
  guest?: Guest;
  channels?: Channels;
}

export interface Providers {
  mailer: Mailer;
  sms: TextProvider | null;
  whatsapp: TextProvider | null;
}

function wording(kind: Kind, biz: Biz, e: { name: string; party_size: number; position: number | null; queue: string }, link?: string): { subject: string; text: string } {
  switch (kind) {
    case 'joined':
      return {
        subject: `You're on the list at ${biz.name}`,
        text: `${biz.name}: ${e.name}, your party of ${e.party_size} is number ${e.position ?? '–'} on the ${e.queue} list. Follow your place and chat with us: ${link ?? ''}`.trim(),
      };
    case 'close':
      return { subject: `Almost your turn at ${biz.name}`, text: `${biz.name}: ${e.name}, you're getting close (number ${e.position ?? '–'}). Please stay nearby.` };
    case 'called':
      return { subject: `Your table is ready at ${biz.name}`, text: `${biz.name}: ${e.name}, your table is ready. Please come to the host stand now.` };
    case 'no_show':
      return { subject: `We missed you at ${biz.name}`, text: `${biz.name}: ${e.name}, we called you but could not find you, so your place was released. Ask the host stand if you are still here.` };
  }
}

export class GuestMessages {
  constructor(
    private jobs: Jobs,
    private providers: Providers,
    private log: FastifyBaseLogger,
  ) {
    jobs.register(JOB, (tx, payload) => this.deliver(tx, String(payload.delivery_id)));
  }

  get smsAvailable(): boolean {
    return this.providers.sms !== null;
  }
  get whatsappAvailable(): boolean {
    return this.providers.whatsapp !== null;
  }

  /** Records and queues the messages for one change, on each channel the business has on and the guest can receive. */
  async queue(tx: TenantTx, biz: Biz, entryId: string, kind: Kind, { link, guest, channels }: MessageContext = {}): Promise<void> {
    const [e] = guest
      ? [guest]
      : await tx.query<Guest>(
          `SELECT e.name, e.party_size, e.position, e.phone, e.email, q.name AS queue FROM waitlist_entries e
             JOIN waitlist_queues q ON q.tenant_id = e.tenant_id AND q.id = e.queue_id WHERE e.tenant_id = $1 AND e.id = $2`,
          [tx.tenantId, entryId],
        );
    // A guest who left neither a phone nor an email has nowhere to be written to.
    if (!e || (!e.phone && !e.email)) return;
    const read = channelsRead(tx);
    const on = channels ?? channelsFrom(await tx.query(read.text, read.params));
    const { subject, text } = wording(kind, biz, e, link);
    const sends: { channel: 'email' | 'sms' | 'whatsapp'; to: string; body: string }[] = [];
    if (e.email && on.notify_email) sends.push({ channel: 'email', to: e.email, body: `${subject}\n\n${text}` });
    if (e.phone && on.notify_sms && this.providers.sms) sends.push({ channel: 'sms', to: e.phone, body: text });
    if (e.phone && on.notify_whatsapp && this.providers.whatsapp) sends.push({ channel: 'whatsapp', to: e.phone, body: text });
    for (const m of sends) {
      const id = uuidv7();
      // Nothing in the transaction reads the row back: it goes with the COMMIT, before the job that sends it.
      tx.writeAtCommit(
        `INSERT INTO waitlist_deliveries (tenant_id, id, entry_id, channel, kind, to_address, body) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [tx.tenantId, id, entryId, m.channel, kind, m.to, m.body],
      );
      await this.jobs.enqueue(tx, JOB, { delivery_id: id });
    }
  }

  private async deliver(tx: TenantTx, id: string): Promise<void> {
    const [d] = await tx.query<{ channel: 'email' | 'sms' | 'whatsapp'; to_address: string; body: string; status: string; attempts: number }>(
      `SELECT channel, to_address, body, status, attempts FROM waitlist_deliveries WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
      [tx.tenantId, id],
    );
    if (!d || d.status !== 'queued') return;
    const attempts = d.attempts + 1;
    const finish = (status: 'sent' | 'failed' | 'skipped', error: string | null, providerId: string | null) =>
      tx.query(
        `UPDATE waitlist_deliveries SET status = $3, error = $4, provider_id = $5, attempts = $6, body = $7,
                sent_at = CASE WHEN $3 = 'sent' THEN now() ELSE sent_at END WHERE tenant_id = $1 AND id = $2`,
        [tx.tenantId, id, status, error, providerId, attempts, status === 'sent' ? withoutSecrets(d.body) : d.body],
      );
    try {
      if (d.channel === 'email') {
        const [subject, ...rest] = d.body.split('\n\n');
        const outcome = await this.providers.mailer.sendNow({ to: d.to_address, subject: subject!, body: rest.join('\n\n') });
        if (outcome === 'kept') return void (await finish('skipped', 'No SMTP server is configured.', null));
        await finish('sent', null, null);
      } else {
        const provider = d.channel === 'sms' ? this.providers.sms : this.providers.whatsapp;
        if (!provider) return void (await finish('skipped', `No ${d.channel} provider is configured.`, null));
        const { providerId } = await provider.send(d.to_address, d.body);
        await finish('sent', null, providerId);
      }
      await countUsage(tx, 'messages_sent');
      await countUsage(tx, `messages_sent.${d.channel}`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const retryable = err instanceof ProviderError ? err.retryable : true;
      this.log.warn({ delivery: id, channel: d.channel, attempt: attempts, err: message }, 'guest message not delivered');
      if (retryable && attempts < MAX_ATTEMPTS) {
        await tx.query(`UPDATE waitlist_deliveries SET attempts = $3, error = $4 WHERE tenant_id = $1 AND id = $2`, [tx.tenantId, id, attempts, message.slice(0, 1000)]);
        await this.jobs.enqueue(tx, JOB, { delivery_id: id }, Math.min(3600, 2 ** attempts * 5));
        return;
      }
      await finish('failed', message.slice(0, 1000), null);
    }
  }
}

import { z } from 'zod';
import type { Config } from '../core/config.ts';

export type MessageChannel = 'email' | 'sms' | 'whatsapp';

/** Sends one text to a guest's phone. `to` is E.164 (`+4915112345678`). */
export interface TextProvider {
  readonly channel: 'sms' | 'whatsapp';
  send(to: string, text: string): Promise<{ providerId: string }>;
}

/**
 * A message the provider did not take. `retryable` tells the job queue whether sending again can help: the
 * provider was unreachable, busy (429) or broken (5xx). Any other refusal (bad number, bad credentials) will be
 * refused again, so retrying it only burns attempts.
 */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

const TIMEOUT_MS = 10_000;
const E164 = /^\+[1-9]\d{1,14}$/;

function recipient(to: string): string {
  // Refused before sending: the provider would refuse it too, and WhatsApp wants the same digits without '+'.
  if (!E164.test(to)) throw new ProviderError('the guest phone number is not in E.164 form (+ and up to 15 digits)', null, false);
  return to;
}

interface Answer {
  status: number;
  ok: boolean;
  json: unknown;
  text: string;
}

async function post(provider: string, url: string, headers: Record<string, string>, body: string): Promise<Answer> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    throw new ProviderError(`${provider} unreachable: ${networkReason(err)}`, null, true);
  }
  // A body cut off after a 2xx leaves no id, which `accepted` reports as not retryable: the provider took the message.
  const text = await res.text().catch(() => '');
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // A proxy's HTML error page: `refused` quotes the text instead.
  }
  return { status: res.status, ok: res.ok, json, text };
}

function networkReason(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  const cause = err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}

function refused(provider: string, a: Answer, detail: string | null): ProviderError {
  const what = detail ?? (a.text.trim().slice(0, 200) || 'no explanation');
  return new ProviderError(`${provider} refused the message (HTTP ${a.status}): ${what}`, a.status, a.status === 429 || a.status >= 500);
}

function accepted(provider: string, a: Answer): ProviderError {
  return new ProviderError(`${provider} accepted the message (HTTP ${a.status}) but its answer holds no message id`, a.status, false);
}

const twilioSent = z.object({ sid: z.string().min(1) });
const twilioFailed = z.object({ code: z.union([z.number(), z.string()]), message: z.string(), more_info: z.string().optional() });

/** Twilio Programmable Messaging: one SMS per `send`, from the account's own number. */
export class TwilioSms implements TextProvider {
  readonly channel = 'sms';
  private url: string;
  private authorization: string;

  constructor(private account: { accountSid: string; authToken: string; from: string; apiUrl?: string }) {
    const base = (account.apiUrl ?? 'https://api.twilio.com').replace(/\/+$/, '');
    this.url = `${base}/2010-04-01/Accounts/${encodeURIComponent(account.accountSid)}/Messages.json`;
    this.authorization = `Basic ${Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64')}`;
  }

  async send(to: string, text: string): Promise<{ providerId: string }> {
    const form = new URLSearchParams({ To: recipient(to), From: this.account.from, Body: text });
    const a = await post(
      'Twilio',
      this.url,
      { authorization: this.authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      form.toString(),
    );
    if (a.ok) {
      const sent = twilioSent.safeParse(a.json);
      if (!sent.success) throw accepted('Twilio', a);
      return { providerId: sent.data.sid };
    }
    const failed = twilioFailed.safeParse(a.json);
    const e = failed.success ? failed.data : null;
    throw refused('Twilio', a, e && `error ${e.code}: ${e.message}${e.more_info ? ` (${e.more_info})` : ''}`);
  }
}

const whatsappSent = z.object({ messages: z.array(z.object({ id: z.string().min(1) })).min(1) });
const whatsappFailed = z.object({
  error: z.object({
    message: z.string(),
    code: z.union([z.number(), z.string()]),
    // Meta's `message` is often terse ("Recipient phone number not in allowed list"); the fix is in the details.
    error_data: z.object({ details: z.string() }).optional(),
  }),
});

/** Meta's WhatsApp Cloud API: a plain text message from the business phone number. */
export class WhatsAppCloud implements TextProvider {
  readonly channel = 'whatsapp';
  private url: string;

  constructor(private sender: { token: string; phoneNumberId: string; apiUrl?: string }) {
    const base = (sender.apiUrl ?? 'https://graph.facebook.com').replace(/\/+$/, '');
    this.url = `${base}/v21.0/${encodeURIComponent(sender.phoneNumberId)}/messages`;
  }

  async send(to: string, text: string): Promise<{ providerId: string }> {
    const body = {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: recipient(to).slice(1),
      type: 'text',
      text: { preview_url: false, body: text },
    };
    const a = await post(
      'WhatsApp',
      this.url,
      { authorization: `Bearer ${this.sender.token}`, 'content-type': 'application/json', accept: 'application/json' },
      JSON.stringify(body),
    );
    if (a.ok) {
      const sent = whatsappSent.safeParse(a.json);
      if (!sent.success) throw accepted('WhatsApp', a);
      return { providerId: sent.data.messages[0]!.id };
    }
    const failed = whatsappFailed.safeParse(a.json);
    const e = failed.success ? failed.data.error : null;
    const details = e?.error_data && e.error_data.details !== e.message ? ` (${e.error_data.details})` : '';
    throw refused('WhatsApp', a, e && `error ${e.code}: ${e.message}${details}`);
  }
}

/** Each channel is off until all of its settings are present. */
export function textProvidersFromConfig(config: Config): { sms: TextProvider | null; whatsapp: TextProvider | null } {
  const sms =
    config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN && config.TWILIO_FROM
      ? new TwilioSms({
          accountSid: config.TWILIO_ACCOUNT_SID,
          authToken: config.TWILIO_AUTH_TOKEN,
          from: config.TWILIO_FROM,
          apiUrl: config.TWILIO_API_URL,
        })
      : null;
  const whatsapp =
    config.WHATSAPP_TOKEN && config.WHATSAPP_PHONE_NUMBER_ID
      ? new WhatsAppCloud({ token: config.WHATSAPP_TOKEN, phoneNumberId: config.WHATSAPP_PHONE_NUMBER_ID, apiUrl: config.WHATSAPP_API_URL })
      : null;
  return { sms, whatsapp };
}

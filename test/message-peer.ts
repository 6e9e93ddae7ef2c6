import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';

type TextChannel = 'sms' | 'whatsapp';

/** One message as it reached the peer, whether the peer took it or refused it. */
export interface ReceivedMessage {
  channel: TextChannel;
  /** As sent: E.164 with '+' for Twilio, the digits alone for WhatsApp. Empty when the request left it out. */
  to: string;
  /** The Twilio `From`; WhatsApp sends from the phone number id in the path instead. */
  from?: string;
  body: string;
  /** Whether the request carried this peer's own credentials. */
  authOk: boolean;
  /** The HTTP status the peer answered with. */
  status: number;
  /** The message id handed back (`SM…` or `wamid.…`), null when refused. */
  id: string | null;
}

export interface MessagePeer {
  /** For TWILIO_API_URL and WHATSAPP_API_URL: plain HTTP on 127.0.0.1. */
  url: string;
  sms: { accountSid: string; authToken: string; from: string };
  whatsapp: { token: string; phoneNumberId: string };
  /** Every message received so far, oldest first. */
  received: ReceivedMessage[];
  /**
   * The first message matching `predicate` that no earlier `next` handed out: one already received, or the next
   * to arrive. Event-driven: it waits for the message, never polls.
   */
  next(predicate?: (m: ReceivedMessage) => boolean): Promise<ReceivedMessage>;
  /** Answer the next `n` requests on `channel` with `status` and `body` (a provider error body), whatever they hold. */
  failNext(channel: TextChannel, n: number, status: number, body: unknown): void;
  close(): Promise<void>;
}

type Reply = { status: number; body: unknown; headers?: Record<string, string> };

/**
 * A real HTTP server on a free local port that speaks the two provider APIs Brigade sends texts through: Twilio's
 * Programmable Messaging (form-encoded, Basic auth) and Meta's WhatsApp Cloud API (JSON, Bearer token). It checks
 * requests the way those APIs do and answers in their shapes, so the adapters are tested against the protocol,
 * not against a mock of themselves.
 */
export async function startMessagePeer(): Promise<MessagePeer> {
  const sms = { accountSid: `AC${hex(16)}`, authToken: hex(16), from: '+15005550006' };
  const whatsapp = { token: `EAAG${randomBytes(24).toString('base64url')}`, phoneNumberId: String(100_000_000_000_000 + randomBytes(4).readUInt32BE()) };
  const received: ReceivedMessage[] = [];
  const taken = new Set<ReceivedMessage>();
  const waiting: { predicate: (m: ReceivedMessage) => boolean; resolve: (m: ReceivedMessage) => void }[] = [];
  const failures: Record<TextChannel, { status: number; body: unknown }[]> = { sms: [], whatsapp: [] };

  const record = (m: ReceivedMessage) => {
    received.push(m);
    const i = waiting.findIndex((w) => w.predicate(m));
    if (i >= 0) {
      taken.add(m);
      waiting.splice(i, 1)[0]!.resolve(m);
    }
  };

  const twilio = (req: IncomingMessage, raw: string, accountSid: string): Reply => {
    // Twilio reads only a form body; anything else arrives as no parameters at all.
    const form = isType(req, 'application/x-www-form-urlencoded') ? new URLSearchParams(raw) : new URLSearchParams();
    const m: ReceivedMessage = {
      channel: 'sms',
      to: form.get('To') ?? '',
      from: form.get('From') ?? '',
      body: form.get('Body') ?? '',
      authOk: basicAuth(req) === `${sms.accountSid}:${sms.authToken}` && accountSid === sms.accountSid,
      status: 0,
      id: null,
    };
    const error = (status: number, code: number, message: string): Reply => ({
      status,
      body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
    });
    let reply: Reply;
    const failure = failures.sms.shift();
    if (failure) reply = failure;
    else if (!m.authOk) {
      reply = error(401, 20003, 'Authentication Error - invalid username');
      reply.headers = { 'www-authenticate': 'Basic realm="Twilio API"' };
    } else if (!m.to) reply = error(400, 21604, "A 'To' phone number is required.");
    else if (!m.from) reply = error(400, 21603, "A 'From' phone number is required.");
    else if (!m.body) reply = error(400, 21602, 'Message body is required.');
    else if (!/^\+[1-9]\d{1,14}$/.test(m.to)) reply = error(400, 21211, `The 'To' number ${m.to} is not a valid phone number.`);
    else if (m.from !== sms.from) {
      reply = error(400, 21606, `The From phone number ${m.from} is not a valid, SMS-capable inbound phone number or short code for your account.`);
    } else {
      m.id = `SM${hex(16)}`;
      reply = {
        status: 201,
        body: {
          sid: m.id,
          account_sid: sms.accountSid,
          to: m.to,
          from: m.from,
          body: m.body,
          status: 'queued',
          direction: 'outbound-api',
          api_version: '2010-04-01',
          num_segments: '1',
          date_created: new Date().toUTCString().replace('GMT', '+0000'),
          error_code: null,
          error_message: null,
          uri: `/2010-04-01/Accounts/${sms.accountSid}/Messages/${m.id}.json`,
        },
      };
    }
    m.status = reply.status;
    record(m);
    return reply;
  };

  const whatsappCloud = (req: IncomingMessage, raw: string, phoneNumberId: string): Reply => {
    let json: Record<string, unknown> = {};
    if (isType(req, 'application/json')) {
      try {
        const parsed: unknown = JSON.parse(raw);
        if (parsed && typeof parsed === 'object') json = parsed as Record<string, unknown>;
      } catch {
        // Left empty: Graph then reports the first required parameter as missing, as it does.
      }
    }
    const text = (json.text && typeof json.text === 'object' ? json.text : {}) as Record<string, unknown>;
    const m: ReceivedMessage = {
      channel: 'whatsapp',
      to: typeof json.to === 'string' ? json.to : '',
      body: typeof text.body === 'string' ? text.body : '',
      authOk: req.headers.authorization === `Bearer ${whatsapp.token}`,
      status: 0,
      id: null,
    };
    const error = (status: number, code: number, message: string, type = 'OAuthException'): Reply => ({
      status,
      body: { error: { message, type, code, fbtrace_id: randomBytes(17).toString('base64url') } },
    });
    let reply: Reply;
    const failure = failures.whatsapp.shift();
    if (failure) reply = failure;
    else if (!m.authOk) reply = error(401, 190, 'Invalid OAuth access token - Cannot parse access token');
    else if (phoneNumberId !== whatsapp.phoneNumberId) {
      reply = error(
        400,
        100,
        `Unsupported post request. Object with ID '${phoneNumberId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
        'GraphMethodException',
      );
    } else if (json.messaging_product !== 'whatsapp') reply = error(400, 100, '(#100) The parameter messaging_product is required.');
    else if (json.recipient_type !== undefined && json.recipient_type !== 'individual' && json.recipient_type !== 'group') {
      reply = error(400, 100, '(#100) Param recipient_type must be one of {INDIVIDUAL, GROUP}');
    } else if (!m.to) reply = error(400, 100, '(#100) The parameter to is required.');
    else if (json.type !== undefined && json.type !== 'text') reply = error(400, 100, `(#100) This peer only speaks text messages, got type ${String(json.type)}`);
    else if (!m.body) reply = error(400, 100, "(#100) The parameter text['body'] is required.");
    else if (text.preview_url !== undefined && typeof text.preview_url !== 'boolean') reply = error(400, 100, '(#100) Param text[\'preview_url\'] must be a boolean.');
    else {
      m.id = `wamid.${randomBytes(30).toString('base64').replace(/=+$/, '')}`;
      const waId = m.to.replace(/^\+/, '');
      reply = { status: 200, body: { messaging_product: 'whatsapp', contacts: [{ input: m.to, wa_id: waId }], messages: [{ id: m.id }] } };
    }
    m.status = reply.status;
    record(m);
    return reply;
  };

  const answer = (req: IncomingMessage, raw: string, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://peer').pathname;
    const twilioPath = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(path);
    const whatsappPath = /^\/v21\.0\/([^/]+)\/messages$/.exec(path);
    let reply: Reply;
    if (req.method === 'POST' && twilioPath) reply = twilio(req, raw, decodeURIComponent(twilioPath[1]!));
    else if (req.method === 'POST' && whatsappPath) reply = whatsappCloud(req, raw, decodeURIComponent(whatsappPath[1]!));
    else reply = { status: 404, body: { code: 20404, message: `The requested resource ${path} was not found`, status: 404 } };
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...reply.headers });
    res.end(JSON.stringify(reply.body));
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => answer(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    sms,
    whatsapp,
    received,
    next(predicate = () => true) {
      const ready = received.find((m) => !taken.has(m) && predicate(m));
      if (ready) {
        taken.add(ready);
        return Promise.resolve(ready);
      }
      return new Promise((resolve) => waiting.push({ predicate, resolve }));
    },
    failNext(channel, n, status, body) {
      for (let i = 0; i < n; i++) failures[channel].push({ status, body });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // fetch keeps connections alive; without this close waits for them to time out.
        server.closeAllConnections();
      }),
  };
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

function isType(req: IncomingMessage, type: string): boolean {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() === type;
}

/** `user:password` from a Basic Authorization header, or null. */
function basicAuth(req: IncomingMessage): string | null {
  const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return m ? Buffer.from(m[1]!, 'base64').toString('utf8') : null;
}

/** The environment that points Brigade's SMS and WhatsApp adapters at this peer. */
export function providerEnv(peer: MessagePeer): Record<string, string> {
  return {
    TWILIO_ACCOUNT_SID: peer.sms.accountSid,
    TWILIO_AUTH_TOKEN: peer.sms.authToken,
    TWILIO_FROM: peer.sms.from,
    TWILIO_API_URL: peer.url,
    WHATSAPP_TOKEN: peer.whatsapp.token,
    WHATSAPP_PHONE_NUMBER_ID: peer.whatsapp.phoneNumberId,
    WHATSAPP_API_URL: peer.url,
  };
}

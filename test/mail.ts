import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

/** One message as it reached the local SMTP server. */
export interface CaughtMail {
  /** Envelope sender and recipients (what the SMTP client said in MAIL FROM / RCPT TO). */
  from: string | null;
  to: string[];
  subject: string;
  /** The plain-text body, transfer encoding undone. */
  text: string;
  /** The whole message as received in DATA. */
  raw: string;
}

export interface MailCatcher {
  /** For SMTP_URL: plain SMTP on 127.0.0.1, no TLS, no authentication. */
  url: string;
  /** Every message received so far, oldest first. */
  messages: CaughtMail[];
  /**
   * The first message matching `predicate` that no earlier `next` handed out: one already received, or
   * the next to arrive. Event-driven: it waits for the message, never polls.
   */
  next(predicate?: (m: CaughtMail) => boolean): Promise<CaughtMail>;
  close(): Promise<void>;
}

/** A real SMTP server on a free local port that keeps what it receives, for tests that send mail. */
export async function startMailCatcher(): Promise<MailCatcher> {
  const messages: CaughtMail[] = [];
  const taken = new Set<CaughtMail>();
  const waiting: { predicate: (m: CaughtMail) => boolean; resolve: (m: CaughtMail) => void }[] = [];

  const deliver = (m: CaughtMail) => {
    messages.push(m);
    const i = waiting.findIndex((w) => w.predicate(m));
    if (i >= 0) {
      taken.add(m);
      waiting.splice(i, 1)[0]!.resolve(m);
    }
  };

  const server = new SMTPServer({
    // Plain SMTP, like a relay on localhost: nodemailer must not try STARTTLS with a certificate it cannot trust.
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const { subject, text } = parseMessage(raw);
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : null;
        deliver({ from, to: session.envelope.rcptTo.map((r) => r.address), subject, text, raw });
        // Answer 250 only once the message is recorded: the sender's sendMail resolves after this.
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}?ignoreTLS=true`,
    messages,
    next(predicate = () => true) {
      const ready = messages.find((m) => !taken.has(m) && predicate(m));
      if (ready) {
        taken.add(ready);
        return Promise.resolve(ready);
      }
      return new Promise((resolve) => waiting.push({ predicate, resolve }));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Headers and plain-text body of a single-part message, as nodemailer writes them for `text` mail. */
function parseMessage(raw: string): { subject: string; text: string } {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  // Folded header lines continue with whitespace.
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  let text = body;
  if (encoding === 'quoted-printable') text = decodeQuotedPrintable(body);
  else if (encoding === 'base64') text = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return { subject: decodeWords(headers.get('subject') ?? ''), text: text.replace(/\r\n/g, '\n').replace(/\n$/, '') };
}

function decodeQuotedPrintable(s: string): string {
  const bytes = s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** RFC 2047 encoded words (`=?UTF-8?Q?...?=`), which nodemailer uses for non-ASCII subjects. */
function decodeWords(s: string): string {
  return s
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QB])\?([^?]*)\?=/gi, (_, _charset: string, enc: string, data: string) =>
      enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQuotedPrintable(data.replace(/_/g, ' ')),
    );
}

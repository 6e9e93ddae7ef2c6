import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.ts';
import { providerEnv, startMessagePeer, type MessagePeer } from '../../test/message-peer.ts';
import { ProviderError, textProvidersFromConfig, TwilioSms, WhatsAppCloud, type TextProvider } from './messaging.ts';

let peer: MessagePeer;
beforeAll(async () => {
  peer = await startMessagePeer();
});
afterAll(() => peer.close());

const GUEST = '+4915112345678';
const READY = 'Ihr Tisch im Bistro ist bereit — bitte kommen Sie zum Empfang. 🍽';

const twilio = (over: Partial<MessagePeer['sms']> = {}) => new TwilioSms({ ...peer.sms, ...over, apiUrl: peer.url });
const cloud = (over: Partial<MessagePeer['whatsapp']> = {}) => new WhatsAppCloud({ ...peer.whatsapp, ...over, apiUrl: peer.url });

/** The ProviderError a send ends with; fails the test if the send went through or failed otherwise. */
async function refusal(sending: Promise<unknown>): Promise<ProviderError> {
  const outcome = await sending.then(
    () => new Error('the message was sent'),
    (e: unknown) => e,
  );
  expect(outcome).toBeInstanceOf(ProviderError);
  return outcome as ProviderError;
}

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('Twilio SMS', () => {
  it('sends the text from the account number with Basic auth, and returns the message sid', async () => {
    const { providerId } = await twilio().send(GUEST, READY);
    expect(providerId).toMatch(/^SM[0-9a-f]{32}$/);
    expect(await peer.next((m) => m.id === providerId)).toEqual({
      channel: 'sms',
      to: GUEST,
      from: peer.sms.from,
      body: READY,
      authOk: true,
      status: 201,
      id: providerId,
    });
  });

  it('a wrong auth token is refused for good (401, Twilio 20003)', async () => {
    const e = await refusal(twilio({ authToken: 'not-the-token' }).send(GUEST, READY));
    expect(e).toMatchObject({ status: 401, retryable: false });
    expect(e.message).toContain('error 20003: Authentication Error - invalid username');
    expect((await peer.next((m) => m.status === 401 && m.channel === 'sms')).authOk).toBe(false);
  });

  it("an invalid 'To' number is refused for good, with Twilio's own code and words", async () => {
    const words = "The 'To' number +15005550001 is not a valid phone number.";
    peer.failNext('sms', 1, 400, { code: 21211, message: words, more_info: 'https://www.twilio.com/docs/errors/21211', status: 400 });
    const e = await refusal(twilio().send('+15005550001', READY));
    expect(e).toMatchObject({ status: 400, retryable: false });
    expect(e.message).toContain(`error 21211: ${words}`);
  });
});

describe('WhatsApp Cloud', () => {
  it('sends a text message to the number without its +, with the Bearer token, and returns the wamid', async () => {
    const { providerId } = await cloud().send(GUEST, READY);
    expect(providerId).toMatch(/^wamid\.[A-Za-z0-9+/]+$/);
    expect(await peer.next((m) => m.id === providerId)).toEqual({
      channel: 'whatsapp',
      to: '4915112345678',
      body: READY,
      authOk: true,
      status: 200,
      id: providerId,
    });
  });

  it('a wrong token is refused for good (401, Graph error 190)', async () => {
    const e = await refusal(cloud({ token: 'EAAGexpired' }).send(GUEST, READY));
    expect(e).toMatchObject({ status: 401, retryable: false });
    expect(e.message).toContain('error 190: Invalid OAuth access token');
  });

  it("a number WhatsApp will not reach is refused for good, with Meta's code and details", async () => {
    peer.failNext('whatsapp', 1, 400, {
      error: {
        message: '(#131030) Recipient phone number not in allowed list',
        type: 'OAuthException',
        code: 131030,
        error_data: { messaging_product: 'whatsapp', details: 'Recipient phone number not in allowed list: Add recipient phone number to recipient list and try again.' },
        fbtrace_id: 'AbCdEfGhIjKlMnOp',
      },
    });
    const e = await refusal(cloud().send(GUEST, READY));
    expect(e).toMatchObject({ status: 400, retryable: false });
    expect(e.message).toContain('error 131030: (#131030) Recipient phone number not in allowed list (Recipient phone number not in allowed list: Add');
  });
});

describe('what is worth retrying', () => {
  const busy = {
    sms: (status: number) => ({ code: status === 429 ? 20429 : 20500, message: status === 429 ? 'Too Many Requests' : 'Service Unavailable', status }),
    whatsapp: (status: number) => ({
      error: { message: status === 429 ? '(#130429) Rate limit hit' : 'Service temporarily unavailable', type: 'OAuthException', code: status === 429 ? 130429 : 2, fbtrace_id: 'Xy' },
    }),
  };
  const providers: Record<'sms' | 'whatsapp', () => TextProvider> = { sms: () => twilio(), whatsapp: () => cloud() };

  it.each([
    ['sms', 503],
    ['sms', 429],
    ['whatsapp', 503],
    ['whatsapp', 429],
  ] as const)('%s answering %i is retryable, and the retry goes through', async (channel, status) => {
    peer.failNext(channel, 1, status, busy[channel](status));
    const e = await refusal(providers[channel]().send(GUEST, READY));
    expect(e).toMatchObject({ status, retryable: true });
    expect(e.message).toContain(`HTTP ${status}`);
    const { providerId } = await providers[channel]().send(GUEST, READY);
    expect((await peer.next((m) => m.id === providerId)).status).toBeLessThan(300);
  });

  it('a provider that cannot be reached is retryable', async () => {
    const port = await closedPort();
    for (const provider of [
      new TwilioSms({ ...peer.sms, apiUrl: `http://127.0.0.1:${port}` }),
      new WhatsAppCloud({ ...peer.whatsapp, apiUrl: `http://127.0.0.1:${port}` }),
    ]) {
      const e = await refusal(provider.send(GUEST, READY));
      expect(e).toMatchObject({ status: null, retryable: true });
      expect(e.message).toContain('ECONNREFUSED');
    }
  });

  it('a number that is not E.164 is refused before anything is sent, for good', async () => {
    const before = peer.received.length;
    for (const provider of [twilio(), cloud()]) {
      for (const bad of ['0151 12345678', '4915112345678', '+0151123', '']) {
        expect(await refusal(provider.send(bad, READY))).toMatchObject({ status: null, retryable: false });
      }
    }
    expect(peer.received.length).toBe(before);
  });
});

describe('textProvidersFromConfig', () => {
  const env = (vars: Record<string, string>) => loadConfig({ LOG_LEVEL: 'silent', ...vars } as NodeJS.ProcessEnv);

  it('leaves both channels off without their settings, or with only some of them', () => {
    expect(textProvidersFromConfig(env({}))).toEqual({ sms: null, whatsapp: null });
    const partial = env({ TWILIO_ACCOUNT_SID: peer.sms.accountSid, TWILIO_AUTH_TOKEN: peer.sms.authToken, WHATSAPP_TOKEN: peer.whatsapp.token });
    expect(textProvidersFromConfig(partial)).toEqual({ sms: null, whatsapp: null });
  });

  it('defaults to the real provider APIs', () => {
    const c = env({});
    expect([c.TWILIO_API_URL, c.WHATSAPP_API_URL]).toEqual(['https://api.twilio.com', 'https://graph.facebook.com']);
  });

  it('turns each channel on once configured, sending through the configured API', async () => {
    const { sms, whatsapp } = textProvidersFromConfig(
      // A trailing slash on the API address must not double the path's slash.
      env({ ...providerEnv(peer), WHATSAPP_API_URL: `${peer.url}/` }),
    );
    expect([sms?.channel, whatsapp?.channel]).toEqual(['sms', 'whatsapp']);
    const texted = await sms!.send(GUEST, READY);
    const messaged = await whatsapp!.send(GUEST, READY);
    expect(await peer.next((m) => m.id === texted.providerId)).toMatchObject({ channel: 'sms', authOk: true, to: GUEST });
    expect(await peer.next((m) => m.id === messaged.providerId)).toMatchObject({ channel: 'whatsapp', authOk: true, to: '4915112345678' });
  });
});

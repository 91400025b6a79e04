/**
 * The portal's defences over real HTTP: the Host allow-list (DNS rebinding), the outbox behind a public address, the
 * limit on wrong credentials, revocable and idle-expiring headquarters sessions, canonical token encodings and HSTS.
 */
import http from 'node:http';
import { afterAll, describe, expect, test } from 'vitest';
import { createPortal, type CaughtMail, type PortalOptions, type PortalServer } from '../../client/portal/server.js';
import { HQ_CREDENTIAL, token, usePortal } from './harness.js';

const planId = `portal-security-${process.pid}-${Date.now()}`;
const h = usePortal('security', [{ id: planId }]);

const basic = (password: string) => `Basic ${Buffer.from(`hq:${password}`).toString('base64')}`;
const HQ = { authorization: basic(HQ_CREDENTIAL) };
const FORM = 'application/x-www-form-urlencoded';
const PUBLIC = 'https://review.example.org';
const mails: CaughtMail[] = [{ messageId: '<1@x>', at: '2026-01-01T00:00:00.000Z', kind: 'request', to: ['a@example.org'], cc: [], subject: 'Request', links: ['https://review.example.org/r/abc'], text: '', html: '' }];

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  cookies: string[];
}

/** One request with exactly these headers (Host included: fetch would not let a test choose it). */
function send(base: string, path: string, o: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const url = new URL(base);
  return new Promise((ok, fail) => {
    const req = http.request({ host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, path, method: o.method ?? 'GET', headers: { host: url.host, ...o.headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), cookies: res.headers['set-cookie'] ?? [] }));
    });
    req.on('error', fail);
    req.end(o.body);
  });
}

const started: PortalServer[] = [];
afterAll(async () => {
  await Promise.all(started.map((p) => p.close()));
});

/** Another portal over the harness's engine and database, with these options; resolves to it and its base URL. */
async function portalWith(options: Partial<PortalOptions>, host = '127.0.0.1'): Promise<{ base: string; portal: PortalServer }> {
  const portal = createPortal({ client: h.client, db: h.db, keyring: h.ring, hqCredential: HQ_CREDENTIAL, log: () => {}, ...options });
  started.push(portal);
  const base = await portal.listen(0, host);
  return { base: host === '0.0.0.0' ? base.replace('localhost', '127.0.0.1') : base, portal };
}

/** Signs in through the form; returns the session cookie (`rc_hq=...`). */
async function signIn(base: string, headers: Record<string, string> = {}): Promise<string> {
  const form = await send(base, '/hq/login', { headers });
  const loginCookie = form.cookies[0].split(';')[0];
  const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)![1];
  const res = await postLogin(base, loginCookie, csrf, HQ_CREDENTIAL, headers);
  expect(res.status).toBe(303);
  return res.cookies.find((c) => c.startsWith('rc_hq='))!.split(';')[0];
}

function postLogin(base: string, loginCookie: string, csrf: string, credential: string, headers: Record<string, string> = {}): Promise<Answer> {
  const body = new URLSearchParams({ csrf, credential }).toString();
  return send(base, '/hq/login', { method: 'POST', body, headers: { 'content-type': FORM, origin: base, cookie: loginCookie, ...headers } });
}

async function loginForm(base: string): Promise<{ cookie: string; csrf: string }> {
  const form = await send(base, '/hq/login');
  return { cookie: form.cookies[0].split(';')[0], csrf: /name="csrf" value="([^"]+)"/.exec(form.text)![1] };
}

describe('the Host header', () => {
  test('a Host that is neither the public address nor the bound one gets 421 on every route, before anything else', async () => {
    const { base } = await portalWith({ mailStore: { list: async () => mails } });
    const port = new URL(base).port;
    const evil = { host: `evil.example:${port}` };
    for (const [path, method, headers] of [
      ['/api/outbox', 'GET', {}],
      ['/outbox', 'GET', {}],
      ['/', 'GET', {}],
      ['/hq', 'GET', HQ],
      ['/api/hq/plans', 'GET', HQ],
      ['/no-such-page', 'GET', {}],
      ['/r/continue', 'POST', { 'content-type': FORM, origin: `http://evil.example:${port}` }],
    ] as const) {
      const res = await send(base, path, { method, headers: { ...headers, ...evil }, body: method === 'POST' ? 'token=x' : undefined });
      expect(res.status, `${method} ${path}`).toBe(421);
      const said = path.startsWith('/api/') ? (JSON.parse(res.text) as { error: string }).error : res.text;
      expect(said, path).toContain(`This portal does not answer for the host "evil.example:${port}"`);
      expect(res.text, path).not.toContain('Request');
      expect(res.cookies, path).toEqual([]);
    }
    // A wrong port, a bare name and the public address of another portal are as foreign.
    for (const host of [`127.0.0.1:${Number(port) + 1}`, 'localhost', 'review.example.org']) {
      expect((await send(base, '/', { headers: { host } })).status, host).toBe(421);
    }
    // The names of the loopback address the portal listens on are answered, with the port.
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
      expect((await send(base, '/', { headers: { host } })).status, host).toBe(200);
    }
    expect((await send(base, '/api/outbox', { headers: { host: `localhost:${port}` } })).status).toBe(200);
  });

  test("the public address's host is answered, with or without its default port", async () => {
    const { base } = await portalWith({ publicUrl: PUBLIC });
    for (const host of ['review.example.org', 'review.example.org:443', 'Review.Example.Org']) expect((await send(base, '/', { headers: { host } })).status, host).toBe(200);
    expect((await send(base, '/', { headers: { host: 'review.example.org:8443' } })).status).toBe(421);
    expect((await send(base, '/', { headers: { host: 'evil.example' } })).status).toBe(421);
    // The JSON API says it as JSON.
    const api = await send(base, '/api/hq/plans', { headers: { host: 'evil.example', ...HQ } });
    expect(api.status).toBe(421);
    expect(JSON.parse(api.text)).toEqual({ error: 'This portal does not answer for the host "evil.example"; use its public address.' });
  });
});

describe('the outbox', () => {
  test('behind an https public address it needs the credential', async () => {
    const { base } = await portalWith({ publicUrl: PUBLIC, mailStore: { list: async () => mails } });
    const host = { host: 'review.example.org' };
    for (const path of ['/outbox', '/api/outbox']) {
      const res = await send(base, path, { headers: host });
      expect(res.status, path).toBe(401);
      expect(res.text, path).not.toContain('/r/abc');
    }
    const json = await send(base, '/api/outbox', { headers: { ...host, ...HQ } });
    expect(json.status).toBe(200);
    expect(JSON.parse(json.text)[0].links).toEqual(['https://review.example.org/r/abc']);
    expect((await send(base, '/outbox', { headers: { ...host, ...HQ } })).status).toBe(200);
  });

  test('on every address (0.0.0.0) it needs the credential too; on loopback with a loopback public address it is open', async () => {
    const wide = await portalWith({ mailStore: { list: async () => mails } }, '0.0.0.0');
    expect((await send(wide.base, '/api/outbox')).status).toBe(401);
    expect((await send(wide.base, '/api/outbox', { headers: HQ })).status).toBe(200);
    const local = await portalWith({ publicUrl: 'http://localhost:8080', mailStore: { list: async () => mails } });
    expect((await send(local.base, '/api/outbox')).status).toBe(200);
  });
});

describe('wrong credentials', () => {
  test('20 wrong Basic attempts a minute are answered; then 429 with Retry-After, even for the right one, until the window passes', async () => {
    let now = Date.now();
    const { base } = await portalWith({ now: () => now });
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => send(base, '/api/hq/plans', { headers: { authorization: basic(`guess-${i}`) } })));
    expect(answers.filter((a) => a.status === 401)).toHaveLength(20);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused).toHaveLength(10);
    expect(Number(refused[0].headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused[0].headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(JSON.parse(refused[0].text).error).toMatch(/too many wrong credentials from this address; try again in \d+ seconds/);

    const right = await send(base, '/api/hq/plans', { headers: HQ });
    expect(right.status).toBe(429);
    const { cookie, csrf } = await loginForm(base);
    const form = await postLogin(base, cookie, csrf, HQ_CREDENTIAL);
    expect(form.status).toBe(429);
    expect(form.headers['retry-after']).toMatch(/^\d+$/);
    expect(form.cookies.some((c) => c.startsWith('rc_hq='))).toBe(false);

    now += 61_000;
    expect((await send(base, '/api/hq/plans', { headers: HQ })).status).toBe(200);
  });

  test('the sign-in form counts too, and blocks Basic auth from the same address', async () => {
    const { base } = await portalWith({});
    const { cookie, csrf } = await loginForm(base);
    for (let i = 0; i < 20; i++) expect((await postLogin(base, cookie, csrf, `guess-${i}`)).status).toBe(401);
    const blocked = await postLogin(base, cookie, csrf, 'guess-20');
    expect(blocked.status).toBe(429);
    expect(blocked.text).toContain('too many wrong credentials from this address');
    expect((await send(base, '/hq', { headers: HQ })).status).toBe(429);
  });
});

describe('headquarters sessions', () => {
  test('sign-out ends the session: the same cookie is refused afterwards', async () => {
    const { base } = await portalWith({});
    const cookie = await signIn(base);
    const page = await send(base, '/hq', { headers: { cookie } });
    expect(page.status).toBe(200);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1];
    const out = await send(base, '/hq/logout', { method: 'POST', body: `csrf=${encodeURIComponent(csrf)}`, headers: { 'content-type': FORM, origin: base, cookie } });
    expect(out.status).toBe(303);
    expect((await send(base, '/hq', { headers: { cookie } })).status).toBe(401);
    expect((await send(base, '/api/hq/plans', { headers: { cookie } })).status).toBe(401);
    // Another session of the same credential lives on.
    expect((await send(base, '/hq', { headers: { cookie: await signIn(base) } })).status).toBe(200);
  });

  test('a session idle for more than 30 minutes is refused; one in use lasts until its absolute expiry', async () => {
    let now = Date.now();
    const { base } = await portalWith({ now: () => now });
    const idle = await signIn(base);
    const busy = await signIn(base);
    for (const minutes of [20, 20, 15]) {
      now += minutes * 60_000;
      expect((await send(base, '/hq', { headers: { cookie: busy } })).status, `after ${minutes} more minutes`).toBe(200);
    }
    expect((await send(base, '/hq', { headers: { cookie: idle } })).status).toBe(401); // idle for 55 minutes
    now += 6 * 60_000; // 61 minutes after sign-in: past the 60-minute session even though used 6 minutes ago
    expect((await send(base, '/hq', { headers: { cookie: busy } })).status).toBe(401);

    const fresh = await signIn(base);
    now += 29 * 60_000;
    expect((await send(base, '/hq', { headers: { cookie: fresh } })).status).toBe(200);
    now += 31 * 60_000;
    expect((await send(base, '/hq', { headers: { cookie: fresh } })).status).toBe(401);
  });

  test('sessions are kept in the database: a restarted portal knows them', async () => {
    const first = await portalWith({});
    const cookie = await signIn(first.base);
    await first.portal.close();
    const second = await portalWith({});
    expect((await send(second.base, '/hq', { headers: { cookie } })).status).toBe(200);
  });
});

describe('token encoding', () => {
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

  test("a link whose signature's last character is changed to a non-canonical sibling is refused", async () => {
    const link = token(h.ring, { p: 'report-link', plan: planId, task: 't1', unit: 'alpha', period: h.current });
    const last = link.at(-1)!;
    // The signature's 32 bytes leave the last character's two low bits unused: its siblings decode to the same bytes.
    const sibling = `${link.slice(0, -1)}${ALPHABET[ALPHABET.indexOf(last) ^ 1]}`;
    expect(Buffer.from(sibling.split('.')[2], 'base64url')).toEqual(Buffer.from(link.split('.')[2], 'base64url'));
    expect((await send(h.base, `/r/${link}`)).status).toBe(200);
    const res = await send(h.base, `/r/${sibling}`);
    expect(res.status).toBe(403);
    expect(res.text).toContain('This link is not valid');
    const cont = await send(h.base, '/r/continue', { method: 'POST', body: `token=${sibling}`, headers: { 'content-type': FORM, origin: h.base } });
    expect(cont.status).toBe(403);
    expect(cont.cookies).toEqual([]);
  });
});

describe('HSTS', () => {
  test('with an https public address every response carries it; without, none does', async () => {
    const { base } = await portalWith({ publicUrl: PUBLIC });
    for (const [path, host] of [['/', 'review.example.org'], ['/no-such-page', 'review.example.org'], ['/hq', 'review.example.org'], ['/', 'evil.example']]) {
      const res = await send(base, path, { headers: { host } });
      expect(res.headers['strict-transport-security'], `${path} ${host} (${res.status})`).toBe('max-age=31536000');
    }
    for (const path of ['/', '/no-such-page', '/hq']) expect((await send(h.base, path)).headers['strict-transport-security'], path).toBeUndefined();
  });
});

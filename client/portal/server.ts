/**
 * The portal: one node:http server for units (report form from a signed link), headquarters (dashboard and JSON API)
 * and leaders (read-only view), plus the local outbox when a mail catcher is given. Everything goes through the
 * client API in `client/plans.ts`: every page reads the system of record (so it answers while no worker runs), and
 * only reports and decisions go to the engine.
 */
import type { Client } from '@temporalio/client';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import type { Keyring } from '../../security/keyring.js';
import { en } from './catalogue/en.js';
import type { Ctx, Portal } from './context.js';
import { HqAuth } from './hq-auth.js';
import { html } from './html.js';
import { HttpError, sendHtml, sendJson, sendText, setSecurityHeaders } from './http.js';
import { page } from './layout.js';
import type { MailStore } from './mail-store.js';
import { asHttpError, sayRefusal } from './plan-data.js';
import { findRoute, pathSegments, type Route } from './router.js';
import { apiRoutes } from './routes/api.js';
import { hqRoutes } from './routes/hq.js';
import { leaderRoutes } from './routes/leader.js';
import { outboxRoutes } from './routes/outbox.js';
import { unitRoutes } from './routes/unit.js';
import { unitPageRoutes } from './routes/unit-page.js';
import { calendarRoutes } from './routes/calendar.js';
import { findingRoutes } from './routes/findings.js';
import { amendRoutes } from './routes/amend.js';
import { allowedHosts, isLoopback } from './same-origin.js';
import { portalSecret } from './sessions.js';
import { errorPage } from './views/error.js';

/** The mail catcher's interface, as `npm start` gives it. */
export type { CaughtMail, MailStore } from './mail-store.js';

/** What a portal is built from. */
export interface PortalOptions {
  /** Reports and decisions go to the workflows over it. */
  client: Client;
  /** The system of record every page reads (the database the worker's activities write to). */
  db: pg.Pool;
  /** Verifies link tokens and signs session cookies. */
  keyring: Keyring;
  /** Headquarters' password (HTTP Basic with any user name, or the sign-in form). */
  hqCredential: string;
  /** The address users reach the portal at; https makes cookies Secure and adds HSTS. Its host is answered for. */
  publicUrl?: string;
  /**
   * The local mail catcher; its outbox is served only when given, and without credential only while the portal
   * listens on loopback and the public address is loopback too (otherwise it needs headquarters' credential).
   */
  mailStore?: MailStore;
  /** How long a unit's or leader's session (and headquarters' sign-in) lasts; default 60. */
  sessionMinutes?: number;
  /** The largest request body accepted; default 64 KiB. */
  maxBodyBytes?: number;
  /** Where request lines go (never with a token, query string, body or cookie); default stderr. */
  log?: (line: string) => void;
  /** The clock of headquarters' sessions and sign-in attempts; default Date.now (tests move it). */
  now?: () => number;
}

/** A running portal. */
export interface PortalServer {
  server: http.Server;
  /** Listens on `port` (0 for any free one) and `host` (default 127.0.0.1); resolves to the base URL. */
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

async function home(ctx: Ctx): Promise<void> {
  const c = ctx.c;
  const outbox = ctx.portal.mailStore ? html` · <a href="/outbox">${c.home.outbox}</a>` : '';
  sendHtml(ctx.res, 200, page(c, c.portal, html`<p>${c.home.lead} <a href="/hq">${c.home.hq}</a>${outbox}</p>`));
}

const ROUTES: Route<Ctx>[] = [{ method: 'GET', pattern: '/', handle: home }, ...unitRoutes, ...unitPageRoutes, ...leaderRoutes, ...hqRoutes, ...apiRoutes, ...outboxRoutes, ...calendarRoutes, ...findingRoutes, ...amendRoutes];

/** The path as it may be logged: a link's token is replaced, and the query string is never included. */
export function loggablePath(rawUrl: string | undefined): string {
  const path = (rawUrl ?? '').split('?')[0].slice(0, 300);
  const segments = path.split('/');
  if ((segments[1] === 'r' || segments[1] === 'l' || segments[1] === 'u' || segments[1] === 'cal' || segments[1] === 'f' || segments[1] === 'v') && segments.length > 2 && segments[2] !== 'continue') return `/${segments[1]}/[token]`;
  return /^[\x21-\x7e]*$/.test(path) ? path : '[unprintable]';
}

/** gRPC UNAVAILABLE and DEADLINE_EXCEEDED (Temporal), and the socket and PostgreSQL codes of a server that cannot be reached. */
const UNREACHABLE = new Set<unknown>([14, 4, 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);

/** Temporal or the database cannot be reached right now: a 503, not a 500. Read from error codes only. */
function unavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (UNREACHABLE.has(e.code)) return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => unavailable(x, depth + 1))) return true;
  return unavailable(e.cause, depth + 1);
}

/** The 421 of a Host the portal does not answer for, said in one sentence and before anything else is looked at. */
function misdirected(res: http.ServerResponse, host: string, api: boolean): void {
  const text = `This portal does not answer for the host ${JSON.stringify(host.slice(0, 100))}; use its public address.`;
  res.setHeader('Connection', 'close');
  if (api) sendJson(res, 421, { error: text });
  else sendText(res, 421, `${text}\n`);
}

function answer(ctx: Ctx, err: HttpError): void {
  const headers = { ...err.headers };
  if (ctx.api) {
    // The engine-down sentence says it all (that it is not running, and that sending again is safe).
    const text = err.kind === 'engineDown' && err.detail ? err.detail : `${en.errors[err.kind]}${err.detail ? `: ${err.detail}` : ''}`;
    const refusals = err.refusals.length ? { refusals: err.refusals } : {};
    sendJson(ctx.res, err.status, err.field ? { error: text, field: err.field, ...refusals } : { error: text, ...refusals }, headers);
    return;
  }
  const signIn = err.kind === 'unauthorized' ? html`<p><a href="/hq/login">${ctx.c.hq.login}</a></p>` : undefined;
  sendHtml(ctx.res, err.status, errorPage(ctx.c, err, signIn), headers);
}

/** Builds the portal over a Temporal client; it listens only when asked to. */
export function createPortal(o: PortalOptions): PortalServer {
  if (!o.hqCredential) throw new Error('createPortal: hqCredential must not be empty');
  const sessionMinutes = o.sessionMinutes ?? 60;
  const secret = portalSecret(o.keyring);
  const portal: Portal = {
    client: o.client,
    db: o.db,
    engine: { client: o.client, db: o.db },
    ring: o.keyring,
    secret,
    hq: new HqAuth(o.hqCredential, secret, sessionMinutes, { db: o.db, now: o.now }),
    publicUrl: o.publicUrl,
    mailStore: o.mailStore,
    sessionMinutes,
    maxBodyBytes: o.maxBodyBytes ?? 64 * 1024,
    secureCookies: /^https:/i.test(o.publicUrl ?? ''),
    openOutbox: false,
    log: o.log ?? ((line) => process.stderr.write(`${line}\n`)),
  };

  // Filled in once the server listens: until then no Host is answered for.
  let hosts = new Set<string>();
  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = Date.now();
    setSecurityHeaders(res, portal.secureCookies);
    res.on('finish', () => portal.log(`portal ${req.method} ${loggablePath(req.url)} ${res.statusCode} ${Date.now() - started}ms`));
    const raw = req.url ?? '';
    // Against DNS rebinding: a page of another domain that resolves here names its own host, and gets nothing.
    const host = (req.headers.host ?? '').toLowerCase();
    if (!hosts.has(host)) return misdirected(res, host, raw.startsWith('/api/'));
    const ctx: Ctx = { req, res, url: new URL('http://portal.invalid/'), portal, c: en, zone: 'UTC', api: raw.startsWith('/api/') };
    try {
      if (!raw.startsWith('/')) throw new HttpError(400, 'badRequest', 'the address must be a path');
      try {
        ctx.url = new URL(`http://portal.invalid${raw}`);
      } catch {
        throw new HttpError(400, 'badRequest', 'the address cannot be read');
      }
      const found = findRoute(ROUTES, req.method ?? '', pathSegments(ctx.url.pathname));
      if (!found) throw new HttpError(404, 'notFound', ctx.api ? `no such resource: ${ctx.url.pathname.slice(0, 200)}` : undefined);
      if ('allow' in found) throw new HttpError(405, 'methodNotAllowed', `allowed: ${found.allow.join(', ')}`, undefined, { Allow: found.allow.join(', ') });
      await found.route.handle(ctx, found.params);
    } catch (caught) {
      const err = asHttpError(caught, (r) => sayRefusal(ctx, r));
      if (err instanceof HttpError) return answer(ctx, err);
      if (unavailable(err)) return answer(ctx, new HttpError(503, 'unavailable'));
      portal.log(`portal ${req.method} ${loggablePath(req.url)}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`.slice(0, 2000));
      answer(ctx, new HttpError(500, 'internal'));
    }
  }

  const server = http.createServer({ requestTimeout: 30_000, headersTimeout: 20_000 }, (req, res) => {
    handle(req, res).catch(() => {
      // answer() itself failed (the client went away): nothing is left to tell anyone.
      if (!res.headersSent) res.destroy();
    });
  });
  server.on('listening', () => {
    const bound = server.address() as AddressInfo;
    hosts = allowedHosts(bound, o.publicUrl);
    portal.openOutbox = isLoopback(bound.address) && (!o.publicUrl || isLoopback(new URL(o.publicUrl).hostname));
  });
  // A request node cannot parse (bad request line, oversized headers) gets a plain 400 instead of a crash.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  return {
    server,
    listen(port, host = '127.0.0.1') {
      return new Promise((ok, fail) => {
        server.once('error', fail);
        server.listen(port, host, () => {
          server.off('error', fail);
          const a = server.address() as AddressInfo;
          const shown = a.address === '0.0.0.0' || a.address === '::' ? 'localhost' : a.family === 'IPv6' ? `[${a.address}]` : a.address;
          ok(`http://${shown}:${a.port}`);
        });
      });
    },
    close() {
      return new Promise((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      });
    },
  };
}

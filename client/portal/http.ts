/** Plain node:http plumbing: security headers, responses, bounded bodies, strict form and cookie parsing. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Refusal } from '../../workflows/contract/refusals.js';
import type { Catalogue } from './catalogue/en.js';
import type { Html } from './html.js';

/** Nothing loads but the page's own inline style sheet and images; forms post only to the portal. */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The error kinds a handler can end a request with; each page says it in the plan's language. */
export type ErrorKind = Exclude<keyof Catalogue['errors'], `${string}Help`>;

/** Ends a request with a status, a page in the request's language, and for the JSON API a `field` when one is to blame. */
export class HttpError extends Error {
  /** The typed refusals behind it, when the engine (or the client API) refused. */
  refusals: Refusal[] = [];
  constructor(
    readonly status: number,
    readonly kind: ErrorKind,
    /** Said after the catalogue's text; never contains a secret. */
    readonly detail?: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? kind);
  }
}

/** HSTS for a portal served over https: a year, so a browser never tries plain http first. */
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000';

/** Sets the headers every response carries (HSTS too when the portal is served over https). */
export function setSecurityHeaders(res: ServerResponse, https = false): void {
  if (https) res.setHeader('Strict-Transport-Security', STRICT_TRANSPORT_SECURITY);
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  // Link tokens live in the landing URLs: no page ever tells another site where it came from.
  res.setHeader('Referrer-Policy', 'no-referrer');
  // Every page shows one unit's or headquarters' data: nothing may be kept by a browser or proxy.
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

/** Sends a page. */
export function sendHtml(res: ServerResponse, status: number, body: Html, headers: Record<string, string | string[]> = {}): void {
  send(res, status, 'text/html; charset=utf-8', body.text, headers);
}

/** Sends a JSON document. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(body, null, 2)}\n`, headers);
}

/** Sends a plain-text sentence. */
export function sendText(res: ServerResponse, status: number, body: string, headers: Record<string, string | string[]> = {}): void {
  send(res, status, 'text/plain; charset=utf-8', body, headers);
}

/** A 303 to a path of the portal (so a reload never repeats the POST). */
export function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}): void {
  send(res, 303, 'text/plain; charset=utf-8', '', { ...headers, Location: location });
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string | string[]>): void {
  if (res.headersSent) return;
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/** The media type of the request, lower-case, without parameters. */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/** Requires the given media type (415 otherwise). */
export function requireMediaType(req: IncomingMessage, type: string): void {
  if (mediaType(req) !== type) throw new HttpError(415, 'unsupportedType', `expected ${type}`);
}

/** Reads the whole body, refusing more than `max` bytes with a 413 before buffering them. */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    return Promise.reject(new HttpError(413, 'tooLarge', `at most ${max} bytes`, undefined, { Connection: 'close' }));
  }
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max) {
        done = true;
        chunks.length = 0;
        // The rest is read and dropped by node once the 413 has been sent; the connection is closed after it.
        fail(new HttpError(413, 'tooLarge', `at most ${max} bytes`, undefined, { Connection: 'close' }));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) ok(Buffer.concat(chunks));
      done = true;
    });
    req.on('error', (err) => {
      if (!done) fail(err);
      done = true;
    });
  });
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8, refusing malformed bytes (400) instead of replacing them. */
export function utf8(body: Buffer): string {
  try {
    return decoder.decode(body);
  } catch {
    throw new HttpError(400, 'badRequest', 'the body is not valid UTF-8');
  }
}

/**
 * Parses `application/x-www-form-urlencoded` strictly: malformed percent-encoding or a field given twice is a 400,
 * where URLSearchParams would guess.
 */
export function parseForm(body: Buffer): Map<string, string> {
  const text = utf8(body);
  const fields = new Map<string, string>();
  if (!text) return fields;
  for (const pair of text.split('&')) {
    if (!pair) continue;
    const at = pair.indexOf('=');
    const name = decodeComponent(at < 0 ? pair : pair.slice(0, at));
    const value = at < 0 ? '' : decodeComponent(pair.slice(at + 1));
    if (fields.has(name)) throw new HttpError(400, 'badRequest', `the field "${name.slice(0, 40)}" is given twice`, name.slice(0, 40));
    fields.set(name, value);
  }
  return fields;
}

function decodeComponent(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw new HttpError(400, 'badRequest', 'malformed percent-encoding');
  }
}

/** Parses a JSON body that must be an object (400 otherwise). */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  const text = utf8(body).trim();
  if (!text) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'badRequest', 'the body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, 'badRequest', 'the body must be a JSON object');
  return value as Record<string, unknown>;
}

/** The request's cookies; malformed ones are skipped, never thrown on. */
export function parseCookies(req: IncomingMessage): Map<string, string> {
  const jar = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const name = part.slice(0, at).trim();
    // Our own cookie values are base64url and dots; anything else is not ours and is ignored.
    const value = part.slice(at + 1).trim();
    if (/^[A-Za-z0-9._-]{1,4096}$/.test(value) && !jar.has(name)) jar.set(name, value);
  }
  return jar;
}

/** How long a cookie lives, whether it needs https, and its path. */
export interface CookieOptions {
  maxAgeSeconds: number;
  secure: boolean;
  path?: string;
}

/** A `Set-Cookie` value: always HttpOnly and SameSite=Strict, Secure when the portal is served over https. */
export function setCookie(name: string, value: string, o: CookieOptions): string {
  return [`${name}=${value}`, `Max-Age=${Math.max(0, Math.floor(o.maxAgeSeconds))}`, `Path=${o.path ?? '/'}`, 'HttpOnly', 'SameSite=Strict', ...(o.secure ? ['Secure'] : [])].join('; ');
}

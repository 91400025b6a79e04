/**
 * Headquarters' credential: HTTP Basic with any user name and the credential as password, or the `rc_hq` cookie that
 * POST /hq/login issues. A cookie is a MAC bound to the credential (so changing it ends them all) over a random id
 * that the database keeps while the session lives: signing out deletes it, and one idle for HQ_IDLE_MINUTES lapses.
 * Failed credentials are counted per client address, and an address past the limit is refused with a 429.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type pg from 'pg';
import { addressKey, AttemptLimiter } from '../../security/attempts.js';
import { closeHqSession, openHqSession, useHqSession } from '../../store/sessions.js';
import { HttpError, parseCookies } from './http.js';
import { csrfToken, sameSecret } from './sessions.js';

/** Headquarters' session cookie, set by POST /hq/login. */
export const HQ_COOKIE = 'rc_hq';
/** The double-submit cookie of the sign-in form (there is no session yet to bind a token to). */
export const LOGIN_CSRF_COOKIE = 'rc_hq_login';
/** A headquarters session unused for this long is refused (its absolute expiry is the portal's session length). */
export const HQ_IDLE_MINUTES = 30;

/** How headquarters proved itself on this request: the tag CSRF tokens are bound to. */
export type HqProof = { via: 'basic' | 'cookie'; tag: string };

/** What the server-side half of the sessions needs: the database, and the clock (injectable for tests). */
export interface HqAuthOptions {
  db?: pg.Pool;
  now?: () => number;
  idleMinutes?: number;
}

/** Checks headquarters' credential and makes its sessions. */
export class HqAuth {
  private readonly credentialHash: string;
  private readonly now: () => number;
  private readonly idleMinutes: number;
  /** Failed credentials (Basic and the sign-in form) per client address. */
  readonly attempts: AttemptLimiter;

  constructor(
    private readonly credential: string,
    private readonly secret: Buffer,
    private readonly sessionMinutes: number,
    private readonly o: HqAuthOptions = {},
  ) {
    this.credentialHash = createHash('sha256').update(credential).digest('base64url');
    this.now = o.now ?? Date.now;
    this.idleMinutes = o.idleMinutes ?? HQ_IDLE_MINUTES;
    this.attempts = new AttemptLimiter(undefined, this.now);
  }

  /** True when `given` is the credential (constant time). */
  matches(given: string): boolean {
    return this.credential.length > 0 && sameSecret(given, this.credential);
  }

  /**
   * The credential offered by the sign-in form or Basic auth, counted against the client's address: a 429 while the
   * address is blocked (even for the right credential), else whether it matched.
   */
  tryCredential(req: IncomingMessage, given: string): boolean {
    const address = addressKey(req.socket?.remoteAddress);
    const wait = this.attempts.retryAfter(address);
    if (wait > 0) {
      throw new HttpError(429, 'forbidden', `too many wrong credentials from this address; try again in ${wait} seconds`, undefined, { 'Retry-After': String(wait) });
    }
    if (this.matches(given)) return true;
    this.attempts.fail(address);
    return false;
  }

  /**
   * The proof carried by the request, or null when it has none or a wrong one: Basic auth is counted against the
   * client's address (see tryCredential), a cookie must be a live session in the database.
   */
  async authenticate(req: IncomingMessage): Promise<HqProof | null> {
    const auth = req.headers.authorization;
    if (auth && /^basic /i.test(auth)) {
      const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return this.tryCredential(req, colon >= 0 ? decoded.slice(colon + 1) : '') ? this.basicProof() : null;
    }
    const cookie = this.cookieOf(req);
    if (!cookie) return null;
    const at = this.now();
    const live = await useHqSession(this.db(), this.sessionId(cookie), new Date(at), new Date(at - this.idleMinutes * 60_000));
    return live ? { via: 'cookie', tag: cookie } : null;
  }

  /**
   * The proof as far as the request alone shows it (the credential, or a cookie with our MAC that has not expired),
   * without the attempt count or the database: authenticate is what the routes use.
   */
  check(req: IncomingMessage): HqProof | null {
    const auth = req.headers.authorization;
    if (auth && /^basic /i.test(auth)) {
      const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return colon >= 0 && this.matches(decoded.slice(colon + 1)) ? this.basicProof() : null;
    }
    const cookie = this.cookieOf(req);
    return cookie ? { via: 'cookie', tag: cookie } : null;
  }

  /** A new session cookie value, `<nonce>.<expiry>.<mac>`, recorded in the database. */
  async signIn(): Promise<string> {
    const at = this.now();
    const value = this.issue(at);
    const exp = Number(value.split('.')[1]);
    await openHqSession(this.db(), this.sessionId(value), new Date(at), new Date(exp * 1000));
    return value;
  }

  /** Ends the session of the request's cookie, when it carries one of ours. */
  async signOut(req: IncomingMessage): Promise<void> {
    const cookie = this.cookieOf(req);
    if (cookie) await closeHqSession(this.db(), this.sessionId(cookie));
  }

  /** A session cookie value `<nonce>.<expiry>.<mac>` (not yet recorded: signIn records it). */
  issue(now = this.now()): string {
    const nonce = randomBytes(16).toString('base64url');
    const exp = Math.floor(now / 1000) + Math.round(this.sessionMinutes * 60);
    return `${nonce}.${exp}.${this.mac(nonce, exp)}`;
  }

  /** The CSRF token of headquarters' forms under this proof. */
  csrf(proof: HqProof): string {
    return csrfToken(this.secret, 'hq', proof.tag);
  }

  /** How long a session lasts, for the cookie's Max-Age. */
  get sessionSeconds(): number {
    return Math.round(this.sessionMinutes * 60);
  }

  private basicProof(): HqProof {
    return { via: 'basic', tag: `basic\0${this.credentialHash}` };
  }

  /** The request's HQ cookie when it has our MAC and has not expired. */
  private cookieOf(req: IncomingMessage): string | undefined {
    const cookie = parseCookies(req).get(HQ_COOKIE);
    return cookie && this.validSession(cookie) ? cookie : undefined;
  }

  /** The database's key of a session: the hash of its random part. */
  private sessionId(cookie: string): string {
    return createHash('sha256').update(`hq-session\0${cookie.split('.')[0]}`).digest('base64url');
  }

  private db(): pg.Pool {
    if (!this.o.db) throw new Error('HqAuth: sessions need a database');
    return this.o.db;
  }

  private validSession(value: string): boolean {
    const parts = value.split('.');
    if (parts.length !== 3 || !/^\d{1,12}$/.test(parts[1])) return false;
    const exp = Number(parts[1]);
    return exp * 1000 > this.now() && sameSecret(parts[2], this.mac(parts[0], exp));
  }

  private mac(nonce: string, exp: number): string {
    return createHmac('sha256', this.secret).update(`hq-session\0${this.credentialHash}\0${nonce}\0${exp}`).digest('base64url');
  }
}

/**
 * Headquarters' credential: HTTP Basic with any user name and the credential as password, or the `rc_hq` cookie that
 * POST /hq/login issues. Sessions are stateless MACs bound to the credential, so changing it ends them all.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { parseCookies } from './http.js';
import { csrfToken, sameSecret } from './sessions.js';

/** Headquarters' session cookie, set by POST /hq/login. */
export const HQ_COOKIE = 'rc_hq';
/** The double-submit cookie of the sign-in form (there is no session yet to bind a token to). */
export const LOGIN_CSRF_COOKIE = 'rc_hq_login';

/** How headquarters proved itself on this request: the tag CSRF tokens are bound to. */
export type HqProof = { via: 'basic' | 'cookie'; tag: string };

/** Checks headquarters' credential and makes its sessions. */
export class HqAuth {
  private readonly credentialHash: string;

  constructor(
    private readonly credential: string,
    private readonly secret: Buffer,
    private readonly sessionMinutes: number,
  ) {
    this.credentialHash = createHash('sha256').update(credential).digest('base64url');
  }

  /** True when `given` is the credential (constant time). */
  matches(given: string): boolean {
    return this.credential.length > 0 && sameSecret(given, this.credential);
  }

  /** The proof carried by the request, or null when it has none or a wrong one. */
  check(req: IncomingMessage): HqProof | null {
    const auth = req.headers.authorization;
    if (auth && /^basic /i.test(auth)) {
      const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0 && this.matches(decoded.slice(colon + 1))) return { via: 'basic', tag: `basic\0${this.credentialHash}` };
      return null;
    }
    const cookie = parseCookies(req).get(HQ_COOKIE);
    if (cookie && this.validSession(cookie)) return { via: 'cookie', tag: cookie };
    return null;
  }

  /** A new session cookie value: `<nonce>.<expiry>.<mac>`. */
  issue(now = Date.now()): string {
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

  private validSession(value: string, now = Date.now()): boolean {
    const parts = value.split('.');
    if (parts.length !== 3 || !/^\d{1,12}$/.test(parts[1])) return false;
    const exp = Number(parts[1]);
    return exp * 1000 > now && sameSecret(parts[2], this.mac(parts[0], exp));
  }

  private mac(nonce: string, exp: number): string {
    return createHmac('sha256', this.secret).update(`hq-session\0${this.credentialHash}\0${nonce}\0${exp}`).digest('base64url');
  }
}

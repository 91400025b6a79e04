/**
 * Signed, expiring, scoped tokens for the links in notices and the portal's session cookies: HMAC-SHA-256 over the
 * payload, with the signing key's id, compared in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Keyring } from './keyring.js';

/** What a token lets its bearer do. */
export type Purpose =
  | 'report-link' | 'leader-link' | 'report-session' | 'leader-session' | 'unit-link' | 'unit-session' | 'unit-calendar'
  | 'finding-link' | 'finding-session' | 'verifier-link' | 'verifier-session';

export interface TokenScope {
  plan: string;
  task?: string;
  unit?: string;
  period?: string;
  leader?: string;
  /** The one finding a unit's finding link is for. */
  finding?: string;
  /** The verifier unit a verifier's link is for. */
  verifier?: string;
}

export interface TokenPayload extends TokenScope {
  /** Purpose. */
  p: Purpose;
  /** Expiry, epoch seconds. */
  exp: number;
}

export type Verified = { ok: true; payload: TokenPayload } | { ok: false; reason: 'malformed' | 'unknown-key' | 'bad-signature' | 'expired' | 'wrong-purpose' };

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/**
 * The bytes of a canonical base64url string (no padding), or null: Buffer.from alone ignores stray characters and the
 * unused bits of the last one, so several strings would decode to the same bytes (and verify as the same token).
 */
export function decodeBase64url(text: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}
const sign = (key: Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** `<kid>.<payload>.<signature>`, all base64url. */
export function signToken(ring: Keyring, payload: TokenPayload): string {
  const kid = ring.activeId;
  const body = b64url(JSON.stringify(payload));
  const head = b64url(kid);
  return `${head}.${body}.${b64url(sign(ring.keys.get(kid)!, `${head}.${body}`))}`;
}

/** Checks signature, expiry and purpose; never throws on any input. */
export function verifyToken(ring: Keyring, token: unknown, purpose: Purpose, nowMs = Date.now()): Verified {
  if (typeof token !== 'string' || token.length > 2048) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return { ok: false, reason: 'malformed' };
  const [head, body, sig] = parts;
  const [kid, json, given] = parts.map(decodeBase64url);
  if (!kid || !json || !given) return { ok: false, reason: 'malformed' };
  const key = ring.keys.get(kid.toString('utf8'));
  if (!key) return { ok: false, reason: 'unknown-key' };
  const expected = sign(key, `${head}.${body}`);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad-signature' };
  let payload: TokenPayload;
  try {
    payload = JSON.parse(json.toString('utf8')) as TokenPayload;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof payload !== 'object' || payload === null || typeof payload.exp !== 'number' || typeof payload.plan !== 'string') {
    return { ok: false, reason: 'malformed' };
  }
  if (payload.exp * 1000 <= nowMs) return { ok: false, reason: 'expired' };
  if (payload.p !== purpose) return { ok: false, reason: 'wrong-purpose' };
  return { ok: true, payload };
}

/** True when the token's scope covers exactly this report. */
export function coversReport(payload: TokenScope, planId: string, taskId: string, unitId: string, period: string): boolean {
  return payload.plan === planId && payload.task === taskId && payload.unit === unitId && payload.period === period;
}

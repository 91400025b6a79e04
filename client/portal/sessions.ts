/**
 * Link tokens turned into short-lived session cookies, and the CSRF tokens bound to them. A unit's or leader's scope
 * comes from the verified token only, never from the address or the form.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Keyring } from '../../security/keyring.js';
import { signToken, verifyToken, type Purpose, type TokenPayload } from '../../security/tokens.js';

/** The unit's session cookie: a report-session token. */
export const REPORT_COOKIE = 'rc_report';
/** The leader's session cookie: a leader-session token. */
export const LEADER_COOKIE = 'rc_leader';

/** The one report a unit's link or session is for. */
export interface ReportScope {
  plan: string;
  task: string;
  unit: string;
  period: string;
}

/** The leader a leader's link or session is for. */
export interface LeaderScope {
  plan: string;
  leader: string;
}

const nonEmpty = (s: unknown): s is string => typeof s === 'string' && s.length > 0 && s.length <= 200;

/** The report scope of a verified payload, or null when it does not name exactly one report. */
export function reportScopeOf(p: TokenPayload): ReportScope | null {
  if (!nonEmpty(p.plan) || !nonEmpty(p.task) || !nonEmpty(p.unit) || typeof p.period !== 'string' || !/^\d{4}-Q[1-4]$/.test(p.period)) return null;
  return { plan: p.plan, task: p.task, unit: p.unit, period: p.period };
}

/** The leader scope of a verified payload, or null when it does not name one leader. */
export function leaderScopeOf(p: TokenPayload): LeaderScope | null {
  if (!nonEmpty(p.plan) || !nonEmpty(p.leader)) return null;
  return { plan: p.plan, leader: p.leader };
}

/** The verified payload of a link or session token of `purpose`, or null; never throws. */
export function verified(ring: Keyring, token: string | undefined, purpose: Purpose): TokenPayload | null {
  const v = verifyToken(ring, token, purpose);
  return v.ok ? v.payload : null;
}

/**
 * The plan a refused token was signed for, to answer in the plan's language: only a token with our signature counts
 * (expired or of another purpose), so a forged one cannot choose anything.
 */
export function signedPlanOf(ring: Keyring, token: string): string | undefined {
  for (const purpose of ['report-link', 'leader-link', 'report-session', 'leader-session'] as const) {
    const v = verifyToken(ring, token, purpose, 0);
    if (v.ok) return v.payload.plan;
  }
  return undefined;
}

/** A session token with the link's scope, valid for `minutes`. */
export function issueSession(ring: Keyring, purpose: 'report-session' | 'leader-session', scope: ReportScope | LeaderScope, minutes: number, now = Date.now()): string {
  // A random id makes every session its own (and so its CSRF token), even two opened in the same second.
  const payload = { p: purpose, ...scope, exp: Math.floor(now / 1000) + Math.round(minutes * 60), sid: randomBytes(12).toString('base64url') };
  return signToken(ring, payload);
}

/** The portal's own secret, derived from the active link key so it never signs anything a link key signs. */
export function portalSecret(ring: Keyring): Buffer {
  return createHmac('sha256', ring.keys.get(ring.activeId)!).update('review-cycles/portal/v1').digest();
}

/** The CSRF token of a form shown under one session (the cookie's value, or an HQ sign-in). */
export function csrfToken(secret: Buffer, kind: string, session: string): string {
  return createHmac('sha256', secret).update(`csrf\0${kind}\0${session}`).digest('base64url');
}

/** Compares two secrets in constant time (hashing first so lengths never leak or throw). */
export function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

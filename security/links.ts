/** The links that notices carry: to a unit's report form, its page and its finding pages, to a verifier's page, and to a leader's read-only view. */
import type { Keyring } from './keyring.js';
import { signToken } from './tokens.js';

/** How long a link in a notice stays valid. */
export const LINK_TTL_DAYS = 120;
/** How long a calendar feed's link stays valid: a subscription outlives a notice, so it lasts a year and a bit. */
export const CALENDAR_LINK_TTL_DAYS = 400;

/** Links valid for LINK_TTL_DAYS from `issuedAt` (the notice's instant, so a re-sent notice carries the same link). */
export interface LinkMaker {
  /** The report form for exactly this (plan, task, unit, quarter). */
  report(planId: string, taskId: string, unitId: string, period: string, issuedAt: number): string;
  /** The leader's view of their units. */
  leader(planId: string, leaderId: string, issuedAt: number): string;
  /** The unit's page for the plan: all its reports, several of which it can submit at once. */
  unit(planId: string, unitId: string, issuedAt: number): string;
  /** The unit's calendar feed of due days, `/cal/<token>.ics` (valid CALENDAR_LINK_TTL_DAYS: calendars poll it for long). */
  calendar(planId: string, unitId: string, issuedAt: number): string;
  /** The responsible unit's page of exactly this finding: progress notes and the claim with its evidence. */
  finding(planId: string, unitId: string, findingId: string, issuedAt: number): string;
  /** A verifier unit's page for the plan: exactly the findings it verifies, their claims' evidence and its decisions. */
  verifier(planId: string, verifierId: string, issuedAt: number): string;
  /** Headquarters' dashboard page of a finding (unsigned: it asks for headquarters' credential). */
  hqFinding(planId: string, findingId: string): string;
}

/** Builds links under `portalUrl`, signed with the keyring's active key. */
export function linkMaker(portalUrl: string, ring: Keyring): LinkMaker {
  const base = portalUrl.replace(/\/+$/, '');
  const exp = (issuedAt: number) => Math.floor(issuedAt / 1000) + LINK_TTL_DAYS * 86_400;
  return {
    report: (plan, task, unit, period, at) => `${base}/r/${signToken(ring, { p: 'report-link', plan, task, unit, period, exp: exp(at) })}`,
    leader: (plan, leader, at) => `${base}/l/${signToken(ring, { p: 'leader-link', plan, leader, exp: exp(at) })}`,
    unit: (plan, unit, at) => `${base}/u/${signToken(ring, { p: 'unit-link', plan, unit, exp: exp(at) })}`,
    calendar: (plan, unit, at) => `${base}/cal/${signToken(ring, { p: 'unit-calendar', plan, unit, exp: Math.floor(at / 1000) + CALENDAR_LINK_TTL_DAYS * 86_400 })}.ics`,
    finding: (plan, unit, finding, at) => `${base}/f/${signToken(ring, { p: 'finding-link', plan, unit, finding, exp: exp(at) })}`,
    verifier: (plan, verifier, at) => `${base}/v/${signToken(ring, { p: 'verifier-link', plan, verifier, exp: exp(at) })}`,
    hqFinding: (plan, finding) => `${base}/hq/plans/${encodeURIComponent(plan)}/findings/${encodeURIComponent(finding)}`,
  };
}

/** A leader's routes: the link's landing page, continue (link traded for a session cookie), and the read-only view. */
import { planStatus } from '../../plans.js';
import type { Ctx } from '../context.js';
import { heatmap, isOpenOrLate } from '../heatmap.js';
import { HttpError, parseCookies, parseForm, readBody, redirect, requireMediaType, sendHtml, setCookie } from '../http.js';
import { catalogueFor } from '../i18n.js';
import { html } from '../html.js';
import { page } from '../layout.js';
import { planIfKnown, speakPlan } from '../plan-data.js';
import type { Route } from '../router.js';
import { requireSameOrigin } from '../same-origin.js';
import { issueSession, LEADER_COOKIE, leaderScopeOf, signedPlanOf, verified, type LeaderScope } from '../sessions.js';
import { unitReports } from '../unit-reports.js';
import { leaderPage, type OpenReport } from '../views/leader.js';

/** The plan and leader of a verified scope, or a 403 (in the plan's language when its signature is ours). */
async function scopedLeader(ctx: Ctx, scope: LeaderScope | null, token: string, kind: 'invalidLink' | 'sessionEnded') {
  const plan = await planIfKnown(ctx.portal.db, scope?.plan ?? signedPlanOf(ctx.portal.ring, token));
  ctx.c = catalogueFor(plan?.locale);
  if (plan) speakPlan(ctx, plan);
  const leader = scope && plan?.leaders.find((l) => l.id === scope.leader);
  if (!scope || !plan || !leader) throw new HttpError(403, kind);
  return { scope, plan, leader };
}

async function fromLink(ctx: Ctx, token: string) {
  const payload = verified(ctx.portal.ring, token, 'leader-link');
  return scopedLeader(ctx, payload && leaderScopeOf(payload), token, 'invalidLink');
}

/** GET /l/<token>: says whose view the link opens; changes nothing. */
async function landing(ctx: Ctx, params: Record<string, string>): Promise<void> {
  const { plan, leader } = await fromLink(ctx, params.token);
  const c = ctx.c;
  sendHtml(
    ctx.res,
    200,
    page(
      c,
      c.leader.title,
      html`<p>${c.leader.landingLead(leader.name, plan.title)}</p>
<form method="post" action="/l/continue"><input type="hidden" name="token" value="${params.token}"><button type="submit">${c.landing.continue}</button></form>`,
    ),
  );
}

/** POST /l/continue: verifies the link again and sets the leader's session cookie. */
async function continueWithLink(ctx: Ctx): Promise<void> {
  requireSameOrigin(ctx.req, ctx.portal.publicUrl);
  requireMediaType(ctx.req, 'application/x-www-form-urlencoded');
  const fields = parseForm(await readBody(ctx.req, ctx.portal.maxBodyBytes));
  const { scope } = await fromLink(ctx, fields.get('token') ?? '');
  const session = issueSession(ctx.portal.ring, 'leader-session', scope, ctx.portal.sessionMinutes);
  redirect(ctx.res, '/leader', { 'Set-Cookie': setCookie(LEADER_COOKIE, session, { maxAgeSeconds: ctx.portal.sessionMinutes * 60, secure: ctx.portal.secureCookies }) });
}

/** GET /leader: the open and late reports of the leader's units, their heatmap, and all their reports. */
async function view(ctx: Ctx): Promise<void> {
  const cookie = parseCookies(ctx.req).get(LEADER_COOKIE) ?? '';
  const payload = verified(ctx.portal.ring, cookie, 'leader-session');
  const { plan, leader } = await scopedLeader(ctx, payload && leaderScopeOf(payload), cookie, 'sessionEnded');
  const units = new Set(plan.units.filter((u) => u.leader === leader.id).map((u) => u.id));
  const status = await planStatus(ctx.portal.db, plan.id);
  const open: OpenReport[] = [];
  for (const task of plan.tasks) {
    for (const u of status.tasks.find((t) => t.taskId === task.id)?.units ?? []) {
      if (!units.has(u.unitId)) continue;
      const unitName = plan.units.find((x) => x.id === u.unitId)?.name ?? u.unitId;
      for (const p of u.periods) if (isOpenOrLate(p)) open.push({ taskTitle: task.title, unitName, status: p });
    }
  }
  // Every report of the leader's units, open ones first, as each unit's own page lists them (read-only here).
  const reports = unitReports(plan, status, units, Date.now());
  sendHtml(ctx.res, 200, leaderPage(ctx.c, plan, leader.name, open, heatmap(plan, status, units), reports));
}

/** The leader's routes. */
export const leaderRoutes: Route<Ctx>[] = [
  { method: 'GET', pattern: '/l/:token', handle: landing },
  { method: 'POST', pattern: '/l/continue', handle: continueWithLink },
  { method: 'GET', pattern: '/leader', handle: view },
];

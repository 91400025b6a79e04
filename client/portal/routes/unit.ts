/**
 * A unit's routes: the link's landing page, the continue step that trades the link for a session cookie, and the
 * report form. Plan, task, unit and quarter come only from the verified link or cookie.
 */
import { randomUUID } from 'node:crypto';
import { awaitRecordedRevision, latestReports, planStatus, submitReport, taskTimeline, UserError } from '../../plans.js';
import { daysLate, localDateOf, periodsOf } from '../../../workflows/calendar/index.js';
import type { Plan } from '../../../workflows/contract/plan.js';
import type { Revision } from '../../../workflows/contract/status.js';
import { catalogueFor, formatDueDay } from '../i18n.js';
import type { Ctx } from '../context.js';
import { HttpError, parseCookies, parseForm, readBody, redirect, requireMediaType, sendHtml, setCookie } from '../http.js';
import { periodOf, planIfKnown, refusalStatus, sayRefusal, speakPlan } from '../plan-data.js';
import { refusalErrors, reportInput, schemaErrors, valuesFromForm, valuesFromRevision, type FormErrors, type FormValues } from '../report-form.js';
import type { Route } from '../router.js';
import { requireSameOrigin } from '../same-origin.js';
import { csrfToken, issueSession, REPORT_COOKIE, reportScopeOf, sameSecret, signedPlanOf, verified, type ReportScope } from '../sessions.js';
import { formPage, landingPage, receivedPage, type FormView, type ReportFacts } from '../views/unit.js';

/** Refuses a link in the language of the plan it was signed for, if any, without saying why. */
async function refuse(ctx: Ctx, token: string, kind: 'invalidLink' | 'sessionEnded'): Promise<never> {
  const plan = await planIfKnown(ctx.portal.db, signedPlanOf(ctx.portal.ring, token));
  ctx.c = catalogueFor(plan?.locale);
  throw new HttpError(403, kind);
}

/** The plan and facts of a verified scope, or a refusal when the running plan has no such report. */
async function scopedReport(ctx: Ctx, scope: ReportScope | null, token: string, kind: 'invalidLink' | 'sessionEnded') {
  if (!scope) return refuse(ctx, token, kind);
  const plan = await planIfKnown(ctx.portal.db, scope.plan);
  if (!plan) return refuse(ctx, token, kind);
  speakPlan(ctx, plan);
  const task = plan.tasks.find((t) => t.id === scope.task);
  const inPlan = periodsOf(plan.start, plan.end).some((p) => p.id === scope.period);
  if (!task || !task.units.includes(scope.unit) || !inPlan) throw new HttpError(403, kind);
  const facts: ReportFacts = { planTitle: plan.title, taskTitle: task.title, unitName: plan.units.find((u) => u.id === scope.unit)?.name ?? scope.unit, period: scope.period };
  return { plan, facts };
}

async function fromLink(ctx: Ctx, token: string) {
  const payload = verified(ctx.portal.ring, token, 'report-link');
  const scope = payload && reportScopeOf(payload);
  return { scope: scope!, ...(await scopedReport(ctx, scope, token, 'invalidLink')) };
}

async function fromSession(ctx: Ctx) {
  const cookie = parseCookies(ctx.req).get(REPORT_COOKIE) ?? '';
  const payload = verified(ctx.portal.ring, cookie, 'report-session');
  const scope = payload && reportScopeOf(payload);
  return { scope: scope!, cookie, ...(await scopedReport(ctx, scope, cookie, 'sessionEnded')) };
}

/** GET /r/<token>: shows what the link is for; changes nothing and sets no cookie. */
async function landing(ctx: Ctx, params: Record<string, string>): Promise<void> {
  const { facts } = await fromLink(ctx, params.token);
  sendHtml(ctx.res, 200, landingPage(ctx.c, facts, params.token, '/r/continue', ctx.c.landing.lead(facts.unitName, facts.taskTitle, facts.period)));
}

/** POST /r/continue: verifies the link again and trades it for a session cookie with the same scope. */
async function continueWithLink(ctx: Ctx): Promise<void> {
  requireSameOrigin(ctx.req, ctx.portal.publicUrl);
  requireMediaType(ctx.req, 'application/x-www-form-urlencoded');
  const fields = parseForm(await readBody(ctx.req, ctx.portal.maxBodyBytes));
  const { scope } = await fromLink(ctx, fields.get('token') ?? '');
  const session = issueSession(ctx.portal.ring, 'report-session', scope, ctx.portal.sessionMinutes);
  const cookie = setCookie(REPORT_COOKIE, session, { maxAgeSeconds: ctx.portal.sessionMinutes * 60, secure: ctx.portal.secureCookies });
  redirect(ctx.res, '/report', { 'Set-Cookie': cookie });
}

/**
 * The latest revision of this quarter, else of the latest earlier quarter that has one: one indexed query over the
 * quarters of this (task, unit) up to this one, whatever the size of the plan.
 */
async function previousReport(ctx: Ctx, plan: Plan, scope: ReportScope): Promise<{ revision?: Revision; from?: string }> {
  const quarters = periodsOf(plan.start, plan.end).map((p) => p.id).filter((id) => id <= scope.period);
  const latest = await latestReports(ctx.portal.db, plan.id, scope.task, scope.unit, quarters);
  const current = latest.get(scope.period);
  if (current) return { revision: current };
  const earlier = [...latest.keys()].filter((id) => id < scope.period).sort().at(-1);
  return earlier ? { revision: latest.get(earlier), from: earlier } : {};
}

/** The comment of the last return, from the task's timeline (the timeline carries decisions with their comments). */
async function lastReturnComment(ctx: Ctx, plan: Plan, scope: ReportScope): Promise<string | undefined> {
  const entries = await taskTimeline(ctx.portal.db, plan.id, scope.task);
  return entries.filter((e) => e.kind === 'returned' && e.unitId === scope.unit && e.period === scope.period).at(-1)?.detail ?? undefined;
}

function lateness(ctx: Ctx, plan: Plan, deadline: string, now = Date.now()) {
  const days = daysLate(now, localDateOf(Date.parse(deadline) - 1, plan.timezone), plan.timezone);
  return days > 0 ? { text: ctx.c.form.late(days), late: true } : { text: ctx.c.form.notLate, late: false };
}

async function formView(
  ctx: Ctx,
  s: { scope: ReportScope; cookie: string; plan: Plan; facts: ReportFacts },
  given?: { values: FormValues; errors: FormErrors; requestId: string },
): Promise<FormView> {
  const { scope, plan } = s;
  // This unit's task only: a constant number of indexed queries, whatever the size of the plan.
  const status = await planStatus(ctx.portal.db, plan.id, { taskId: scope.task, unitId: scope.unit });
  const p = periodOf(status, scope.task, scope.unit, scope.period);
  const awaiting = !!p?.revisionDueAt;
  const locked = p?.review === 'accepted';
  // A locked report shows its own last revision (the current quarter's, which the previous report then is).
  const previous = given && !locked ? {} : await previousReport(ctx, plan, scope);
  const values = locked ? valuesFromRevision(previous.from ? undefined : previous.revision) : (given?.values ?? valuesFromRevision(previous.revision));
  const c = ctx.c;
  return {
    facts: s.facts,
    dueLine: !p ? '' : awaiting ? c.form.revisionDue(formatDueDay(c, p.revisionDueAt!, plan.timezone)) : c.form.due(formatDueDay(c, p.dueAt, plan.timezone)),
    lateLine: !p || locked ? undefined : awaiting ? lateness(ctx, plan, p.revisionDueAt!) : p.submittedAt === null ? lateness(ctx, plan, p.dueAt) : undefined,
    returnedComment: p?.review === 'returned' ? await lastReturnComment(ctx, plan, scope) : undefined,
    prefilledFrom: locked ? undefined : previous.from,
    revisionsSoFar: p?.revisions ?? 0,
    locked,
    values,
    errors: given?.errors,
    csrf: csrfToken(ctx.portal.secret, 'report', s.cookie),
    requestId: given?.requestId ?? randomUUID(),
  };
}

/** GET /report: the form for the session's report, pre-filled with the unit's previous report. */
async function showForm(ctx: Ctx): Promise<void> {
  const s = await fromSession(ctx);
  sendHtml(ctx.res, 200, formPage(ctx.c, await formView(ctx, s)));
}

/** POST /report: checks origin, CSRF, size and type, validates with the shared schema, then submits. */
async function postReport(ctx: Ctx): Promise<void> {
  requireSameOrigin(ctx.req, ctx.portal.publicUrl);
  const s = await fromSession(ctx);
  requireMediaType(ctx.req, 'application/x-www-form-urlencoded');
  const fields = parseForm(await readBody(ctx.req, ctx.portal.maxBodyBytes));
  if (!sameSecret(fields.get('csrf') ?? '', csrfToken(ctx.portal.secret, 'report', s.cookie))) throw new HttpError(403, 'forbidden', 'the form is out of date');
  const requestId = fields.get('requestId') ?? '';
  const values = valuesFromForm(fields);
  const input = reportInput(s.scope, values, requestId);
  const again = async (status: number, errors: FormErrors) => sendHtml(ctx.res, status, formPage(ctx.c, await formView(ctx, s, { values, errors, requestId })));
  const now = await planStatus(ctx.portal.db, s.plan.id, { taskId: s.scope.task, unitId: s.scope.unit });
  if (periodOf(now, s.scope.task, s.scope.unit, s.scope.period)?.review === 'accepted') {
    return sendHtml(ctx.res, 409, formPage(ctx.c, await formView(ctx, s)));
  }
  const invalid = schemaErrors(input, ctx.c.form.invalid);
  if (invalid) return again(400, invalid);
  try {
    const receipt = await submitReport(ctx.portal.engine, s.plan.id, input);
    // Read your own write: "back to the form" then shows this revision (the database follows the engine closely).
    await awaitRecordedRevision(ctx.portal.db, s.plan.id, { ...receipt }, 2_000).catch(() => false);
    sendHtml(ctx.res, 200, receivedPage(ctx.c, s.facts, receipt));
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    // A locked report is shown as locked (formView reads the status); other refusals go next to their field, in the
    // plan's words; no engine answering keeps the form (and its request id) as it is, to be sent again later.
    await again(refusalStatus(err).status, refusalErrors(err.refusals, (r) => sayRefusal(ctx, r)));
  }
}

/** The unit's routes. */
export const unitRoutes: Route<Ctx>[] = [
  { method: 'GET', pattern: '/r/:token', handle: landing },
  { method: 'POST', pattern: '/r/continue', handle: continueWithLink },
  { method: 'GET', pattern: '/report', handle: showForm },
  { method: 'POST', pattern: '/report', handle: postReport },
];

/** Headquarters' dashboard: sign-in, plans, a plan's summary, an aspect's heatmap, timelines, reports and the accept / return decisions. */
import { randomBytes, randomUUID } from 'node:crypto';
import { acceptReport, extendReport, listPlans, planStatus, recordedPlan, reportRevisions, returnReport, shownPlan, taskTimeline, UserError } from '../../plans.js';
import type { Ctx } from '../context.js';
import { aspectDrillDown, dashboardSummary, type DashboardSummary } from '../../../store/dashboard.js';
import { storedVersion } from '../../../store/versions.js';
import { statusPlanOf } from '../../../workflows/amend/track.js';
import type { Plan } from '../../../workflows/contract/plan.js';
import type { Html } from '../html.js';
import { versionLine } from '../views/amend.js';
import { drillHeatmap } from '../heatmap.js';
import { HQ_COOKIE, LOGIN_CSRF_COOKIE, type HqProof } from '../hq-auth.js';
import { HttpError, parseCookies, parseForm, readBody, redirect, requireMediaType, sendHtml, setCookie } from '../http.js';
import { asHttpError, loadPlan, offReport, periodOf, reportParts, sayRefusal, speakPlan } from '../plan-data.js';
import type { Route } from '../router.js';
import { requireSameOrigin } from '../same-origin.js';
import { sameSecret } from '../sessions.js';
import { aspectPage, decisionPage, hqPaths, loginPage, nav, planPage, plansPage, reportPage, timelinePage, type ReportPageView } from '../views/hq.js';
import { extendFinding, findingLife, findingsOf } from '../../findings.js';
import { awaitRecordedReportExtension, freshExtendForm, performExtension, type Extended } from '../extend-form.js';
import { findingRecordOf } from '../../../store/findings-dashboard.js';
import { plannedFindings } from '../../../workflows/findings/record.js';
import { byUrgency, countsByRoundAndUnit, coverageOf, findingTimeline, pendingClaim } from '../findings-data.js';
import { decisionFormsFor, performAction, type Acted } from './findings.js';
import { findingPaths, hqFindingPage, hqFindingsPage } from '../views/findings.js';

/** The challenge of a 401: browsers and scripts may answer it with Basic auth. */
export const HQ_CHALLENGE = { 'WWW-Authenticate': 'Basic realm="review-cycles headquarters", charset="UTF-8"' };

/** Headquarters' proof on this request, or a 401 (a 429 while the client's address is blocked for wrong credentials). */
export async function requireHq(ctx: Ctx): Promise<HqProof> {
  const proof = await ctx.portal.hq.authenticate(ctx.req);
  if (!proof) throw new HttpError(401, 'unauthorized', undefined, undefined, HQ_CHALLENGE);
  return proof;
}

/** Reads a posted headquarters form after the origin, type, size and CSRF checks. */
async function hqForm(ctx: Ctx, proof: HqProof): Promise<Map<string, string>> {
  requireMediaType(ctx.req, 'application/x-www-form-urlencoded');
  const fields = parseForm(await readBody(ctx.req, ctx.portal.maxBodyBytes));
  if (!sameSecret(fields.get('csrf') ?? '', ctx.portal.hq.csrf(proof))) throw new HttpError(403, 'forbidden', 'the form is out of date');
  return fields;
}

async function showLogin(ctx: Ctx): Promise<void> {
  const token = randomBytes(24).toString('base64url');
  const cookie = setCookie(LOGIN_CSRF_COOKIE, token, { maxAgeSeconds: 3600, secure: ctx.portal.secureCookies, path: '/hq/login' });
  sendHtml(ctx.res, 200, loginPage(ctx.c, token), { 'Set-Cookie': cookie });
}

async function login(ctx: Ctx): Promise<void> {
  requireSameOrigin(ctx.req, ctx.portal.publicUrl);
  requireMediaType(ctx.req, 'application/x-www-form-urlencoded');
  const fields = parseForm(await readBody(ctx.req, ctx.portal.maxBodyBytes));
  const expected = parseCookies(ctx.req).get(LOGIN_CSRF_COOKIE);
  if (!expected || !sameSecret(fields.get('csrf') ?? '', expected)) throw new HttpError(403, 'forbidden', 'the sign-in form is out of date');
  if (!ctx.portal.hq.tryCredential(ctx.req, fields.get('credential') ?? '')) {
    sendHtml(ctx.res, 401, loginPage(ctx.c, expected, ctx.c.hq.wrongCredential));
    return;
  }
  const session = setCookie(HQ_COOKIE, await ctx.portal.hq.signIn(), { maxAgeSeconds: ctx.portal.hq.sessionSeconds, secure: ctx.portal.secureCookies });
  const spent = setCookie(LOGIN_CSRF_COOKIE, '', { maxAgeSeconds: 0, secure: ctx.portal.secureCookies, path: '/hq/login' });
  redirect(ctx.res, '/hq', { 'Set-Cookie': [session, spent] });
}

async function logout(ctx: Ctx): Promise<void> {
  requireSameOrigin(ctx.req, ctx.portal.publicUrl);
  await hqForm(ctx, await requireHq(ctx));
  // The session ends here, not only in this browser: the same cookie is refused from now on.
  await ctx.portal.hq.signOut(ctx.req);
  redirect(ctx.res, '/hq/login', { 'Set-Cookie': setCookie(HQ_COOKIE, '', { maxAgeSeconds: 0, secure: ctx.portal.secureCookies }) });
}

async function plans(ctx: Ctx): Promise<void> {
  const proof = await requireHq(ctx);
  sendHtml(ctx.res, 200, plansPage(ctx.c, ctx.portal.hq.csrf(proof), await listPlans(ctx.portal.db)));
}

/** The plan's summary: counts by state per aspect, unit and quarter, aggregated in SQL, on the version in force and its track. */
export async function summaryData(ctx: Ctx, planId: string): Promise<DashboardSummary> {
  const stored = await recordedPlan(ctx.portal.db, planId);
  return dashboardSummary(ctx.portal.db, stored.plan, stored.startedAt, Date.now(), stored.track);
}

/** One aspect's drill-down (only its records are read); a 404 when the plan has no such aspect (nor a retired task of it). */
export async function drillDownData(ctx: Ctx, params: Record<string, string>, laggingOnly: boolean) {
  speakPlan(ctx, await loadPlan(ctx.portal.db, params.planId));
  const stored = await recordedPlan(ctx.portal.db, params.planId);
  // The plan as status shows it: what amendments retired still has its earlier quarters.
  const p = statusPlanOf(stored.plan, stored.track);
  const aspect = p.aspects.find((a) => a.id === params.aspectId);
  if (!aspect) throw new HttpError(404, 'notFound', `plan ${p.id} has no aspect "${params.aspectId}"`, 'aspectId');
  const drill = await aspectDrillDown(ctx.portal.db, p.id, aspect.id, Date.now(), { laggingOnly, plan: stored.plan, startedAt: stored.startedAt, track: stored.track });
  if (!drill) throw new HttpError(404, 'notFound', `plan ${p.id} has no aspect "${params.aspectId}"`, 'aspectId');
  return { plan: p, aspect, drill };
}

async function plan(ctx: Ctx, params: Record<string, string>): Promise<void> {
  const proof = await requireHq(ctx);
  const p = await loadPlan(ctx.portal.db, params.planId);
  speakPlan(ctx, p);
  const laggingOnly = ctx.url.searchParams.get('lagging') === '1';
  const summary = await summaryData(ctx, p.id);
  sendHtml(ctx.res, 200, planPage(ctx.c, ctx.portal.hq.csrf(proof), p, summary, laggingOnly, await inForceLine(ctx, p)));
}

/** The dashboard's line of the version in force (since when, why), with the history and the amend page. */
async function inForceLine(ctx: Ctx, p: Plan): Promise<Html | undefined> {
  const { version } = await recordedPlan(ctx.portal.db, p.id);
  const entry = await storedVersion(ctx.portal.db, p.id, version);
  return entry ? versionLine(ctx.c, p, entry) : undefined;
}

async function aspect(ctx: Ctx, params: Record<string, string>): Promise<void> {
  const proof = await requireHq(ctx);
  const laggingOnly = ctx.url.searchParams.get('lagging') === '1';
  const { plan: p, aspect: a, drill } = await drillDownData(ctx, params, laggingOnly);
  sendHtml(ctx.res, 200, aspectPage(ctx.c, ctx.portal.hq.csrf(proof), p, { id: a.id, title: a.title }, drillHeatmap(p, drill), laggingOnly));
}

async function timeline(ctx: Ctx, params: Record<string, string>): Promise<void> {
  const proof = await requireHq(ctx);
  speakPlan(ctx, await loadPlan(ctx.portal.db, params.planId));
  // A task an amendment retired keeps its timeline (the aspect's page links it).
  const p = await shownPlan(ctx.portal.db, params.planId);
  const task = p.tasks.find((t) => t.id === params.taskId);
  if (!task) throw new HttpError(404, 'notFound', `plan ${p.id} has no task "${params.taskId}"`);
  const entries = await taskTimeline(ctx.portal.db, p.id, task.id);
  sendHtml(ctx.res, 200, timelinePage(ctx.c, ctx.portal.hq.csrf(proof), p, task.title, entries));
}

/** Everything the report page shows; a 404 when the plan has no such report. */
export async function reportData(ctx: Ctx, params: Record<string, string>) {
  const p = await loadPlan(ctx.portal.db, params.planId);
  speakPlan(ctx, p);
  // The report of a task or pair an amendment retired is still shown (the heatmap links it).
  const { task, unitName } = reportParts(await shownPlan(ctx.portal.db, p.id), params.taskId, params.unitId);
  const status = periodOf(await planStatus(ctx.portal.db, p.id, { taskId: task.id, unitId: params.unitId }), task.id, params.unitId, params.period);
  if (!status) throw new HttpError(404, 'notFound', `plan ${p.id} has no quarter "${params.period}"`, 'period');
  const [revisions, entries, off] = await Promise.all([
    reportRevisions(ctx.portal.db, p.id, task.id, params.unitId, params.period),
    taskTimeline(ctx.portal.db, p.id, task.id),
    offReport(ctx.portal.db, p, task.id, params.unitId, params.period),
  ]);
  const timelineOfReport = entries.filter((e) => e.unitId === params.unitId && e.period === params.period);
  return { plan: p, task, unitName, status, revisions, timeline: timelineOfReport, off };
}

/** A report's due day may move while it is awaited: not yet arrived, or returned and its revision not in. */
const EXTENDABLE_REPORT = new Set(['requested', 'overdue', 'escalated']);

async function reportView(ctx: Ctx, proof: HqProof, params: Record<string, string>, extra: Partial<ReportPageView> = {}, extended?: Extended): Promise<ReportPageView> {
  const d = await reportData(ctx, params);
  const path = `${hqPaths.report(d.plan.id, d.task.id, params.unitId, params.period)}/extend`;
  return {
    extend: { path, csrf: ctx.portal.hq.csrf(proof), open: !d.off && EXTENDABLE_REPORT.has(d.status.state), form: extended?.form ?? freshExtendForm(), outcome: extended?.outcome },
    ...(d.off ? { off: d.off } : {}),
    plan: d.plan,
    taskId: d.task.id,
    taskTitle: d.task.title,
    unitId: params.unitId,
    unitName: d.unitName,
    period: params.period,
    status: d.status,
    revisions: d.revisions,
    timeline: d.timeline,
    csrf: ctx.portal.hq.csrf(proof),
    requestId: randomUUID(),
    ...extra,
  };
}

async function report(ctx: Ctx, params: Record<string, string>): Promise<void> {
  const proof = await requireHq(ctx);
  // The view first: reading the plan sets the request's language (ctx.c), which the page is then written in.
  const view = await reportView(ctx, proof, params);
  sendHtml(ctx.res, 200, reportPage(ctx.c, view));
}

/**
 * A decision or an extension posted for a report that takes none (withdrawn by an amendment, or of a pair the plan in
 * force no longer has): nothing is sent to the engine; the report page again with a 409 that says so in the plan's
 * words. False when the report takes them (a report the plan never had is the page's 404).
 */
async function refusedOff(ctx: Ctx, proof: HqProof, p: Plan, params: Record<string, string>): Promise<boolean> {
  if (!(await offReport(ctx.portal.db, p, params.taskId, params.unitId, params.period))) return false;
  const view = await reportView(ctx, proof, params);
  sendHtml(ctx.res, 409, reportPage(ctx.c, { ...view, error: { message: ctx.c.hq.offRefused } }));
  return true;
}

/** The report page's request id back from a posted decision's (`<id>-a` or `<id>-r`), so sending it again is applied once. */
function formRequestId(posted: string, decision: 'accept' | 'return'): string {
  const suffix = decision === 'accept' ? '-a' : '-r';
  return posted.endsWith(suffix) ? posted.slice(0, -suffix.length) : randomUUID();
}

function decide(decision: 'accept' | 'return') {
  return async (ctx: Ctx, params: Record<string, string>): Promise<void> => {
    requireSameOrigin(ctx.req, ctx.portal.publicUrl);
    const proof = await requireHq(ctx);
    const p = await loadPlan(ctx.portal.db, params.planId);
    speakPlan(ctx, p);
    const fields = await hqForm(ctx, proof);
    if (await refusedOff(ctx, proof, p, params)) return;
    reportParts(p, params.taskId, params.unitId);
    const by = fields.get('by')?.trim() || undefined;
    const comment = fields.get('comment') ?? '';
    const base = { taskId: params.taskId, unitId: params.unitId, period: params.period, by, requestId: fields.get('requestId') || randomUUID() };
    const reportPath = hqPaths.report(p.id, params.taskId, params.unitId, params.period);
    try {
      const receipt = decision === 'accept' ? await acceptReport(ctx.portal.engine, p.id, base) : await returnReport(ctx.portal.engine, p.id, { ...base, comment });
      sendHtml(ctx.res, 200, decisionPage(ctx.c, ctx.portal.hq.csrf(proof), p, receipt, reportPath));
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      // The refusal in the plan's words, next to the comment when it names it; the form keeps its request id.
      const http = asHttpError(err, (r) => sayRefusal(ctx, r)) as HttpError;
      // A refusal of a field other than the comment names its field, since it is shown above the form.
      const message = http.field && http.field !== 'comment' && http.kind === 'badRequest' ? `${http.field}: ${http.detail ?? ''}` : (http.detail ?? '');
      const view = await reportView(ctx, proof, params, { error: { field: http.field, message }, comment, by, requestId: formRequestId(base.requestId, decision) });
      sendHtml(ctx.res, http.status, reportPage(ctx.c, view));
    }
  };
}

/** Headquarters extends the report (延期) from its page: the page again, with the receipt or the refusal in the plan's words. */
async function extendReportForm(ctx: Ctx, params: Record<string, string>): Promise<void> {
  requireSameOrigin(ctx.req, ctx.portal.publicUrl);
  const proof = await requireHq(ctx);
  const p = await loadPlan(ctx.portal.db, params.planId);
  speakPlan(ctx, p);
  const fields = await hqForm(ctx, proof);
  if (await refusedOff(ctx, proof, p, params)) return;
  reportParts(p, params.taskId, params.unitId);
  const report = { taskId: params.taskId, unitId: params.unitId, period: params.period };
  const extended = await performExtension(ctx, 'report', fields, (input) => extendReport(ctx.portal.engine, p.id, { ...report, ...input }));
  // The group writes the extension to the system of record just after answering: the page read next shows it.
  if (extended.receipt) await awaitRecordedReportExtension(ctx.portal.db, { planId: p.id, ...report, requestId: extended.requestId });
  sendHtml(ctx.res, extended.status, reportPage(ctx.c, await reportView(ctx, proof, params, {}, extended)));
}

/** The plan's findings: coverage, counts by round and unit, and every finding, overdue first. */
async function findings(ctx: Ctx, params: Record<string, string>): Promise<void> {
  const proof = await requireHq(ctx);
  const p = await loadPlan(ctx.portal.db, params.planId);
  speakPlan(ctx, p);
  const now = Date.now();
  const list = byUrgency(p, await findingsOf(ctx.portal.db, p, {}, now));
  sendHtml(ctx.res, 200, hqFindingsPage(ctx.c, nav(ctx.c, ctx.portal.hq.csrf(proof), p), { plan: p, now, list, counts: countsByRoundAndUnit(p, list), coverage: coverageOf(p, now) }));
}

async function showFinding(ctx: Ctx, proof: HqProof, planId: string, findingId: string, acted?: Acted, extended?: Extended): Promise<void> {
  const p = await loadPlan(ctx.portal.db, planId);
  speakPlan(ctx, p);
  if (!plannedFindings(p).some((f) => f.finding.id === findingId)) throw new HttpError(404, 'notFound', sayRefusal(ctx, { field: 'findingId', code: 'unknownFinding', params: { findingId, planId: p.id } }), 'findingId');
  const now = Date.now();
  const [life, record] = await Promise.all([findingLife(ctx.portal.db, p.id, findingId, now), findingRecordOf(ctx.portal.db, p.id, findingId)]);
  const pending = pendingClaim(record, life.actions);
  const csrf = ctx.portal.hq.csrf(proof);
  const extend = { path: findingPaths.hqExtend(p.id, findingId), csrf, open: life.status.state === 'open' || life.status.state === 'overdue', form: extended?.form ?? freshExtendForm(), outcome: extended?.outcome };
  const view = { plan: p, status: life.status, description: life.description, now, pending, forms: decisionFormsFor(findingPaths.hqAct(p.id, findingId), csrf, record, pending, acted), outcome: acted?.outcome, timeline: findingTimeline(life), extend };
  sendHtml(ctx.res, acted?.status ?? extended?.status ?? 200, hqFindingPage(ctx.c, nav(ctx.c, csrf, p), view));
}

/** One finding: its facts, the claim awaiting a decision, headquarters' decision forms and its whole timeline. */
async function finding(ctx: Ctx, params: Record<string, string>): Promise<void> {
  await showFinding(ctx, await requireHq(ctx), params.planId, params.findingId);
}

/** Headquarters decides on a claim or answers a re-check for any verifier. */
async function actOnFindingAsHq(ctx: Ctx, params: Record<string, string>): Promise<void> {
  requireSameOrigin(ctx.req, ctx.portal.publicUrl);
  const proof = await requireHq(ctx);
  const p = await loadPlan(ctx.portal.db, params.planId);
  speakPlan(ctx, p);
  if (!plannedFindings(p).some((f) => f.finding.id === params.findingId)) throw new HttpError(404, 'notFound', sayRefusal(ctx, { field: 'findingId', code: 'unknownFinding', params: { findingId: params.findingId, planId: p.id } }), 'findingId');
  const fields = await hqForm(ctx, proof);
  const acted = await performAction(ctx, p, params.findingId, 'headquarters', fields, ['accept', 'reject', 'recheck']);
  await showFinding(ctx, proof, p.id, params.findingId, acted);
}

/** Headquarters extends a finding's deadline (延期) from its page; the finding's workflow records it before answering. */
async function extendFindingForm(ctx: Ctx, params: Record<string, string>): Promise<void> {
  requireSameOrigin(ctx.req, ctx.portal.publicUrl);
  const proof = await requireHq(ctx);
  const p = await loadPlan(ctx.portal.db, params.planId);
  speakPlan(ctx, p);
  if (!plannedFindings(p).some((f) => f.finding.id === params.findingId)) throw new HttpError(404, 'notFound', sayRefusal(ctx, { field: 'findingId', code: 'unknownFinding', params: { findingId: params.findingId, planId: p.id } }), 'findingId');
  const fields = await hqForm(ctx, proof);
  const extended = await performExtension(ctx, 'finding', fields, (input) => extendFinding(ctx.portal.engine, p.id, { findingId: params.findingId, ...input }));
  await showFinding(ctx, proof, p.id, params.findingId, undefined, extended);
}

const REPORT = '/hq/plans/:planId/reports/:taskId/:unitId/:period';

/** Headquarters' page routes. */
export const hqRoutes: Route<Ctx>[] = [
  { method: 'GET', pattern: '/hq/login', handle: showLogin },
  { method: 'POST', pattern: '/hq/login', handle: login },
  { method: 'POST', pattern: '/hq/logout', handle: logout },
  { method: 'GET', pattern: '/hq', handle: plans },
  { method: 'GET', pattern: '/hq/plans/:planId', handle: plan },
  { method: 'GET', pattern: '/hq/plans/:planId/aspects/:aspectId', handle: aspect },
  { method: 'GET', pattern: '/hq/plans/:planId/tasks/:taskId', handle: timeline },
  { method: 'GET', pattern: REPORT, handle: report },
  { method: 'POST', pattern: `${REPORT}/accept`, handle: decide('accept') },
  { method: 'POST', pattern: `${REPORT}/return`, handle: decide('return') },
  { method: 'POST', pattern: `${REPORT}/extend`, handle: extendReportForm },
  { method: 'GET', pattern: '/hq/plans/:planId/findings', handle: findings },
  { method: 'GET', pattern: '/hq/plans/:planId/findings/:findingId', handle: finding },
  { method: 'POST', pattern: '/hq/plans/:planId/findings/:findingId/act', handle: actOnFindingAsHq },
  { method: 'POST', pattern: '/hq/plans/:planId/findings/:findingId/extend', handle: extendFindingForm },
];

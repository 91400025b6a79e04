/** The JSON API under /api/hq: what the dashboard shows and does, with the same credential. */
import { acceptReport, listPlans, planStatus, returnReport, taskTimeline } from '../../plans.js';
import type { Ctx } from '../context.js';
import { HttpError, parseJsonObject, readBody, requireMediaType, sendJson } from '../http.js';
import { en } from '../catalogue/en.js';
import { asHttpError, loadPlan, offReport, reportParts, sayRefusal, speakPlan } from '../plan-data.js';
import type { Route } from '../router.js';
import { refuseCrossSite } from '../same-origin.js';
import { drillDownData, reportData, requireHq, summaryData } from './hq.js';
import { actOnFinding, findingLife, findingsOf } from '../../findings.js';
import { plannedFindings } from '../../../workflows/findings/record.js';
import { byUrgency, countsByRoundAndUnit, coverageOf, findingTimeline } from '../findings-data.js';

async function plans(ctx: Ctx): Promise<void> {
  await requireHq(ctx);
  sendJson(ctx.res, 200, await listPlans(ctx.portal.db));
}

async function status(ctx: Ctx, params: Record<string, string>): Promise<void> {
  await requireHq(ctx);
  const plan = await loadPlan(ctx.portal.db, params.planId);
  sendJson(ctx.res, 200, await planStatus(ctx.portal.db, plan.id));
}

/** Counts by state per aspect, unit and quarter, and the lagging units (aggregated in SQL). */
async function summary(ctx: Ctx, params: Record<string, string>): Promise<void> {
  await requireHq(ctx);
  sendJson(ctx.res, 200, await summaryData(ctx, params.planId));
}

/** One aspect's tasks with the state of each (task, unit, quarter); `?lagging=1` keeps the units lagging in it. */
async function aspect(ctx: Ctx, params: Record<string, string>): Promise<void> {
  await requireHq(ctx);
  sendJson(ctx.res, 200, (await drillDownData(ctx, params, ctx.url.searchParams.get('lagging') === '1')).drill);
}

async function timeline(ctx: Ctx, params: Record<string, string>): Promise<void> {
  await requireHq(ctx);
  const plan = await loadPlan(ctx.portal.db, params.planId);
  if (!plan.tasks.some((t) => t.id === params.taskId)) throw new HttpError(404, 'notFound', `plan ${plan.id} has no task "${params.taskId}"`, 'taskId');
  sendJson(ctx.res, 200, await taskTimeline(ctx.portal.db, plan.id, params.taskId));
}

async function report(ctx: Ctx, params: Record<string, string>): Promise<void> {
  await requireHq(ctx);
  const d = await reportData(ctx, params);
  sendJson(ctx.res, 200, { planId: d.plan.id, taskId: d.task.id, unitId: params.unitId, period: params.period, status: d.status, revisions: d.revisions, timeline: d.timeline });
}

const DECISION_FIELDS = { accept: ['by', 'requestId'], return: ['comment', 'by', 'requestId'] };

function decide(decision: 'accept' | 'return') {
  return async (ctx: Ctx, params: Record<string, string>): Promise<void> => {
    refuseCrossSite(ctx.req, ctx.portal.publicUrl);
    await requireHq(ctx);
    // A cross-site form cannot send JSON without a preflight, which the portal never grants.
    requireMediaType(ctx.req, 'application/json');
    const body = parseJsonObject(await readBody(ctx.req, ctx.portal.maxBodyBytes));
    const unknown = Object.keys(body).find((k) => !DECISION_FIELDS[decision].includes(k));
    if (unknown) throw new HttpError(400, 'badRequest', `${unknown}: unknown field`, unknown);
    const plan = await loadPlan(ctx.portal.db, params.planId);
    speakPlan(ctx, plan);
    // A report an amendment withdrew (or of a pair no longer the plan's) takes no decision: a conflict, not a 404.
    if (await offReport(ctx.portal.db, plan, params.taskId, params.unitId, params.period)) {
      await reportData(ctx, params); // a report the plan never had is a 404
      throw new HttpError(409, 'conflict', en.hq.offRefused, 'unitId');
    }
    reportParts(plan, params.taskId, params.unitId);
    const base = { ...body, taskId: params.taskId, unitId: params.unitId, period: params.period } as { taskId: string; unitId: string; period: string; by?: string; requestId?: string };
    try {
      const receipt =
        decision === 'accept'
          ? await acceptReport(ctx.portal.engine, plan.id, base)
          : await returnReport(ctx.portal.engine, plan.id, { ...base, comment: body.comment as string });
      sendJson(ctx.res, 200, receipt);
    } catch (err) {
      throw asHttpError(err, (r) => sayRefusal(ctx, r));
    }
  };
}

/** The plan's findings, overdue first, with the counts by round and unit and the coverage. */
async function findings(ctx: Ctx, params: Record<string, string>): Promise<void> {
  await requireHq(ctx);
  const plan = await loadPlan(ctx.portal.db, params.planId);
  const now = Date.now();
  const list = byUrgency(plan, await findingsOf(ctx.portal.db, plan, {}, now));
  sendJson(ctx.res, 200, { planId: plan.id, findings: list, byRoundAndUnit: countsByRoundAndUnit(plan, list), coverage: coverageOf(plan, now) });
}

/** One finding's whole life: its status, actions, notices and the timeline of both. */
async function finding(ctx: Ctx, params: Record<string, string>): Promise<void> {
  await requireHq(ctx);
  const plan = await loadPlan(ctx.portal.db, params.planId);
  try {
    const life = await findingLife(ctx.portal.db, plan.id, params.findingId);
    sendJson(ctx.res, 200, { planId: plan.id, ...life, timeline: findingTimeline(life) });
  } catch (err) {
    throw asHttpError(err, (r) => sayRefusal(ctx, r));
  }
}

const FINDING_DECISION_FIELDS = ['action', 'requestId', 'comment', 'reason', 'result', 'by'];

/** Headquarters accepts, rejects or answers the re-check of a finding, for any verifier. */
async function actOn(ctx: Ctx, params: Record<string, string>): Promise<void> {
  refuseCrossSite(ctx.req, ctx.portal.publicUrl);
  await requireHq(ctx);
  requireMediaType(ctx.req, 'application/json');
  const body = parseJsonObject(await readBody(ctx.req, ctx.portal.maxBodyBytes));
  const unknown = Object.keys(body).find((k) => !FINDING_DECISION_FIELDS.includes(k));
  if (unknown) throw new HttpError(400, 'badRequest', `${unknown}: unknown field`, unknown);
  if (!['accept', 'reject', 'recheck'].includes(body.action as string)) throw new HttpError(400, 'badRequest', 'action: must be accept, reject or recheck', 'action');
  const plan = await loadPlan(ctx.portal.db, params.planId);
  speakPlan(ctx, plan);
  if (!plannedFindings(plan).some((p) => p.finding.id === params.findingId)) throw new HttpError(404, 'notFound', `plan ${plan.id} has no finding "${params.findingId}"`, 'findingId');
  try {
    sendJson(ctx.res, 200, await actOnFinding(ctx.portal.engine, plan.id, { ...body, findingId: params.findingId, actor: 'headquarters' }));
  } catch (err) {
    throw asHttpError(err, (r) => sayRefusal(ctx, r));
  }
}

const REPORT = '/api/hq/plans/:planId/reports/:taskId/:unitId/:period';

/** The API's routes. */
export const apiRoutes: Route<Ctx>[] = [
  { method: 'GET', pattern: '/api/hq/plans', handle: plans },
  { method: 'GET', pattern: '/api/hq/plans/:planId/status', handle: status },
  { method: 'GET', pattern: '/api/hq/plans/:planId/summary', handle: summary },
  { method: 'GET', pattern: '/api/hq/plans/:planId/aspects/:aspectId', handle: aspect },
  { method: 'GET', pattern: '/api/hq/plans/:planId/tasks/:taskId/timeline', handle: timeline },
  { method: 'GET', pattern: REPORT, handle: report },
  { method: 'POST', pattern: `${REPORT}/accept`, handle: decide('accept') },
  { method: 'POST', pattern: `${REPORT}/return`, handle: decide('return') },
  { method: 'GET', pattern: '/api/hq/plans/:planId/findings', handle: findings },
  { method: 'GET', pattern: '/api/hq/plans/:planId/findings/:findingId', handle: finding },
  { method: 'POST', pattern: '/api/hq/plans/:planId/findings/:findingId', handle: actOn },
];

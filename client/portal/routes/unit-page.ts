/**
 * A unit's page for a plan: the link's landing page, continue (link traded for a session cookie), the page of all the
 * unit's reports, and one POST that submits several of them, each recorded or refused on its own. Plan and unit come
 * only from the verified link or cookie; the form names only task and quarter, and only the unit's own are accepted.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { awaitRecordedRevision, latestReports, planStatus, submitReport, UserError } from '../../plans.js';
import { findingsOf } from '../../findings.js';
import { byUrgency } from '../findings-data.js';
import { periodsOf } from '../../../workflows/calendar/index.js';
import type { Plan } from '../../../workflows/contract/plan.js';
import type { Refusal } from '../../../workflows/contract/refusals.js';
import type { Revision } from '../../../workflows/contract/status.js';
import { signToken, verifyToken, type TokenPayload } from '../../../security/tokens.js';
import type { Ctx } from '../context.js';
import { HttpError, parseCookies, parseForm, readBody, redirect, requireMediaType, sendHtml, setCookie } from '../http.js';
import { catalogueFor } from '../i18n.js';
import { planIfKnown, refusalStatus, sayRefusal, speakPlan } from '../plan-data.js';
import { FORM_FIELDS, refusalErrors, reportInput, schemaErrors, valuesFromRevision, type FormErrors, type FormValues } from '../report-form.js';
import type { Route } from '../router.js';
import { requireSameOrigin } from '../same-origin.js';
import { csrfToken, sameSecret, signedPlanOf, verified } from '../sessions.js';
import { unitReports, type UnitReport } from '../unit-reports.js';
import { unitLandingPage, unitPage, type Outcome, type ReportFormView, type ReportRow } from '../views/unit-page.js';

/** The unit's session cookie: a unit-session token. */
export const UNIT_COOKIE = 'rc_unit';

/** The unit a unit's link or session is for. */
export interface UnitScope {
  plan: string;
  unit: string;
}

/** The most reports one POST may carry (a unit has at most a few tasks × quarters open at once). */
const MAX_REPORTS = 200;

const nonEmpty = (s: unknown): s is string => typeof s === 'string' && s.length > 0 && s.length <= 200;

/** The unit scope of a verified payload, or null when it does not name one unit (and nothing narrower). */
export function unitScopeOf(p: TokenPayload): UnitScope | null {
  if (!nonEmpty(p.plan) || !nonEmpty(p.unit) || p.task !== undefined || p.period !== undefined || p.leader !== undefined) return null;
  return { plan: p.plan, unit: p.unit };
}

/** A unit-session token with the link's scope, valid for `minutes` (a random id makes each its own, as sessions.ts does). */
export function issueUnitSession(ctx: Ctx, scope: UnitScope, now = Date.now()): string {
  const payload = { p: 'unit-session' as const, plan: scope.plan, unit: scope.unit, exp: Math.floor(now / 1000) + Math.round(ctx.portal.sessionMinutes * 60), sid: randomBytes(12).toString('base64url') };
  return signToken(ctx.portal.ring, payload);
}

/** The plan a refused token was signed for (ours only, expired or not), to refuse in its language. */
function signedPlan(ctx: Ctx, token: string): string | undefined {
  for (const purpose of ['unit-link', 'unit-session'] as const) {
    const v = verifyToken(ctx.portal.ring, token, purpose, 0);
    if (v.ok) return v.payload.plan;
  }
  return signedPlanOf(ctx.portal.ring, token);
}

/** The plan and unit of a verified scope, or a 403 (in the plan's language when its signature is ours). */
async function scopedUnit(ctx: Ctx, scope: UnitScope | null, token: string, kind: 'invalidLink' | 'sessionEnded') {
  const plan = await planIfKnown(ctx.portal.db, scope?.plan ?? signedPlan(ctx, token));
  ctx.c = catalogueFor(plan?.locale);
  if (plan) speakPlan(ctx, plan);
  const unit = scope && plan?.units.find((u) => u.id === scope.unit);
  if (!scope || !plan || !unit) throw new HttpError(403, kind);
  return { scope, plan, unitName: unit.name };
}

async function fromLink(ctx: Ctx, token: string) {
  const payload = verified(ctx.portal.ring, token, 'unit-link');
  return scopedUnit(ctx, payload && unitScopeOf(payload), token, 'invalidLink');
}

async function fromSession(ctx: Ctx) {
  const cookie = parseCookies(ctx.req).get(UNIT_COOKIE) ?? '';
  const payload = verified(ctx.portal.ring, cookie, 'unit-session');
  return { cookie, ...(await scopedUnit(ctx, payload && unitScopeOf(payload), cookie, 'sessionEnded')) };
}

/** GET /u/<token>: says whose page the link opens; changes nothing and sets no cookie. */
async function landing(ctx: Ctx, params: Record<string, string>): Promise<void> {
  const { plan, unitName } = await fromLink(ctx, params.token);
  sendHtml(ctx.res, 200, unitLandingPage(ctx.c, unitName, plan.title, params.token));
}

/** POST /u/continue: verifies the link again and trades it for a session cookie with the same scope. */
async function continueWithLink(ctx: Ctx): Promise<void> {
  requireSameOrigin(ctx.req, ctx.portal.publicUrl);
  requireMediaType(ctx.req, 'application/x-www-form-urlencoded');
  const fields = parseForm(await readBody(ctx.req, ctx.portal.maxBodyBytes));
  const { scope } = await fromLink(ctx, fields.get('token') ?? '');
  const cookie = setCookie(UNIT_COOKIE, issueUnitSession(ctx, scope), { maxAgeSeconds: ctx.portal.sessionMinutes * 60, secure: ctx.portal.secureCookies });
  redirect(ctx.res, '/unit', { 'Set-Cookie': cookie });
}

/**
 * The values each open report's form starts with: its own latest revision, else that of the latest earlier quarter
 * (the single form's rule); one indexed query per task.
 */
async function prefills(ctx: Ctx, plan: Plan, unitId: string, open: UnitReport[]): Promise<Map<string, { revision?: Revision; from?: string }>> {
  const out = new Map<string, { revision?: Revision; from?: string }>();
  const quarters = periodsOf(plan.start, plan.end).map((p) => p.id);
  for (const taskId of new Set(open.map((r) => r.taskId))) {
    const latest = await latestReports(ctx.portal.db, plan.id, taskId, unitId, quarters);
    for (const r of open.filter((x) => x.taskId === taskId)) {
      const period = r.status.period;
      const earlier = [...latest.keys()].filter((id) => id < period).sort().at(-1);
      out.set(`${taskId}|${period}`, latest.has(period) ? { revision: latest.get(period) } : earlier ? { revision: latest.get(earlier), from: earlier } : {});
    }
  }
  return out;
}

/** What this POST left to show for one report: its outcome, and the form as sent while it was not recorded. */
interface Sent {
  outcome: Outcome;
  form?: { values: FormValues; requestId: string; errors: FormErrors };
}

async function showPage(ctx: Ctx, s: { cookie: string; scope: UnitScope; plan: Plan; unitName: string }, status = 200, sent = new Map<string, Sent>(), general?: string): Promise<void> {
  const now = Date.now();
  // The unit's tasks only: a constant number of indexed queries, whatever the size of the plan.
  const reports = unitReports(s.plan, await planStatus(ctx.portal.db, s.plan.id, { unitId: s.scope.unit }, now), new Set([s.scope.unit]), now);
  const pre = await prefills(ctx, s.plan, s.scope.unit, reports.filter((r) => r.open));
  let index = 0;
  const rows: ReportRow[] = reports.map((report) => {
    const key = `${report.taskId}|${report.status.period}`;
    const mine = sent.get(key);
    if (!report.open) return { report, outcome: mine?.outcome };
    const p = pre.get(key) ?? {};
    const form: ReportFormView = mine?.form
      ? { index: ++index, values: mine.form.values, requestId: mine.form.requestId, send: true, errors: mine.form.errors }
      : { index: ++index, values: valuesFromRevision(p.revision), requestId: randomUUID(), send: false, prefilledFrom: p.from };
    return { report, outcome: mine?.outcome, form };
  });
  const csrf = csrfToken(ctx.portal.secret, 'unit', s.cookie);
  // The unit's findings, overdue first, each linking to its page (read with its unit's records only).
  const findings = s.plan.inspections?.rounds.length ? { plan: s.plan, list: byUrgency(s.plan, await findingsOf(ctx.portal.db, s.plan, { unitId: s.scope.unit }, now)), now } : undefined;
  sendHtml(ctx.res, status, unitPage(ctx.c, { planTitle: s.plan.title, unitName: s.unitName, timezone: s.plan.timezone, rows, csrf, general, findings }));
}

/** GET /unit: every report of the session's unit, open ones first, with a form for each open one. */
async function view(ctx: Ctx): Promise<void> {
  await showPage(ctx, await fromSession(ctx));
}

/** One report as the form sent it: its number on the page and its fields without the `r<n>.` prefix. */
interface Posted {
  index: number;
  fields: Map<string, string>;
}

/** The posted reports by their number on the page; fields outside `r<n>.<name>` (but csrf) are a 400. */
function postedReports(fields: Map<string, string>): Posted[] {
  const byIndex = new Map<number, Map<string, string>>();
  for (const [name, value] of fields) {
    if (name === 'csrf') continue;
    const m = /^r([1-9]\d{0,3})\.([A-Za-z]{1,20})$/.exec(name);
    if (!m) throw new HttpError(400, 'badRequest', `the field "${name.slice(0, 40)}" is not one of this form's`, name.slice(0, 40));
    const n = Number(m[1]);
    if (!byIndex.has(n)) byIndex.set(n, new Map());
    byIndex.get(n)!.set(m[2], value);
  }
  if (byIndex.size > MAX_REPORTS) throw new HttpError(400, 'badRequest', `at most ${MAX_REPORTS} reports can be sent at once`);
  return [...byIndex].sort((a, b) => a[0] - b[0]).map(([index, f]) => ({ index, fields: f }));
}

/** The form's values of one posted report (the single form's rule: unknown fields are ignored). */
function valuesOf(fields: Map<string, string>): FormValues {
  const get = (k: string) => (fields.get(k) ?? '').replace(/\r\n/g, '\n');
  const v = Object.fromEntries(FORM_FIELDS.map((k) => [k, get(k)])) as FormValues;
  return { ...v, progress: v.progress.trim(), submittedBy: v.submittedBy.trim() };
}

/** A report's errors as sentences for its line of the table, each field's named by its label. */
function sentences(ctx: Ctx, e: FormErrors): string[] {
  const c = ctx.c;
  const labels: Record<string, string> = { ...Object.fromEntries(FORM_FIELDS.map((f) => [f, c.form[f]])), taskId: c.common.task, unitId: c.common.unit, period: c.common.quarter };
  return [...Object.entries(e.fields).map(([f, text]) => `${labels[f] ?? f}${c.unitPage.sep}${text}`), ...e.general, ...(e.engineDown ? [e.engineDown] : [])];
}

/**
 * POST /unit: origin, session, type and CSRF as the single form; every ticked report must be one of the unit's
 * (its task and a quarter of the plan; a field naming any other unit refuses the whole form, which changes nothing);
 * then each is validated and submitted on its own, with its own request id.
 */
async function postReports(ctx: Ctx): Promise<void> {
  requireSameOrigin(ctx.req, ctx.portal.publicUrl);
  const s = await fromSession(ctx);
  requireMediaType(ctx.req, 'application/x-www-form-urlencoded');
  const fields = parseForm(await readBody(ctx.req, ctx.portal.maxBodyBytes));
  if (!sameSecret(fields.get('csrf') ?? '', csrfToken(ctx.portal.secret, 'unit', s.cookie))) throw new HttpError(403, 'forbidden', 'the form is out of date');
  const posted = postedReports(fields).filter((r) => r.fields.get('send') === '1');
  const quarters = new Set(periodsOf(s.plan.start, s.plan.end).map((p) => p.id));
  const seen = new Set<string>();
  for (const r of posted) {
    const task = s.plan.tasks.find((t) => t.id === r.fields.get('task'));
    const period = r.fields.get('period') ?? '';
    const otherUnit = ['unit', 'unitId'].some((k) => r.fields.has(k) && r.fields.get(k) !== s.scope.unit);
    const key = `${task?.id}|${period}`;
    if (!task || !task.units.includes(s.scope.unit) || !quarters.has(period) || otherUnit || seen.has(key)) throw new HttpError(403, 'forbidden', ctx.c.unitPage.outOfScope(r.index));
    seen.add(key);
  }
  if (!posted.length) return showPage(ctx, s, 400, new Map(), ctx.c.unitPage.nothingTicked);
  const say = (r: Refusal) => sayRefusal(ctx, r);
  const results = await Promise.all(
    posted.map(async (r): Promise<[string, Sent, number]> => {
      const scope = { plan: s.plan.id, task: r.fields.get('task')!, unit: s.scope.unit, period: r.fields.get('period')! };
      const key = `${scope.task}|${scope.period}`;
      const values = valuesOf(r.fields);
      const requestId = r.fields.get('requestId') ?? '';
      const input = reportInput(scope, values, requestId);
      const invalid = schemaErrors(input, ctx.c.form.invalid);
      const refused = (errors: FormErrors, status: number): [string, Sent, number] => [key, { outcome: { refused: sentences(ctx, errors) }, form: { values, requestId, errors } }, status];
      if (invalid) return refused(invalid, 400);
      try {
        const receipt = await submitReport(ctx.portal.engine, s.plan.id, input);
        // Read your own write: the page then lists this report as submitted.
        await awaitRecordedRevision(ctx.portal.db, s.plan.id, { ...receipt }, 2_000).catch(() => false);
        return [key, { outcome: { receipt } }, 200];
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        return refused(refusalErrors(err.refusals, say), refusalStatus(err).status);
      }
    }),
  );
  // Anything recorded makes it a 200 (the page shows each outcome); when nothing was, the most serious refusal's status.
  const statuses = results.map(([, , st]) => st);
  const status = [200, 503, 404, 409, 400].find((st) => statuses.includes(st)) ?? statuses[0];
  await showPage(ctx, s, status, new Map(results.map(([k, sent]) => [k, sent])));
}

/** The unit page's routes. */
export const unitPageRoutes: Route<Ctx>[] = [
  { method: 'GET', pattern: '/u/:token', handle: landing },
  { method: 'POST', pattern: '/u/continue', handle: continueWithLink },
  { method: 'GET', pattern: '/unit', handle: view },
  { method: 'POST', pattern: '/unit', handle: postReports },
];

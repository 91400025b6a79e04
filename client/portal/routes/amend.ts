/**
 * Headquarters amends a running plan from the dashboard (docs/AMENDMENTS.md): the whole plan file, uploaded or pasted,
 * read as `plan amend` reads it (client/plan-file.ts), previewed as `plan amend --dry-run` previews it (client/amend.ts),
 * every problem located and said in the plan's language; a confirmation applies it, once per file and reason. And the
 * version history.
 */
import type { Plan } from '../../../workflows/contract/plan.js';
import { amendPlan, type AmendOutcome } from '../../amend.js';
import { checkPlanText, planFormatOf, type PlanFormat } from '../../plan-file.js';
import { UserError } from '../../plans.js';
import { planHistory } from '../../../store/versions.js';
import type { Ctx } from '../context.js';
import type { HqProof } from '../hq-auth.js';
import { HttpError, readBody, requireMediaType, sendHtml, utf8 } from '../http.js';
import { planIssueSentence } from '../i18n.js';
import { loadPlan, refusalStatus, sayRefusal, speakPlan } from '../plan-data.js';
import type { Route } from '../router.js';
import { requireSameOrigin } from '../same-origin.js';
import { sameSecret } from '../sessions.js';
import { amendedPage, amendPage, historyPage, type AmendFields, type AmendPageView, type Located, type PostedPlan } from '../views/amend.js';
import { nav } from '../views/hq.js';
import { requireHq } from './hq.js';

/**
 * The largest amend form accepted: the file and the pasted text together, with the form's own fields. A province's
 * plan is about 1.2 MB as JSON (and an Update's input at most 2 MB); larger plans are amended with the CLI.
 */
export const MAX_AMEND_FORM_BYTES = 4 * 1024 * 1024;
const MAX_SAID = '4 MB';

/** The fields of a posted amend form (multipart/form-data, so that a file can come with it), after the CSRF check. */
interface PostedForm {
  fields: AmendFields;
  /** The version in force the confirmed preview was of (the confirmation only). */
  version?: number;
}

/** Reads a posted amend form: origin, type, size (a 413 in the plan's words), each field once, and the CSRF token. */
async function readAmendForm(ctx: Ctx, proof: HqProof): Promise<PostedForm> {
  requireMediaType(ctx.req, 'multipart/form-data');
  let body: Buffer;
  try {
    body = await readBody(ctx.req, MAX_AMEND_FORM_BYTES);
  } catch (err) {
    if (err instanceof HttpError && err.status === 413) throw new HttpError(413, 'tooLarge', ctx.c.amend.tooLarge(MAX_SAID), 'plan', err.headers);
    throw err;
  }
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(body), { headers: { 'content-type': String(ctx.req.headers['content-type']) } }).formData();
  } catch {
    throw new HttpError(400, 'badRequest', ctx.c.amend.badForm);
  }
  for (const name of new Set(form.keys())) {
    if (form.getAll(name).length > 1) throw new HttpError(400, 'badRequest', `the field "${name.slice(0, 40)}" is given twice`, name.slice(0, 40));
  }
  const text = (name: string) => {
    const v = form.get(name);
    return typeof v === 'string' ? v : '';
  };
  if (!sameSecret(text('csrf'), ctx.portal.hq.csrf(proof))) throw new HttpError(403, 'forbidden', 'the form is out of date');
  const fields: AmendFields = { reason: text('reason'), by: text('by') };
  const file = form.get('file');
  if (file && typeof file !== 'string' && (file.size > 0 || file.name)) {
    let source: string;
    try {
      source = utf8(Buffer.from(await file.arrayBuffer()));
    } catch {
      throw new HttpError(400, 'badRequest', ctx.c.amend.notText, 'file');
    }
    fields.plan = { text: source, format: planFormatOf(file.name), name: file.name || ctx.c.amend.pasted };
  } else if (text('plan').trim()) {
    // Pasted (or carried by the confirmation): read as posted, else as JSON when it looks like JSON, else as YAML.
    const posted = text('format');
    const format: PlanFormat = posted === 'json' || posted === 'yaml' ? posted : text('plan').trimStart().startsWith('{') ? 'json' : 'yaml';
    fields.plan = { text: text('plan'), format, name: text('name') || ctx.c.amend.pasted };
  }
  const version = Number(text('version'));
  return { fields, ...(Number.isInteger(version) && version > 0 ? { version } : {}) };
}

/** Where an amendment stands before it is applied: problems (with the page's status), already applied, or a preview. */
type Assessment = { status: number; problems: AmendPageView['problems'] } | { duplicate: AmendOutcome } | { preview: AmendOutcome; plan: Plan };

/** The plan read and validated like a new plan, then dry-run against the version in force, as `plan amend --dry-run` does. */
async function assess(ctx: Ctx, planId: string, fields: AmendFields): Promise<Assessment> {
  const c = ctx.c.amend;
  const form: Located[] = [];
  if (!fields.plan) form.push({ field: 'plan', message: c.noPlan });
  if (!fields.reason.trim()) form.push({ field: 'reason', message: c.noReason });
  if (form.length) return { status: 400, problems: { heading: c.refused, items: form } };
  const posted = fields.plan!;
  const checked = checkPlanText(posted.text, posted.format);
  // Every problem at its path, in the plan's language (the CLI's English: client/plan-file.ts).
  if (!checked.ok) return { status: 400, problems: { heading: c.fileProblems(posted.name), items: checked.issues.map((i) => ({ field: i.path, message: planIssueSentence(ctx.c, i) })) } };
  try {
    const outcome = await amendPlan({ db: ctx.portal.db }, planId, checked.plan, { reason: fields.reason, by: fields.by.trim() || undefined, dryRun: true });
    return outcome.duplicate ? { duplicate: outcome } : { preview: outcome, plan: checked.plan };
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    return refused(ctx, err);
  }
}

/** A refusal of the client API as the page shows it: every refusal by its field, in the plan's words. */
function refused(ctx: Ctx, err: UserError): { status: number; problems: AmendPageView['problems'] } {
  const items = err.refusals.length ? err.refusals.map((r) => ({ field: r.field, message: sayRefusal(ctx, r) })) : [{ field: '', message: err.message }];
  return { status: refusalStatus(err).status, problems: { heading: ctx.c.amend.refused, items } };
}

/** The plan (in force) whose pages these are, the request speaking its language. */
async function planOf(ctx: Ctx, planId: string): Promise<Plan> {
  const p = await loadPlan(ctx.portal.db, planId);
  speakPlan(ctx, p);
  return p;
}

function show(ctx: Ctx, proof: HqProof, plan: Plan, status: number, view: Omit<AmendPageView, 'plan' | 'csrf'>): void {
  const csrf = ctx.portal.hq.csrf(proof);
  sendHtml(ctx.res, status, amendPage(ctx.c, nav(ctx.c, csrf, plan), { plan, csrf, ...view }));
}

async function form(ctx: Ctx, params: Record<string, string>): Promise<void> {
  const proof = await requireHq(ctx);
  const plan = await planOf(ctx, params.planId);
  show(ctx, proof, plan, 200, { fields: { reason: '', by: '' } });
}

/** The preview: the difference in words and the notices that move, or every problem; already applied says so. */
async function preview(ctx: Ctx, params: Record<string, string>): Promise<void> {
  requireSameOrigin(ctx.req, ctx.portal.publicUrl);
  const proof = await requireHq(ctx);
  const plan = await planOf(ctx, params.planId);
  const { fields } = await readAmendForm(ctx, proof);
  const a = await assess(ctx, plan.id, fields);
  if ('duplicate' in a) return sendHtml(ctx.res, 200, amendedPage(ctx.c, nav(ctx.c, ctx.portal.hq.csrf(proof), plan), plan, a.duplicate));
  if ('problems' in a) return show(ctx, proof, plan, a.status, { fields, problems: a.problems });
  show(ctx, proof, plan, 200, { fields, preview: a.preview });
}

/**
 * The confirmation: checked again against the version in force now; applied when that is still the version the
 * preview was of (else the new preview is shown); the same file and reason again say that nothing changed.
 */
async function apply(ctx: Ctx, params: Record<string, string>): Promise<void> {
  requireSameOrigin(ctx.req, ctx.portal.publicUrl);
  const proof = await requireHq(ctx);
  const plan = await planOf(ctx, params.planId);
  const { fields, version } = await readAmendForm(ctx, proof);
  const a = await assess(ctx, plan.id, fields);
  const navHtml = nav(ctx.c, ctx.portal.hq.csrf(proof), plan);
  if ('duplicate' in a) return sendHtml(ctx.res, 200, amendedPage(ctx.c, navHtml, plan, a.duplicate));
  if ('problems' in a) return show(ctx, proof, plan, a.status, { fields, problems: a.problems });
  if (version !== a.preview.previousVersion) {
    return show(ctx, proof, plan, 409, { fields, preview: a.preview, notice: ctx.c.amend.stale(version ?? 0, a.preview.previousVersion) });
  }
  try {
    const outcome = await amendPlan(ctx.portal.engine, plan.id, a.plan, { reason: fields.reason, by: fields.by.trim() || undefined });
    sendHtml(ctx.res, 200, amendedPage(ctx.c, navHtml, plan, outcome));
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    // Not applied (the engine did not answer, or refused it meanwhile): the preview stays, to confirm again.
    const r = refused(ctx, err);
    show(ctx, proof, plan, r.status, { fields, preview: a.preview, problems: r.problems });
  }
}

/** Every version of the plan, newest first. */
async function history(ctx: Ctx, params: Record<string, string>): Promise<void> {
  const proof = await requireHq(ctx);
  const plan = await planOf(ctx, params.planId);
  const entries = await planHistory(ctx.portal.db, plan.id);
  sendHtml(ctx.res, 200, historyPage(ctx.c, nav(ctx.c, ctx.portal.hq.csrf(proof), plan), plan, entries));
}

/** The amendment pages of headquarters. */
export const amendRoutes: Route<Ctx>[] = [
  { method: 'GET', pattern: '/hq/plans/:planId/amend', handle: form },
  { method: 'POST', pattern: '/hq/plans/:planId/amend', handle: preview },
  { method: 'POST', pattern: '/hq/plans/:planId/amend/apply', handle: apply },
  { method: 'GET', pattern: '/hq/plans/:planId/versions', handle: history },
];

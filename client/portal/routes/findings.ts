/**
 * The finding pages of units and verifier units. A unit's finding link (`/f/<token>`, one plan, unit and finding) and
 * a verifier's link (`/v/<token>`, one plan and verifier unit) land, continue into a short-lived session cookie as
 * the unit's page does, and every page and form takes plan, unit and finding from the verified cookie alone: a unit
 * acts on its own findings (its finding session, or its unit page's session), a verifier on exactly those it verifies.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { actOnFinding, findingLife, findingsOf } from '../../findings.js';
import { UserError } from '../../plans.js';
import { findingRecordOf } from '../../../store/findings-dashboard.js';
import type { FindingReceipt, FindingRecord, FindingStatus } from '../../../workflows/contract/finding.js';
import type { Plan } from '../../../workflows/contract/plan.js';
import type { Refusal } from '../../../workflows/contract/refusals.js';
import { plannedFindings } from '../../../workflows/findings/record.js';
import { signToken, verifyToken, type Purpose, type TokenPayload } from '../../../security/tokens.js';
import type { Ctx } from '../context.js';
import { allowedDeciders, byUrgency, findingFormErrors, findingRefusalErrors, linksOf, pendingClaim, recheckAwaited, verifierFindings, type FindingFormErrors } from '../findings-data.js';
import { HttpError, parseCookies, parseForm, readBody, redirect, requireMediaType, sendHtml, setCookie } from '../http.js';
import { catalogueFor } from '../i18n.js';
import { planIfKnown, refusalStatus, sayRefusal, speakPlan } from '../plan-data.js';
import type { Route } from '../router.js';
import { requireSameOrigin } from '../same-origin.js';
import { csrfToken, sameSecret, signedPlanOf, verified } from '../sessions.js';
import { findingLandingPage, findingPage, findingPaths, localDay, verifierLandingPage, verifierPage, type DecisionForms, type FindingOutcome, type FormState, type VerifierItem } from '../views/findings.js';
import { UNIT_COOKIE, unitScopeOf } from './unit-page.js';

/** A unit's finding session cookie: a finding-session token for one finding. */
export const FINDING_COOKIE = 'rc_finding';
/** A verifier unit's session cookie: a verifier-session token. */
export const VERIFIER_COOKIE = 'rc_verifier';

/** The one finding a unit's finding link or session is for. */
export interface FindingScope {
  plan: string;
  unit: string;
  finding: string;
}

/** The verifier unit a verifier's link or session is for. */
export interface VerifierScope {
  plan: string;
  verifier: string;
}

const nonEmpty = (s: unknown): s is string => typeof s === 'string' && s.length > 0 && s.length <= 200;

/** The finding scope of a verified payload, or null when it does not name exactly one unit's finding. */
export function findingScopeOf(p: TokenPayload): FindingScope | null {
  if (!nonEmpty(p.plan) || !nonEmpty(p.unit) || !nonEmpty(p.finding) || p.task !== undefined || p.period !== undefined || p.leader !== undefined || p.verifier !== undefined) return null;
  return { plan: p.plan, unit: p.unit, finding: p.finding };
}

/** The verifier scope of a verified payload, or null when it does not name one verifier (and nothing narrower). */
export function verifierScopeOf(p: TokenPayload): VerifierScope | null {
  if (!nonEmpty(p.plan) || !nonEmpty(p.verifier) || p.unit !== undefined || p.task !== undefined || p.period !== undefined || p.leader !== undefined || p.finding !== undefined) return null;
  return { plan: p.plan, verifier: p.verifier };
}

function issueSession(ctx: Ctx, purpose: 'finding-session' | 'verifier-session', scope: FindingScope | VerifierScope, now = Date.now()): string {
  // A random id makes every session its own (and so its CSRF token), as sessions.ts does.
  const payload = { p: purpose, ...scope, exp: Math.floor(now / 1000) + Math.round(ctx.portal.sessionMinutes * 60), sid: randomBytes(12).toString('base64url') };
  return signToken(ctx.portal.ring, payload);
}

/** The plan a refused token was signed for (ours only, expired or not), to refuse in its language. */
function signedPlan(ctx: Ctx, token: string): string | undefined {
  for (const purpose of ['finding-link', 'finding-session', 'verifier-link', 'verifier-session', 'unit-session'] as Purpose[]) {
    const v = verifyToken(ctx.portal.ring, token, purpose, 0);
    if (v.ok) return v.payload.plan;
  }
  return signedPlanOf(ctx.portal.ring, token);
}

/** The plan of a token (verified or only ours), in whose language the request is then answered; null if unknown. */
async function planOf(ctx: Ctx, planId: string | undefined, token: string): Promise<Plan | undefined> {
  const plan = await planIfKnown(ctx.portal.db, planId ?? signedPlan(ctx, token));
  ctx.c = catalogueFor(plan?.locale);
  if (plan) speakPlan(ctx, plan);
  return plan;
}

const findingOf = (plan: Plan, id: string) => plannedFindings(plan).find((p) => p.finding.id === id);
const unitNameOf = (plan: Plan, id: string) => plan.units.find((u) => u.id === id)?.name;

/** The plan, unit and finding of a unit's finding link; a 403 unless it names a finding of that unit in a known plan. */
async function fromFindingLink(ctx: Ctx, token: string) {
  const payload = verified(ctx.portal.ring, token, 'finding-link');
  const scope = payload && findingScopeOf(payload);
  const plan = await planOf(ctx, scope?.plan, token);
  const planned = scope && plan && findingOf(plan, scope.finding);
  const unitName = scope && plan && unitNameOf(plan, scope.unit);
  if (!scope || !plan || !planned || !unitName || planned.finding.unit !== scope.unit) throw new HttpError(403, 'invalidLink');
  return { scope, plan, unitName, title: planned.finding.title };
}

/** The plan and verifier of a verifier's link; a 403 unless it names a unit of a known plan. */
async function fromVerifierLink(ctx: Ctx, token: string) {
  const payload = verified(ctx.portal.ring, token, 'verifier-link');
  const scope = payload && verifierScopeOf(payload);
  const plan = await planOf(ctx, scope?.plan, token);
  const unitName = scope && plan && unitNameOf(plan, scope.verifier);
  if (!scope || !plan || !unitName) throw new HttpError(403, 'invalidLink');
  return { scope, plan, unitName };
}

/**
 * The session that lets a unit act on `findingId`: its finding session for exactly that finding, else its unit page's
 * session when the finding is the unit's. A valid session for anything else is a 403 that says so; none is a 403 too.
 */
async function unitFindingSession(ctx: Ctx, findingId: string) {
  const jar = parseCookies(ctx.req);
  const findingCookie = jar.get(FINDING_COOKIE) ?? '';
  const unitCookie = jar.get(UNIT_COOKIE) ?? '';
  const fp = verified(ctx.portal.ring, findingCookie, 'finding-session');
  const fs = fp && findingScopeOf(fp);
  const up = verified(ctx.portal.ring, unitCookie, 'unit-session');
  const us = up && unitScopeOf(up);
  const candidates = [
    ...(fs && fs.finding === findingId ? [{ cookie: findingCookie, plan: fs.plan, unit: fs.unit }] : []),
    ...(us ? [{ cookie: unitCookie, plan: us.plan, unit: us.unit }] : []),
  ];
  for (const cand of candidates) {
    const plan = await planOf(ctx, cand.plan, cand.cookie);
    const planned = plan && findingOf(plan, findingId);
    const unitName = plan && unitNameOf(plan, cand.unit);
    if (plan && planned && unitName && planned.finding.unit === cand.unit) return { cookie: cand.cookie, plan, unit: cand.unit, unitName };
  }
  const anyPlan = fs?.plan ?? us?.plan;
  const plan = await planOf(ctx, anyPlan, findingCookie || unitCookie);
  if (plan && (fs || us)) throw new HttpError(403, 'forbidden', ctx.c.findings.notYours(findingId));
  throw new HttpError(403, 'sessionEnded');
}

/** The plan and verifier unit of the verifier session cookie, or a 403. */
async function verifierSession(ctx: Ctx) {
  const cookie = parseCookies(ctx.req).get(VERIFIER_COOKIE) ?? '';
  const payload = verified(ctx.portal.ring, cookie, 'verifier-session');
  const scope = payload && verifierScopeOf(payload);
  const plan = await planOf(ctx, scope?.plan, cookie);
  const unitName = scope && plan && unitNameOf(plan, scope.verifier);
  if (!scope || !plan || !unitName) throw new HttpError(403, 'sessionEnded');
  return { cookie, scope, plan, unitName };
}

/** Reads a posted finding form after the origin, type, size and CSRF checks (the CSRF token is bound to `cookie`). */
async function findingForm(ctx: Ctx, kind: string, cookie: string): Promise<Map<string, string>> {
  requireMediaType(ctx.req, 'application/x-www-form-urlencoded');
  const fields = parseForm(await readBody(ctx.req, ctx.portal.maxBodyBytes));
  if (!sameSecret(fields.get('csrf') ?? '', csrfToken(ctx.portal.secret, kind, cookie))) throw new HttpError(403, 'forbidden', 'the form is out of date');
  return fields;
}

/** The fields each action's form has (besides csrf, action and requestId). */
const ACTION_FIELDS = { claim: ['evidence', 'links', 'by'], progress: ['note', 'by'], accept: ['comment', 'by'], reject: ['reason', 'by'], recheck: ['result', 'comment', 'by'] } as const;
/** An action of a finding form. */
export type FormAction = keyof typeof ACTION_FIELDS;

/** The action of a posted form, if it is one of `allowed`; else a 400. */
function actionOf(fields: Map<string, string>, allowed: readonly FormAction[]): FormAction {
  const action = fields.get('action') ?? '';
  if (!(allowed as readonly string[]).includes(action)) throw new HttpError(400, 'badRequest', `the field "action" must be one of ${allowed.join(', ')}`, 'action');
  return action as FormAction;
}

/** The form's values as sent (line breaks normalised; fields the action's form does not have are ignored). */
function formValues(fields: Map<string, string>, action: FormAction): Record<string, string> {
  return Object.fromEntries(ACTION_FIELDS[action].map((k) => [k, (fields.get(k) ?? '').replace(/\r\n/g, '\n')]));
}

/** The action's input for the client API: the finding and actor come from the session, never from the form. */
function actionInput(action: FormAction, values: Record<string, string>, requestId: string, findingId: string, actor: string): Record<string, unknown> {
  const by = values.by?.trim();
  const input: Record<string, unknown> = { action, requestId, findingId, actor, ...(by ? { by } : {}) };
  if (action === 'claim') Object.assign(input, { evidence: values.evidence, links: linksOf(values.links ?? '') });
  if (action === 'progress') input.note = values.note;
  if (action === 'reject') input.reason = values.reason;
  if (action === 'recheck') input.result = values.result;
  if ((action === 'accept' || action === 'recheck') && values.comment?.trim()) input.comment = values.comment;
  return input;
}

/** A receipt in the plan's words. */
function receiptSentence(ctx: Ctx, r: FindingReceipt, status: FindingStatus, result?: string): string {
  const w = ctx.c.findings.receipt;
  const day = localDay(ctx.c, r.deadlineDay ?? status.deadlineDay);
  switch (r.action) {
    case 'claim':
      return w.claim(r.claim ?? status.claims);
    case 'progress':
      return w.progress;
    case 'accept':
      return w.accept(r.claim ?? status.claims);
    case 'reject':
      return w.reject(r.claim ?? status.claims, day);
    case 'recheck':
      return result === 'reopen' ? w.reopen(day) : w.pass;
  }
}

/** What one posted form did: its outcome, the HTTP status, and the form as sent while nothing was recorded. */
export interface Acted {
  action: FormAction;
  status: number;
  outcome: FindingOutcome;
  /** Set when nothing was recorded: the form to show again, with its values, request id and errors. */
  form?: FormState;
}

/** Validates and sends one finding action (the actor from the session); refusals come back as sentences, nothing thrown. */
export async function performAction(ctx: Ctx, plan: Plan, findingId: string, actor: string, fields: Map<string, string>, allowed: readonly FormAction[]): Promise<Acted> {
  const action = actionOf(fields, allowed);
  const values = formValues(fields, action);
  const requestId = fields.get('requestId') || randomUUID();
  const input = actionInput(action, values, requestId, findingId, actor);
  const say = (r: Refusal) => sayRefusal(ctx, r);
  const refused = (errors: FindingFormErrors, status: number): Acted => {
    const sentences = [...Object.values(errors.fields), ...errors.general, ...(errors.engineDown ? [errors.engineDown] : [])];
    return { action, status, outcome: { refused: sentences }, form: { requestId, values, errors } };
  };
  const invalid = findingFormErrors(ctx.c, input, say);
  if (invalid) return refused(invalid, 400);
  try {
    const receipt = await actOnFinding(ctx.portal.engine, plan.id, input);
    // The receipt comes after the workflow has written the action, so the page read next shows it.
    const unitId = findingOf(plan, findingId)?.finding.unit;
    const status = (await findingsOf(ctx.portal.db, plan, { unitId })).find((f) => f.findingId === findingId)!;
    return { action, status: 200, outcome: { said: receiptSentence(ctx, receipt, status, values.result), duplicate: receipt.duplicate } };
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    return refused(findingRefusalErrors(err.refusals, say), refusalStatus(err).status);
  }
}

/** A fresh form of `action`, or the one just sent (with its values and errors) when it was not recorded. */
function formFor(action: FormAction, acted: Acted | undefined): FormState {
  return acted?.form && acted.action === action ? acted.form : { requestId: randomUUID(), values: {} };
}

/** The decision forms of a finding for its verifier (or headquarters), keeping a refused form as it was sent. */
export function decisionFormsFor(path: string, csrf: string, record: FindingRecord | undefined, pending: { number: number } | undefined, acted?: Acted): DecisionForms {
  return { path, csrf, pending: pending?.number, recheck: recheckAwaited(record), accept: formFor('accept', acted), reject: formFor('reject', acted), recheckForm: formFor('recheck', acted) };
}

/** A wrongActor refusal in the plan's words: the finding is not one this verifier verifies. */
function wrongVerifier(ctx: Ctx, verifier: string, action: string, findingId: string, findingVerifier: string): HttpError {
  const r: Refusal = { field: 'actor', code: 'wrongActor', params: { actor: verifier, action, findingId, allowed: allowedDeciders(findingVerifier) } };
  const err = new HttpError(403, 'forbidden', sayRefusal(ctx, r), 'actor');
  err.refusals = [r];
  return err;
}

// --- The unit's finding page -------------------------------------------------------------------------------------

/** GET /f/<token>: says which finding the link opens; changes nothing and sets no cookie. */
async function findingLanding(ctx: Ctx, params: Record<string, string>): Promise<void> {
  const { scope, plan, unitName, title } = await fromFindingLink(ctx, params.token);
  sendHtml(ctx.res, 200, findingLandingPage(ctx.c, unitName, scope.finding, title, plan.title, params.token));
}

/** POST /f/continue: verifies the link again and trades it for a session cookie of that one finding. */
async function findingContinue(ctx: Ctx): Promise<void> {
  requireSameOrigin(ctx.req, ctx.portal.publicUrl);
  requireMediaType(ctx.req, 'application/x-www-form-urlencoded');
  const fields = parseForm(await readBody(ctx.req, ctx.portal.maxBodyBytes));
  const { scope } = await fromFindingLink(ctx, fields.get('token') ?? '');
  const cookie = setCookie(FINDING_COOKIE, issueSession(ctx, 'finding-session', scope), { maxAgeSeconds: ctx.portal.sessionMinutes * 60, secure: ctx.portal.secureCookies });
  redirect(ctx.res, findingPaths.unit(scope.finding), { 'Set-Cookie': cookie });
}

async function showFinding(ctx: Ctx, s: { cookie: string; plan: Plan }, findingId: string, acted?: Acted): Promise<void> {
  const now = Date.now();
  const [life, record] = await Promise.all([findingLife(ctx.portal.db, s.plan.id, findingId, now), findingRecordOf(ctx.portal.db, s.plan.id, findingId)]);
  const csrf = csrfToken(ctx.portal.secret, 'finding', s.cookie);
  sendHtml(
    ctx.res,
    acted?.status ?? 200,
    findingPage(ctx.c, {
      plan: s.plan,
      status: life.status,
      description: life.description,
      now,
      csrf,
      pending: pendingClaim(record, life.actions),
      claim: formFor('claim', acted),
      progress: formFor('progress', acted),
      outcome: acted?.outcome,
      actions: life.actions,
    }),
  );
}

/** GET /findings/<id>: the finding's facts, the claim awaiting a decision, and the progress and claim forms. */
async function findingView(ctx: Ctx, params: Record<string, string>): Promise<void> {
  await showFinding(ctx, await unitFindingSession(ctx, params.findingId), params.findingId);
}

/** POST /findings/<id>: a progress note or a claim of the session's unit on its own finding. */
async function findingAct(ctx: Ctx, params: Record<string, string>): Promise<void> {
  requireSameOrigin(ctx.req, ctx.portal.publicUrl);
  const s = await unitFindingSession(ctx, params.findingId);
  const fields = await findingForm(ctx, 'finding', s.cookie);
  const acted = await performAction(ctx, s.plan, params.findingId, s.unit, fields, ['claim', 'progress']);
  await showFinding(ctx, s, params.findingId, acted);
}

// --- The verifier's page -----------------------------------------------------------------------------------------

/** GET /v/<token>: says whose verifier page the link opens; changes nothing and sets no cookie. */
async function verifierLanding(ctx: Ctx, params: Record<string, string>): Promise<void> {
  const { plan, unitName } = await fromVerifierLink(ctx, params.token);
  sendHtml(ctx.res, 200, verifierLandingPage(ctx.c, unitName, plan.title, params.token));
}

/** POST /v/continue: verifies the link again and trades it for a verifier session cookie. */
async function verifierContinue(ctx: Ctx): Promise<void> {
  requireSameOrigin(ctx.req, ctx.portal.publicUrl);
  requireMediaType(ctx.req, 'application/x-www-form-urlencoded');
  const fields = parseForm(await readBody(ctx.req, ctx.portal.maxBodyBytes));
  const { scope } = await fromVerifierLink(ctx, fields.get('token') ?? '');
  const cookie = setCookie(VERIFIER_COOKIE, issueSession(ctx, 'verifier-session', scope), { maxAgeSeconds: ctx.portal.sessionMinutes * 60, secure: ctx.portal.secureCookies });
  redirect(ctx.res, findingPaths.verifier, { 'Set-Cookie': cookie });
}

async function showVerifier(ctx: Ctx, s: { cookie: string; scope: VerifierScope; plan: Plan; unitName: string }, acted?: { findingId: string; acted: Acted }): Promise<void> {
  const now = Date.now();
  const csrf = csrfToken(ctx.portal.secret, 'verifier', s.cookie);
  const mine = await verifierFindings(ctx.portal.db, s.plan, s.scope.verifier, byUrgency(s.plan, await findingsOf(ctx.portal.db, s.plan, {}, now)));
  const items: VerifierItem[] = [];
  for (const { status, record } of mine) {
    const waiting = record?.claims.some((c) => !c.decision) || recheckAwaited(record);
    // Only a claim awaiting a decision needs its evidence read; the others show their facts alone.
    const actions = waiting ? (await findingLife(ctx.portal.db, s.plan.id, status.findingId, now)).actions : [];
    const pending = pendingClaim(record, actions);
    const mineActed = acted?.findingId === status.findingId ? acted.acted : undefined;
    items.push({
      status,
      description: plannedFindings(s.plan).find((p) => p.finding.id === status.findingId)?.finding.description ?? null,
      pending,
      forms: decisionFormsFor(findingPaths.verifierAct(status.findingId), csrf, record, pending, mineActed),
      outcome: mineActed?.outcome,
    });
  }
  sendHtml(ctx.res, acted?.acted.status ?? 200, verifierPage(ctx.c, { plan: s.plan, unitName: s.unitName, now, items }));
}

/** GET /verify: exactly the findings the session's verifier unit verifies, with each claim's evidence and the forms. */
async function verifierView(ctx: Ctx): Promise<void> {
  await showVerifier(ctx, await verifierSession(ctx));
}

/** POST /verify/findings/<id>: accept, reject or answer the re-check of a finding this verifier verifies. */
async function verifierAct(ctx: Ctx, params: Record<string, string>): Promise<void> {
  requireSameOrigin(ctx.req, ctx.portal.publicUrl);
  const s = await verifierSession(ctx);
  const fields = await findingForm(ctx, 'verifier', s.cookie);
  const planned = findingOf(s.plan, params.findingId);
  if (!planned) throw new HttpError(404, 'notFound', sayRefusal(ctx, { field: 'findingId', code: 'unknownFinding', params: { findingId: params.findingId, planId: s.plan.id } }), 'findingId');
  // Exactly the findings it verifies: any other is refused here, before anything reaches the engine.
  if (planned.finding.verifier !== s.scope.verifier) throw wrongVerifier(ctx, s.scope.verifier, fields.get('action') ?? 'decide', params.findingId, planned.finding.verifier);
  const acted = await performAction(ctx, s.plan, params.findingId, s.scope.verifier, fields, ['accept', 'reject', 'recheck']);
  await showVerifier(ctx, s, { findingId: params.findingId, acted });
}

/** The finding pages' routes (units and verifier units). */
export const findingRoutes: Route<Ctx>[] = [
  { method: 'GET', pattern: '/f/:token', handle: findingLanding },
  { method: 'POST', pattern: '/f/continue', handle: findingContinue },
  { method: 'GET', pattern: '/findings/:findingId', handle: findingView },
  { method: 'POST', pattern: '/findings/:findingId', handle: findingAct },
  { method: 'GET', pattern: '/v/:token', handle: verifierLanding },
  { method: 'POST', pattern: '/v/continue', handle: verifierContinue },
  { method: 'GET', pattern: '/verify', handle: verifierView },
  { method: 'POST', pattern: '/verify/findings/:findingId', handle: verifierAct },
];

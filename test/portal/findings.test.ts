/**
 * Inspection findings in the portal over real HTTP, against a real dev server, worker and database: the signed links
 * finding notices carry, the unit's finding page and the verifier's page (landing, session, scope), the findings on a
 * unit's page, every refusal as a sentence in the plan's language that changes nothing, and headquarters' findings
 * dashboard with its coverage, timelines and decisions.
 */
import { describe, expect, test } from 'vitest';
import { findingsOf } from '../../client/findings.js';
import { runningPlan } from '../../client/plans.js';
import { findingActions } from '../../store/findings.js';
import { verifyToken } from '../../security/tokens.js';
import { token } from './harness.js';
import { HQ_CREDENTIAL, linkIn, linksIn, mailWithKey, signedLinkIn, useFindingsPortal } from './findings-harness.js';

const planId = `portal-findings-${process.pid}-${Date.now()}`;
const zhPlanId = `${planId}-zh`;
const h = useFindingsPortal('findings', [
  { id: planId },
  { id: zhPlanId, overrides: { locale: 'zh-CN', title: '督查计划' } },
]);

const FORM = 'application/x-www-form-urlencoded';
const BASIC = `Basic ${Buffer.from(`hq:${HQ_CREDENTIAL}`).toString('base64')}`;
const get = (path: string, headers: Record<string, string> = {}) => fetch(`${h.base}${path}`, { redirect: 'manual', headers });
const post = (path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${h.base}${path}`, { method: 'POST', redirect: 'manual', body: new URLSearchParams(body).toString(), headers: { 'content-type': FORM, origin: h.base, ...headers } });

const findingLink = (unit: string, finding: string, plan = planId) => token(h.ring, { p: 'finding-link', plan, unit, finding });
const verifierLink = (verifier: string, plan = planId) => token(h.ring, { p: 'verifier-link', plan, verifier });
const statusOf = async (findingId: string, plan = planId) => (await findingsOf(h.db, await runningPlan(h.db, plan))).find((f) => f.findingId === findingId)!;
const actionsOf = (findingId: string, plan = planId) => findingActions(h.db, plan, findingId);

/** Follows a link through its Continue; returns the session cookie (`name=value`). */
async function session(kind: 'f' | 'v', link: string, expectLocation: string): Promise<string> {
  const res = await post(`/${kind}/continue`, { token: link });
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe(expectLocation);
  const cookie = res.headers.getSetCookie()[0];
  expect(cookie).toMatch(new RegExp(`^rc_${kind === 'f' ? 'finding' : 'verifier'}=[A-Za-z0-9._-]+; Max-Age=3600; Path=/; HttpOnly; SameSite=Strict$`));
  return cookie.split(';')[0];
}

/** A page, and the CSRF token and request id of the form posting `action` (when the page has one). */
async function pageOf(path: string, headers: Record<string, string>, action?: string) {
  const res = await get(path, headers);
  const html = await res.text();
  const form = action ? new RegExp(`name="csrf" value="([^"]+)">\\n<input type="hidden" name="action" value="${action}">\\n<input type="hidden" name="requestId" value="([^"]+)">`).exec(html) : null;
  return { status: res.status, html, csrf: form?.[1] ?? /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '', requestId: form?.[2] ?? '' };
}

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\s+/g, ' ');

describe('the links in finding notices', () => {
  test('an assigned notice links the unit to exactly that finding and to its page; a claim links the verifier to its page', async () => {
    const mail = await mailWithKey(h, `${planId}/finding/f-alpha/finding-assigned/r1/1`);
    expect(mail.to).toEqual(['alpha@example.org']);
    const f = signedLinkIn(h, mail.parsed.text, 'finding-link', { plan: planId, unit: 'alpha', finding: 'f-alpha' });
    expect(f, 'the finding page link').toBeDefined();
    // Every finding link the message carries is alpha's, for a finding of alpha's.
    for (const l of linksIn(mail.parsed.text, h.base, '/f/')) {
      const p = verifyToken(h.ring, l.slice(l.lastIndexOf('/') + 1), 'finding-link');
      expect(p.ok && [p.payload.plan, p.payload.unit]).toEqual([planId, 'alpha']);
    }
    expect(linkIn(mail.parsed.text, h.base, '/u/'), "the unit's page link").toBeDefined();
    expect(linkIn(mail.parsed.text, h.base, '/v/')).toBeUndefined();
    // The landing page changes nothing and sets no cookie.
    const landing = await get(f!.slice(h.base.length));
    expect(landing.status).toBe(200);
    expect(landing.headers.getSetCookie()).toEqual([]);
    expect(text(await landing.text())).toContain('Alpha Office: the finding "Approvals <overdue> & late"');
    expect(h.logs.join('\n')).not.toContain(f!.slice(f!.lastIndexOf('/') + 1));
  });
});

describe("a unit's page lists its findings", () => {
  test("alpha's findings, with state, round, deadline day and lateness, each linking to its page; beta's overdue first", async () => {
    const alpha = await session('f', findingLink('alpha', 'f-alpha'), '/findings/f-alpha');
    expect(alpha.startsWith('rc_finding=')).toBe(true);
    const unitCookie = async (unit: string) => {
      const res = await post('/u/continue', { token: token(h.ring, { p: 'unit-link', plan: planId, unit }) });
      return res.headers.getSetCookie()[0].split(';')[0];
    };
    const page = await pageOf('/unit', { cookie: await unitCookie('alpha') });
    expect(page.status).toBe(200);
    const rows = [...page.html.matchAll(/<tr data-finding="([^"]+)" data-state="([^"]+)"><td><a href="([^"]+)">/g)].map((m) => [m[1], m[2], m[3]]);
    expect(rows).toEqual([
      ['f-alpha', 'open', '/findings/f-alpha'],
      ['f-hq', 'open', '/findings/f-hq'],
    ]);
    expect(page.html).toContain('Approvals &lt;overdue&gt; &amp; late');
    const beta = await pageOf('/unit', { cookie: await unitCookie('beta') });
    const betaRows = [...beta.html.matchAll(/<tr data-finding="([^"]+)" data-state="([^"]+)">(.*?)<\/tr>/g)].map((m) => [m[1], m[2], text(m[3]).trim()]);
    expect(betaRows.map((r) => r.slice(0, 2))).toEqual([
      ['f-overdue', 'overdue'],
      ['f-beta', 'open'],
    ]);
    expect(betaRows[0][2]).toMatch(/already 50 days late$/);
    expect(betaRows[1][2]).toMatch(/Not late$/);
    // The unit page's session opens the unit's own finding pages, not another unit's.
    expect((await get('/findings/f-beta', { cookie: await unitCookie('beta') })).status).toBe(200);
    expect((await get('/findings/f-alpha', { cookie: await unitCookie('beta') })).status).toBe(403);
  });
});

describe('refusals change nothing', () => {
  test('a claim without evidence: 400, the sentence next to the field, nothing recorded', async () => {
    const cookie = await session('f', findingLink('alpha', 'f-alpha'), '/findings/f-alpha');
    const page = await pageOf('/findings/f-alpha', { cookie }, 'claim');
    expect(page.status).toBe(200);
    const res = await post('/findings/f-alpha', { csrf: page.csrf, action: 'claim', requestId: page.requestId, evidence: ' \u200b ', links: 'https://example.org/a', by: 'Ann' }, { cookie });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('<p class="error" id="claim-evidence-error" data-field="evidence">A claim must describe the evidence of the rectification.</p>');
    // The form is shown again as it was sent, with the same request id.
    expect(html).toContain(`name="requestId" value="${page.requestId}"`);
    expect(html).toContain('https://example.org/a</textarea>');
    expect(await actionsOf('f-alpha')).toEqual([]);
    expect((await statusOf('f-alpha')).state).toBe('open');
  });

  test('a bad link in the claim: 400 naming the link, nothing recorded', async () => {
    const cookie = await session('f', findingLink('alpha', 'f-alpha'), '/findings/f-alpha');
    const page = await pageOf('/findings/f-alpha', { cookie }, 'claim');
    const res = await post('/findings/f-alpha', { csrf: page.csrf, action: 'claim', requestId: page.requestId, evidence: 'Done.', links: 'https://example.org/ok\njavascript:alert(1)' }, { cookie });
    expect(res.status).toBe(400);
    expect(text(await res.text())).toContain('Link 2: must be an http(s) address without spaces');
    expect(await actionsOf('f-alpha')).toEqual([]);
  });

  test('a tampered link, a link of another purpose, and another unit\'s link or session: 403, no cookie, nothing recorded', async () => {
    const good = findingLink('alpha', 'f-alpha');
    const [head, body, sig] = good.split('.');
    const tampered = `${head}.${Buffer.from(Buffer.from(body, 'base64url').toString('utf8').replace('"f-alpha"', '"f-hq"')).toString('base64url')}.${sig}`;
    for (const t of [tampered, `${good.slice(0, -2)}${good.endsWith('AA') ? 'BB' : 'AA'}`, verifierLink('beta'), token(h.ring, { p: 'unit-link', plan: planId, unit: 'alpha' }), findingLink('beta', 'f-alpha')]) {
      expect((await get(`/f/${t}`)).status, t).toBe(403);
      const res = await post('/f/continue', { token: t });
      expect(res.status).toBe(403);
      expect(res.headers.getSetCookie()).toEqual([]);
    }
    // Beta's session for its own finding opens nothing of alpha's, and its form is refused whole.
    const beta = await session('f', findingLink('beta', 'f-beta'), '/findings/f-beta');
    const own = await pageOf('/findings/f-beta', { cookie: beta }, 'claim');
    const view = await get('/findings/f-alpha', { cookie: beta });
    expect(view.status).toBe(403);
    expect(text(await view.text())).toContain("Finding f-alpha is not one of your unit's findings; nothing was sent.");
    const res = await post('/findings/f-alpha', { csrf: own.csrf, action: 'claim', requestId: own.requestId, evidence: 'Not ours.' }, { cookie: beta });
    expect(res.status).toBe(403);
    expect(await actionsOf('f-alpha')).toEqual([]);
    // A verifier's link does not open a unit's finding page, nor a finding link the verifier's page.
    expect((await get('/v/' + findingLink('alpha', 'f-alpha'))).status).toBe(403);
    expect((await get('/verify', { cookie: beta.replace('rc_finding', 'rc_verifier') })).status).toBe(403);
  });

  test('a form without its CSRF token or from another site: 403, nothing recorded', async () => {
    const cookie = await session('f', findingLink('alpha', 'f-alpha'), '/findings/f-alpha');
    const page = await pageOf('/findings/f-alpha', { cookie }, 'progress');
    const fields = { action: 'progress', requestId: page.requestId, note: 'Half done.' };
    expect((await post('/findings/f-alpha', fields, { cookie })).status).toBe(403);
    expect((await post('/findings/f-alpha', { ...fields, csrf: page.csrf }, { cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect(await actionsOf('f-alpha')).toEqual([]);
  });

  test('a rejection without a reason: 400, the sentence next to the field, the claim still awaits', async () => {
    const unit = await session('f', findingLink('alpha', 'f-alpha'), '/findings/f-alpha');
    const claim = await pageOf('/findings/f-alpha', { cookie: unit }, 'claim');
    expect((await post('/findings/f-alpha', { csrf: claim.csrf, action: 'claim', requestId: claim.requestId, evidence: 'Approvals <cleared>.', links: 'https://example.org/evidence?a=1&b=2' }, { cookie: unit })).status).toBe(200);
    // Claiming again while the claim awaits: 409, said as a sentence.
    const again = await post('/findings/f-alpha', { csrf: claim.csrf, action: 'claim', requestId: `${claim.requestId}-2`, evidence: 'Again.' }, { cookie: unit });
    expect(again.status).toBe(409);
    expect(text(await again.text())).toContain("Finding f-alpha is claimed: claim 1 awaits the verifier's decision.");
    const verifier = await session('v', verifierLink('beta'), '/verify');
    const page = await pageOf('/verify', { cookie: verifier }, 'reject');
    expect(page.html).toContain('Approvals &lt;cleared&gt;.');
    expect(page.html).toContain('<a href="https://example.org/evidence?a=1&amp;b=2" rel="noopener noreferrer">');
    const res = await post('/verify/findings/f-alpha', { csrf: page.csrf, action: 'reject', requestId: page.requestId, reason: '   ' }, { cookie: verifier });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('data-field="reason">A rejection must give its reason.</p>');
    expect((await statusOf('f-alpha')).state).toBe('claimed');
    expect((await actionsOf('f-alpha')).map((a) => a.action)).toEqual(['claim']);
    // The claim-received notice went to beta with the verifier page's link.
    const mail = await mailWithKey(h, `${planId}/finding/f-alpha/claim-received/r1/1`);
    expect(mail.to).toEqual(['beta@example.org', 'beta-desk@example.org']);
    const v = signedLinkIn(h, mail.parsed.text, 'verifier-link', { plan: planId, verifier: 'beta' })!;
    const payload = verifyToken(h.ring, v.slice(v.lastIndexOf('/') + 1), 'verifier-link');
    expect(payload.ok && { plan: payload.payload.plan, verifier: payload.payload.verifier, unit: payload.payload.unit }).toEqual({ plan: planId, verifier: 'beta', unit: undefined });
  });

  test('the wrong verifier: beta may not decide on f-beta (gamma verifies it), said as a sentence; nothing changes', async () => {
    // (After the test above: beta's page then has f-alpha's claim and its forms.)
    // Beta claims its own finding, so that a decision is awaited.
    const unit = await session('f', findingLink('beta', 'f-beta'), '/findings/f-beta');
    const claim = await pageOf('/findings/f-beta', { cookie: unit }, 'claim');
    const claimed = await post('/findings/f-beta', { csrf: claim.csrf, action: 'claim', requestId: claim.requestId, evidence: 'Plan written and approved.' }, { cookie: unit });
    expect(claimed.status).toBe(200);
    expect(text(await claimed.text())).toContain('Your claim was received (claim 1); the verifier has been notified.');
    const verifier = await session('v', verifierLink('beta'), '/verify');
    const page = await pageOf('/verify', { cookie: verifier }, 'accept');
    expect(page.status).toBe(200);
    // Beta's page lists exactly the findings beta verifies.
    expect([...page.html.matchAll(/<section class="verify" id="finding-([^"]+)"/g)].map((m) => m[1])).toEqual(['f-alpha']);
    const res = await post('/verify/findings/f-beta', { csrf: page.csrf, action: 'accept', requestId: 'wrong-verifier-1' }, { cookie: verifier });
    expect(res.status).toBe(403);
    expect(text(await res.text())).toContain('beta may not accept finding f-beta; only gamma or headquarters may.');
    expect((await statusOf('f-beta')).state).toBe('claimed');
    expect((await actionsOf('f-beta')).map((a) => a.action)).toEqual(['claim']);
    // Gamma, its verifier, sees the claim's evidence.
    const gamma = await session('v', verifierLink('gamma'), '/verify');
    expect(text((await pageOf('/verify', { cookie: gamma })).html)).toContain('Plan written and approved.');
  });

  test("in the plan's language: a claim without evidence on a zh-CN plan", async () => {
    const cookie = await session('f', findingLink('alpha', 'f-alpha', zhPlanId), '/findings/f-alpha');
    const page = await pageOf('/findings/f-alpha', { cookie }, 'claim');
    expect(page.html).toContain('<html lang="zh-CN">');
    const res = await post('/findings/f-alpha', { csrf: page.csrf, action: 'claim', requestId: page.requestId, evidence: '' }, { cookie });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('申请销号须说明整改佐证材料。');
    expect(await actionsOf('f-alpha', zhPlanId)).toEqual([]);
    // An expired link of the zh-CN plan is refused in Chinese (a forged one cannot choose a language).
    const expired = await get(`/f/${token(h.ring, { p: 'finding-link', plan: zhPlanId, unit: 'alpha', finding: 'f-alpha', exp: Math.floor(Date.now() / 1000) - 10 })}`);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('<html lang="zh-CN">');
  });
});

describe("headquarters' findings dashboard", () => {
  test('findings by round and unit, overdue first, and the coverage', async () => {
    const res = await get(`/hq/plans/${encodeURIComponent(planId)}/findings`, { authorization: BASIC });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/<div id="coverage" data-covered="2" data-targets="4">/);
    expect(text(html)).toContain('2 of 4 targets covered');
    expect([...html.matchAll(/<tr data-target="([^"]+)" data-covered="(true|false)">/g)].map((m) => [m[1], m[2]])).toEqual([
      ['c01', 'true'], ['c02', 'true'], ['c03', 'false'], ['c04', 'false'],
    ]);
    const list = [...html.matchAll(/<tr data-finding="([^"]+)" data-state="([^"]+)" data-round="([^"]+)" data-unit="([^"]+)">/g)].map((m) => m[1]);
    expect(list[0]).toBe('f-overdue');
    expect(list.at(-1)).toBe('f-future');
    expect(list.sort()).toEqual(['f-alpha', 'f-beta', 'f-future', 'f-hq', 'f-overdue']);
    const counts = [...html.matchAll(/<tr data-round="([^"]+)" data-unit="([^"]+)">(.*?)<\/tr>/g)].map((m) => [m[1], m[2], /data-total>(\d+)</.exec(m[3])?.[1]]);
    expect(counts).toEqual([
      ['r1', 'alpha', '2'],
      ['r1', 'beta', '2'],
      ['r2', 'gamma', '1'],
    ]);
    expect(html).toContain('Approvals &lt;overdue&gt; &amp; late');
    // The plan's page links to it; without credential it is a 401.
    expect(await (await get(`/hq/plans/${encodeURIComponent(planId)}`, { authorization: BASIC })).text()).toContain('id="findings-link"');
    expect((await get(`/hq/plans/${encodeURIComponent(planId)}/findings`)).status).toBe(401);
  });

  test("headquarters decides on f-hq from its page: a rejection without reason is refused, then the timeline shows the whole life", async () => {
    const unit = await session('f', findingLink('alpha', 'f-hq'), '/findings/f-hq');
    const progress = await pageOf('/findings/f-hq', { cookie: unit }, 'progress');
    expect((await post('/findings/f-hq', { csrf: progress.csrf, action: 'progress', requestId: progress.requestId, note: 'Ledger half rebuilt.' }, { cookie: unit })).status).toBe(200);
    const claim = await pageOf('/findings/f-hq', { cookie: unit }, 'claim');
    expect((await post('/findings/f-hq', { csrf: claim.csrf, action: 'claim', requestId: claim.requestId, evidence: 'Ledger rebuilt.', by: 'Ann' }, { cookie: unit })).status).toBe(200);
    const mail = await mailWithKey(h, `${planId}/finding/f-hq/claim-received/r1/1`);
    expect(mail.to).toEqual(['hq@example.org']);
    expect(mail.parsed.text).toContain(`${h.base}/hq/plans/${encodeURIComponent(planId)}/findings/f-hq`);

    const path = `/hq/plans/${encodeURIComponent(planId)}/findings/f-hq`;
    const page = await pageOf(path, { authorization: BASIC }, 'reject');
    expect(page.status).toBe(200);
    expect(page.html).toContain('Ledger rebuilt.');
    const refused = await post(`${path}/act`, { csrf: page.csrf, action: 'reject', requestId: page.requestId, reason: '' }, { authorization: BASIC });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('A rejection must give its reason.');
    expect((await statusOf('f-hq')).state).toBe('claimed');
    const accept = await pageOf(path, { authorization: BASIC }, 'accept');
    const accepted = await post(`${path}/act`, { csrf: accept.csrf, action: 'accept', requestId: accept.requestId, comment: 'Checked on site.' }, { authorization: BASIC });
    expect(accepted.status).toBe(200);
    expect(text(await accepted.text())).toContain('Claim 1 is accepted: the finding is closed.');
    // The same form again is applied once; a new decision is refused as already decided.
    const again = await post(`${path}/act`, { csrf: accept.csrf, action: 'accept', requestId: accept.requestId }, { authorization: BASIC });
    expect(again.status).toBe(200);
    expect(text(await again.text())).toContain('This had already been recorded; nothing was recorded twice.');
    const late = await post(`${path}/act`, { csrf: accept.csrf, action: 'reject', requestId: 'hq-reject-late', reason: 'Too late.' }, { authorization: BASIC });
    expect(late.status).toBe(409);
    expect(text(await late.text())).toMatch(/Claim 1 of finding f-hq was already accepted on /);
    expect(await statusOf('f-hq')).toMatchObject({ state: 'closed', closedOnTime: true, claims: 1 });

    const life = await pageOf(path, { authorization: BASIC });
    const timeline = [...life.html.matchAll(/<tr data-type="(action|notice)" data-kind="([^"]+)">/g)].map((m) => `${m[1]}:${m[2]}`);
    expect(timeline).toEqual(['notice:finding-assigned', 'action:progress', 'action:claim', 'notice:claim-received', 'action:accept']);
    expect(text(life.html)).toContain('Ledger half rebuilt.');
    expect(text(life.html)).toContain('alpha (Ann)');
    // A re-check answer for a finding with none due: 409, said as a sentence.
    const recheck = await post(`${path}/act`, { csrf: accept.csrf, action: 'recheck', requestId: 'hq-recheck-1', result: 'pass' }, { authorization: BASIC });
    expect(recheck.status).toBe(409);
    expect(text(await recheck.text())).toContain('Finding f-hq has no re-check due.');
    // Headquarters' link from a CSRF-less or cross-site form changes nothing.
    expect((await post(`${path}/act`, { action: 'reject', requestId: 'x', reason: 'r' }, { authorization: BASIC })).status).toBe(403);
    expect((await actionsOf('f-hq')).map((a) => a.action)).toEqual(['progress', 'claim', 'accept']);
  });

  test('the JSON API: the findings with their counts and coverage, one finding\'s life, and a decision refused by its code', async () => {
    const list = await (await get(`/api/hq/plans/${encodeURIComponent(planId)}/findings`, { authorization: BASIC })).json();
    expect(list.findings[0]).toMatchObject({ findingId: 'f-overdue', state: 'overdue', round: 1 });
    expect(list.coverage).toMatchObject({ covered: ['c01', 'c02'], missing: ['c03', 'c04'], overdue: false });
    expect(list.byRoundAndUnit.map((r: { inspectionId: string; unitId: string; total: number }) => [r.inspectionId, r.unitId, r.total])).toEqual([['r1', 'alpha', 2], ['r1', 'beta', 2], ['r2', 'gamma', 1]]);
    const life = await (await get(`/api/hq/plans/${encodeURIComponent(planId)}/findings/f-beta`, { authorization: BASIC })).json();
    expect(life.status).toMatchObject({ findingId: 'f-beta', state: 'claimed', verifier: 'gamma' });
    expect(life.timeline.map((e: { type: string; kind: string }) => `${e.type}:${e.kind}`)).toEqual(['notice:finding-assigned', 'action:claim', 'notice:claim-received']);
    const api = (body: unknown) => fetch(`${h.base}/api/hq/plans/${encodeURIComponent(planId)}/findings/f-beta`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: BASIC } });
    const refused = await api({ action: 'reject', requestId: 'api-reject-1', reason: ' ' });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ field: 'reason', refusals: [{ field: 'reason', code: 'noReason' }] });
    expect((await api({ action: 'reject', actor: 'beta', reason: 'x' })).status).toBe(400);
    expect((await statusOf('f-beta')).state).toBe('claimed');
    expect((await get(`/api/hq/plans/${encodeURIComponent(planId)}/findings/nope`, { authorization: BASIC })).status).toBe(404);
    const decided = await api({ action: 'reject', requestId: 'api-reject-2', reason: 'No budget line in the plan.' });
    expect(decided.status).toBe(200);
    expect(await decided.json()).toMatchObject({ findingId: 'f-beta', action: 'reject', state: 'open', round: 2, claim: 1, duplicate: false });
  });
});

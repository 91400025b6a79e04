/**
 * The finding pages' pure parts: coverage around a round's feedback day and the `by` day, lateness, the order lists
 * use, the form's field messages in the plan's language, and which signed link each kind of finding notice carries.
 */
import { describe, expect, test } from 'vitest';
import { findingNoticeLinks } from '../../activities/findings/render.js';
import { en } from '../../client/portal/catalogue/en.js';
import { zhCN } from '../../client/portal/catalogue/zh-CN.js';
import { byUrgency, coverageOf, findingFormErrors, findingLateness, linksOf, pendingClaim, recheckAwaited } from '../../client/portal/findings-data.js';
import { decisionFormsFor } from '../../client/portal/routes/findings.js';
import { hqFindingsPage, verifierPage } from '../../client/portal/views/findings.js';
import { html } from '../../client/portal/html.js';
import { loggablePath } from '../../client/portal/server.js';
import type { FindingRecord } from '../../workflows/contract/finding.js';
import { refusalSentence } from '../../client/portal/i18n.js';
import { newKeyring } from '../../security/keyring.js';
import { linkMaker } from '../../security/links.js';
import { verifyToken } from '../../security/tokens.js';
import { FINDING_NOTICE_KINDS, type FindingNoticeSpec, type FindingStatus } from '../../workflows/contract/finding.js';
import { findingsPlanAroundNow } from './findings-harness.js';

const DAY = 86_400_000;
const at = (day: string, time = '12:00:00') => Date.parse(`${day}T${time}Z`);
const plan = findingsPlanAroundNow('pieces', {}, at('2026-12-02'));

describe('coverage', () => {
  test("a round's targets count from its feedback day on; the by day's end makes the missing ones overdue", () => {
    const r2 = plan.inspections!.rounds[1].feedbackDay;
    const before = coverageOf(plan, at(r2) - DAY)!;
    expect(before).toMatchObject({ covered: ['c01', 'c02'], missing: ['c03', 'c04'], overdue: false });
    expect(coverageOf(plan, at(r2, '00:00:00'))!.covered).toEqual(['c01', 'c02', 'c03']);
    expect(coverageOf(plan, at(r2, '00:00:00'))!.roundsOf).toEqual({ c01: ['r1'], c02: ['r1'], c03: ['r2'], c04: [] });
    const by = plan.inspections!.coverage!.by;
    expect(coverageOf(plan, at(by, '23:59:59'))!.overdue).toBe(false);
    expect(coverageOf(plan, at(by, '23:59:59') + 1000)!.overdue).toBe(true);
    expect(coverageOf({ ...plan, inspections: { ...plan.inspections!, coverage: undefined } }, at(by))).toBeNull();
  });
});

const status = (over: Partial<FindingStatus>): FindingStatus => ({
  findingId: 'f', inspectionId: 'r1', unitId: 'alpha', verifier: 'headquarters', title: 'T', state: 'open', round: 1, deadlineDay: '2026-12-01',
  claims: 0, reminders: 0, escalations: 0, reopened: 0, closedAt: null, closedOnTime: null, daysLate: null, ...over,
});

describe('lateness and order', () => {
  test('late so far from the day after the deadline day; closures by their own lateness; nothing while claimed', () => {
    expect(findingLateness(en, plan, status({}), at('2026-12-01', '23:59:59'))).toBe('Not late');
    expect(findingLateness(en, plan, status({ state: 'overdue' }), at('2026-12-02', '00:00:01'))).toBe('already 1 day late');
    expect(findingLateness(zhCN, plan, status({ state: 'overdue' }), at('2026-12-05'))).toBe('已逾期 4 天');
    expect(findingLateness(en, plan, status({ state: 'claimed' }), at('2026-12-05'))).toBe('');
    expect(findingLateness(en, plan, status({ state: 'closed', closedOnTime: false, daysLate: 3 }), at('2026-12-09'))).toBe('Closed 3 days late');
    expect(findingLateness(en, plan, status({ state: 'verified', closedOnTime: true, daysLate: 0 }), at('2026-12-09'))).toBe('Closed on time');
  });

  test('overdue first, then claimed, open, not yet assigned, closed and verified; then round, unit and id', () => {
    const list = [
      status({ findingId: 'v', state: 'verified' }),
      status({ findingId: 'o2', state: 'open', inspectionId: 'r2' }),
      status({ findingId: 'o1b', state: 'open', unitId: 'beta' }),
      status({ findingId: 'o1a', state: 'open' }),
      status({ findingId: 'c', state: 'claimed' }),
      status({ findingId: 'x', state: 'overdue', unitId: 'gamma' }),
      status({ findingId: 's', state: 'scheduled' }),
      status({ findingId: 'k', state: 'closed' }),
    ];
    expect(byUrgency(plan, list).map((s) => s.findingId)).toEqual(['x', 'c', 'o1a', 'o1b', 'o2', 's', 'k', 'v']);
  });
});

describe("the form's field messages", () => {
  const say = (c: typeof en) => (r: Parameters<typeof refusalSentence>[1]) => refusalSentence(c, r);
  const claim = (over: Record<string, unknown>) => ({ action: 'claim', requestId: 'r', findingId: 'f', actor: 'alpha', evidence: 'ok', links: [], ...over });

  test('an empty evidence or reason is the engine refusal, in the plan language; other problems name the field or the link', () => {
    expect(findingFormErrors(en, claim({}), say(en))).toBeNull();
    expect(findingFormErrors(zhCN, claim({ evidence: '\u200b ' }), say(zhCN))!.fields.evidence).toBe('申请销号须说明整改佐证材料。');
    expect(findingFormErrors(en, { action: 'reject', requestId: 'r', findingId: 'f', actor: 'beta', reason: '' }, say(en))!.fields.reason).toBe('A rejection must give its reason.');
    expect(findingFormErrors(en, claim({ evidence: 'x'.repeat(20_001) }), say(en))!.fields.evidence).toMatch(/^This is too long: at most \d+ characters\.$/);
    expect(findingFormErrors(en, claim({ evidence: 'a\u202Eb' }), say(en))!.fields.evidence).toBe('This contains a character that is not allowed: U+202E (2).');
    expect(findingFormErrors(en, claim({ links: ['https://ok.example', 'ftp://no'] }), say(en))!.fields.links).toBe('Link 2: must be an http(s) address without spaces');
    expect(findingFormErrors(en, claim({ by: 'Ann\nB' }), say(en))!.fields.by).toMatch(/^This contains a character that is not allowed: U\+000A/);
    expect(findingFormErrors(en, { action: 'recheck', requestId: 'r', findingId: 'f', actor: 'beta', result: '' }, say(en))!.fields.result).toBe('Please choose one of the options.');
  });

  test('links are one a line, blank lines dropped', () => {
    expect(linksOf('  https://a.example \r\n\n https://b.example\n')).toEqual(['https://a.example', 'https://b.example']);
  });
});

describe('the links of finding notices', () => {
  const ring = newKeyring('kpieces');
  const links = linkMaker('https://portal.example/', ring);
  const spec = (kind: (typeof FINDING_NOTICE_KINDS)[number], verifier: string): FindingNoticeSpec => ({
    key: { planId: 'p', findingId: 'f1', kind, round: 1, number: 1 }, at: '2027-04-03T01:00:00.000Z', to: [], cc: [], locale: 'en', timezone: 'UTC', planTitle: 'P',
    findingTitle: 'F', inspectionId: 'r1', inspectionTitle: 'R', unitId: 'alpha', unitName: 'Alpha', dueDay: '2027-05-03', verifier,
  });
  const payload = (url: string, purpose: 'finding-link' | 'verifier-link') => {
    const v = verifyToken(ring, url.slice(url.lastIndexOf('/') + 1), purpose, Date.parse('2027-04-03T01:00:00Z'));
    return v.ok ? { plan: v.payload.plan, unit: v.payload.unit, finding: v.payload.finding, verifier: v.payload.verifier, exp: v.payload.exp } : v.reason;
  };

  test("notices to the unit carry its finding page and its page; to a verifier unit its page; to headquarters the dashboard's", () => {
    for (const kind of FINDING_NOTICE_KINDS) {
      const l = findingNoticeLinks(spec(kind, 'beta'), links);
      if (['finding-assigned', 'reminder', 'claim-rejected', 'finding-reopened', 'finding-extended'].includes(kind)) {
        expect(l.map(([, u]) => u.slice(0, 24)), kind).toEqual(['https://portal.example/f', 'https://portal.example/u']);
        // Valid for 120 days from the notice, like a report link.
        expect(payload(l[0][1], 'finding-link')).toEqual({ plan: 'p', unit: 'alpha', finding: 'f1', verifier: undefined, exp: Date.parse('2027-04-03T01:00:00Z') / 1000 + 120 * 86_400 });
      } else if (['claim-received', 'verify-reminder', 'recheck'].includes(kind)) {
        expect(l).toHaveLength(1);
        expect(payload(l[0][1], 'verifier-link'), kind).toMatchObject({ plan: 'p', verifier: 'beta', unit: undefined, finding: undefined });
        expect(findingNoticeLinks(spec(kind, 'headquarters'), links)).toEqual([["The finding on headquarters' dashboard", 'https://portal.example/hq/plans/p/findings/f1']]);
      } else {
        expect(l, kind).toEqual([]);
      }
    }
    expect(findingNoticeLinks(spec('reminder', 'beta'), undefined)).toEqual([]);
  });
});

describe("the verifier's page", () => {
  const closedAt = at('2026-11-01');
  const record = (sent: boolean, answered = false): FindingRecord => ({
    findingId: 'f-alpha', inspectionId: 'r1', unitId: 'alpha', verifier: 'beta', assignedAt: at('2026-10-01'),
    rounds: [{ round: 1, cause: 'assigned', startedAt: at('2026-10-01'), startDay: '2026-10-01', dueDay: '2026-11-30', deadline: at('2026-12-01', '00:00:00') }],
    claims: [{ number: 1, round: 1, at: at('2026-10-20'), requestId: 'c1', actor: 'alpha', links: 0, decision: { decision: 'accept', at: closedAt, requestId: 'd1', actor: 'beta' }, remindAt: at('2026-10-27') }],
    notes: [], reminders: 0, escalations: 0, reopened: 0, closedAt, closedOnTime: true, daysLate: 0,
    rechecks: [{ round: 1, at: at('2026-12-01'), sent, ...(answered ? { answer: { result: 'pass', at: at('2026-12-02'), requestId: 'x1', actor: 'beta' } } : {}) }],
    verifiedAt: answered ? at('2026-12-02') : undefined, deliveryIssues: [], version: 5,
  });
  const item = (r: FindingRecord) => ({
    status: status({ findingId: 'f-alpha', title: 'Approvals <script>alert(1)</script>', verifier: 'beta', state: r.verifiedAt ? ('verified' as const) : ('closed' as const), closedOnTime: true, daysLate: 0 }),
    description: null,
    pending: pendingClaim(r, []),
    forms: decisionFormsFor('/verify/findings/f-alpha', 'csrf-1', r, pendingClaim(r, [])),
  });

  test('a re-check form only while a sent re-check is unanswered; no accept or reject without a pending claim; text escaped', () => {
    expect([recheckAwaited(record(false)), recheckAwaited(record(true)), recheckAwaited(record(true, true))]).toEqual([false, true, false]);
    const due = verifierPage(en, { plan, unitName: 'Beta <Office>', now: at('2026-12-01'), items: [item(record(true))] }).text;
    expect(due).toContain('<form method="post" action="/verify/findings/f-alpha" class="recheck" novalidate>');
    expect(due).toContain('<input type="radio" name="result" value="pass">');
    expect(due).toContain('<input type="radio" name="result" value="reopen">');
    expect(due).not.toContain('class="accept"');
    expect(due).not.toContain('<script>');
    expect(due).toContain('Approvals &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(due).toContain('Beta &lt;Office&gt;');
    for (const r of [record(false), record(true, true)]) {
      const page = verifierPage(en, { plan, unitName: 'Beta', now: at('2026-12-03'), items: [item(r)] }).text;
      expect(page).not.toContain('class="recheck"');
      expect(page).toContain('No claim awaits a decision.');
    }
  });

  test("headquarters' list of a plan without inspections says so", () => {
    const bare = { ...plan, inspections: undefined };
    expect(hqFindingsPage(en, html``, { plan: bare, now: at('2026-12-01'), list: [], counts: [], coverage: null }).text).toContain('This plan has no inspection findings.');
  });
});

test("the finding links' tokens never reach the log", () => {
  expect(loggablePath('/f/abc.def.ghi?x=1')).toBe('/f/[token]');
  expect(loggablePath('/v/abc.def.ghi')).toBe('/v/[token]');
  expect(loggablePath('/f/continue')).toBe('/f/continue');
  expect(loggablePath('/findings/f-alpha')).toBe('/findings/f-alpha');
});

/**
 * Bad input, everywhere: the corpus in ./corpus sent through every surface (plan files, an Update sent directly to the
 * group workflow, the CLI, the portal's report form, headquarters' form and JSON API, environment variables, CLI flags
 * and links). Every case must be refused with its located error, crash nothing, fail no workflow task, and change
 * nothing: plan status, the report tables and every workflow's history length are compared before and after.
 */
import { WorkflowUpdateFailedError, type Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { run as runCli } from '../../client/cli.js';
import { loadPlanFile } from '../../client/plan-file.js';
import { planStatus, startPlan } from '../../client/plans.js';
import { loadStartConfig } from '../../client/start.js';
import { newKeyring } from '../../security/keyring.js';
import { ConfigError, loadWorkerConfig } from '../../worker/config.js';
import { groupWorkflowId, planWorkflowId } from '../../workflows/contract/ids.js';
import { reviewReportUpdate, submitReportUpdate } from '../../workflows/contract/messages.js';
import { isRefusalList, REFUSALS, refusalLine, type Refusal } from '../../workflows/contract/refusals.js';
import { validPlan } from '../fixtures/plans.js';
import { planAroundNow } from '../helpers/dev-server.js';
import { HQ_CREDENTIAL, periodStatus, token, usePortal, waitFor } from '../portal/harness.js';
import { planCases } from './corpus/plans.js';
import { decisionCases, reportCases, type DecisionCase, type ReportCase, type Target } from './corpus/submissions.js';
import { envCases, flagCases } from './corpus/settings.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const planId = `bad-input-${process.pid}-${Date.now()}`;
const closedPlanId = `${planId}-old`;
const TASKS = [
  { id: 't1', aspect: 'a', title: 'Task One', units: ['alpha'], target: { metric: 'km', total: 50 } },
  { id: 't2', aspect: 'a', title: 'Task Two', units: ['beta'] },
];
const h = usePortal('bad-input', [{ id: planId, overrides: { tasks: TASKS } }]);

/** Cases run, by surface: the total must reach 200. */
const counted: Record<string, number> = {};
const count = (surface: string) => (counted[surface] = (counted[surface] ?? 0) + 1);

const basic = `Basic ${Buffer.from(`hq:${HQ_CREDENTIAL}`).toString('base64')}`;
const FORM = 'application/x-www-form-urlencoded';
/** A fragment each refusal code's English sentence has (the CLI and the API say the sentence, not the code). */
const CODE_WORDS: Partial<Record<keyof typeof REFUSALS, string>> = {
  outOfRange: 'must be between',
  unknownTask: 'unknown task|has no task',
  unknownUnit: 'unknown unit',
  notResponsible: 'is not responsible|has no unit',
  notAQuarter: 'is not a quarter|has no quarter',
  notRequestedYet: 'has not been requested yet',
  closed: 'closed',
  noReportYet: 'no report has arrived',
};
const wordsOf = (expect: string) => (expect in REFUSALS ? (CODE_WORDS[expect as keyof typeof REFUSALS] ?? expect) : expect);
const says = (text: string, expect: string) => wordsOf(expect).split('|').some((w) => text.includes(w));

/** The quarter two before the current one: it has closed in the back-dated plan, whatever today is. */
function quarterBefore(current: string, back: number): { id: string; first: string } {
  const [y, q] = current.split('-Q').map(Number);
  const index = y * 4 + (q - 1) - back;
  const year = Math.floor(index / 4);
  const quarter = (index % 4) + 1;
  return { id: `${year}-Q${quarter}`, first: `${year}-${String((quarter - 1) * 3 + 1).padStart(2, '0')}-01` };
}
let closedQuarter = '';

beforeAll(async () => {
  // A plan started (as far as its cycles know) two quarters ago, with a short close: that quarter has closed.
  const around = planAroundNow(closedPlanId);
  const old = quarterBefore(around.current, 2);
  closedQuarter = old.id;
  const plan = validPlan({
    ...around.plan,
    start: old.first,
    tasks: TASKS,
    cadence: { sendTime: '09:00', requestOffsetDays: -1, dueOffsetDays: 5, closeAfterDays: 10 },
  });
  await startPlan(h.client, plan, h.queue, { startedAt: Date.parse(`${old.first}T00:00:00Z`) });
  await waitFor('the back-dated plan recorded its closed quarter', async () => ((await periodStatus(h.db, closedPlanId, 't1', 'alpha', closedQuarter)) ? true : undefined), 60_000);
  // A report of beta's on t2, for the decisions to be about.
  await h.client.workflow.getHandle(groupWorkflowId(planId, 0)).executeUpdate(submitReportUpdate, {
    args: [{ requestId: randomUUID(), taskId: 't2', unitId: 'beta', period: h.current, status: 'on-track', summary: 'Arrived.' }],
  });
  await waitFor('beta’s report recorded', async () => ((await periodStatus(h.db, planId, 't2', 'beta', h.current))?.revisions === 1 ? true : undefined));
  await quiet();
}, 120_000);

afterAll(() => {
  const total = Object.values(counted).reduce((a, b) => a + b, 0);
  // eslint-disable-next-line no-console
  console.log(`bad-input corpus: ${total} cases (${Object.entries(counted).map(([k, v]) => `${k} ${v}`).join(', ')})`);
});

// ---------------------------------------------------------------------------------------------------------------
// What "nothing changed" means: status, rows and history lengths of both plans

const workflowIds = () => [planId, closedPlanId].flatMap((p) => [planWorkflowId(p), groupWorkflowId(p, 0)]);

async function snapshot(): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const p of [planId, closedPlanId]) {
    out[`${p} status`] = await planStatus(h.db, p);
    for (const table of ['report_records', 'report_revisions', 'report_decisions']) {
      const { rows } = await h.db.query(`SELECT row_to_json(t)::text AS row FROM ${table} t WHERE plan_id = $1 ORDER BY 1`, [p]);
      out[`${p} ${table}`] = rows.map((r) => r.row);
    }
  }
  for (const id of workflowIds()) out[`${id} history`] = (await h.client.workflow.getHandle(id).describe()).historyLength;
  return out;
}

/** Waits until no workflow's history grows for a moment (start-up notices and writes are done). */
async function quiet(): Promise<void> {
  let last = '';
  for (let i = 0; i < 100; i++) {
    const now = JSON.stringify(await Promise.all(workflowIds().map(async (id) => (await h.client.workflow.getHandle(id).describe()).historyLength)));
    if (now === last) return;
    last = now;
    await new Promise((r) => setTimeout(r, 400));
  }
}

async function failedWorkflowTasks(): Promise<string[]> {
  const failed: string[] = [];
  for (const id of workflowIds()) {
    const desc = await h.client.workflow.getHandle(id).describe();
    if (desc.status.name !== 'RUNNING') failed.push(`${id} is ${desc.status.name}`);
    const history = await h.client.workflow.getHandle(id).fetchHistory();
    for (const e of history.events ?? []) if (e.workflowTaskFailedEventAttributes) failed.push(`${id}: workflow task failed: ${e.workflowTaskFailedEventAttributes.failure?.message}`);
  }
  return failed;
}

/** Runs a surface's cases, then checks that nothing changed and no workflow task failed. */
async function unchangedBy(run: () => Promise<void>): Promise<void> {
  const before = await snapshot();
  await run();
  await new Promise((r) => setTimeout(r, 300)); // a write the refusal let through would show by now
  expect(await snapshot()).toEqual(before);
  expect(await failedWorkflowTasks()).toEqual([]);
}

// ---------------------------------------------------------------------------------------------------------------
// Building the inputs

function reportFor(c: ReportCase): { plan: string; input: Record<string, unknown> } {
  const base: Record<string, unknown> = { requestId: randomUUID(), taskId: 't1', unitId: 'alpha', period: h.current, status: 'on-track', summary: 'All done.' };
  const where: Record<Target, Record<string, unknown>> = {
    current: {},
    next: { period: h.next },
    closed: { period: closedQuarter },
    otherTask: { taskId: 't2' },
    targetless: { taskId: 't2', unitId: 'beta' },
  };
  const input = { ...base, ...where[c.target ?? 'current'] };
  for (const [k, v] of Object.entries(c.fields)) {
    if (v === undefined) delete input[k];
    else Object.defineProperty(input, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return { plan: c.target === 'closed' ? closedPlanId : planId, input };
}

function decisionFor(c: DecisionCase): { plan: string; input: Record<string, unknown> } {
  const base: Record<string, unknown> = { requestId: randomUUID(), taskId: 't2', unitId: 'beta', period: h.current, decision: c.decision };
  if (c.target === 'next') base.period = h.next;
  if (c.target === 'closed') Object.assign(base, { period: closedQuarter });
  return { plan: c.target === 'closed' ? closedPlanId : planId, input: { ...base, ...c.fields } };
}

async function updateRefusals(plan: string, update: typeof submitReportUpdate | typeof reviewReportUpdate, input: unknown): Promise<Refusal[]> {
  try {
    await h.client.workflow.getHandle(groupWorkflowId(plan, 0)).executeUpdate(update as typeof submitReportUpdate, { args: [input as never] });
  } catch (err) {
    if (!(err instanceof WorkflowUpdateFailedError)) throw err;
    const details = err.cause instanceof ApplicationFailure ? err.cause.details?.[0] : undefined;
    if (isRefusalList(details)) return details;
    throw err;
  }
  return [];
}

const located = (refusals: Refusal[], field: string, expect: string) =>
  refusals.some((r) => r.field === field && expect.split('|').some((e) => r.code === e || says(refusalLine(r), e)));

// ---------------------------------------------------------------------------------------------------------------
// The CLI, in this process (each case is `run(argv)` as the binary does it), its output captured

let cliEnv: Record<string, string>;
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { ...process.env };
  Object.assign(process.env, cliEnv);
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  process.exitCode = 0;
  try {
    await runCli(['node', 'review-cycles', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
    for (const k of Object.keys(cliEnv)) if (saved[k] === undefined) delete process.env[k];
    Object.assign(process.env, saved);
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, out: out.join(''), err: err.join('') };
}

const FLAGS: Record<string, string> = { taskId: '--task', unitId: '--unit', period: '--period', status: '--status', summary: '--summary', progress: '--progress', problems: '--problems', nextSteps: '--next-steps', submittedBy: '--submitted-by', requestId: '--request-id', comment: '--comment', by: '--by' };
const flags = (input: Record<string, unknown>, skip: string[]) =>
  Object.entries(input).flatMap(([k, v]) => (skip.includes(k) ? [] : [FLAGS[k], String(v)]));

// ---------------------------------------------------------------------------------------------------------------
// The portal

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${h.base}${path}`, { redirect: 'manual', headers });
const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${h.base}${path}`, { method: 'POST', redirect: 'manual', body, headers: { 'content-type': FORM, origin: h.base, ...headers } });

async function reportSession(plan: string, task: string, unit: string, period: string): Promise<{ cookie: string; csrf: string }> {
  const link = token(h.ring, { p: 'report-link', plan, task, unit, period });
  const res = await post('/r/continue', new URLSearchParams({ token: link }).toString());
  expect(res.status).toBe(303);
  const cookie = res.headers.getSetCookie()[0].split(';')[0];
  const page = await (await get('/report', { cookie })).text();
  return { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(page)![1] };
}

const fieldErrorOf = (page: string, field: string) => new RegExp(`data-field="${field}">([^<]*)<`).exec(page)?.[1];

// ---------------------------------------------------------------------------------------------------------------

describe('plan files', () => {
  test('every bad plan file is refused with its located error, quickly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rc-bad-plans-'));
    for (const [i, c] of planCases.entries()) {
      const file = join(dir, `case-${i}.${c.ext}`);
      writeFileSync(file, c.text);
      const t = Date.now();
      const r = await loadPlanFile(file);
      expect(Date.now() - t, c.name).toBeLessThan(3_000);
      expect(r.ok, c.name).toBe(false);
      const lines = r.ok ? [] : r.errors.map((e) => e.slice(file.length + 2));
      const hit = lines.some((l) => (c.path ? l.startsWith(`${c.path}: `) : !lines.some(() => false)) && l.includes(c.fragment));
      expect(hit, `${c.name}: ${JSON.stringify(lines)}`).toBe(true);
      count('plan file');
    }
  });
});

describe('environment variables', () => {
  test('every bad variable stops the loader with its name and rule', () => {
    for (const c of envCases) {
      let message = '';
      try {
        if (c.loader === 'worker') loadWorkerConfig(c.env, '/tmp');
        else loadStartConfig(c.env, '/tmp');
      } catch (err) {
        expect(err, c.name).toBeInstanceOf(ConfigError);
        message = (err as Error).message;
      }
      const line = message.split('\n').find((l) => l.trim().startsWith(c.variable));
      expect(line, `${c.name}: ${message || 'accepted'}`).toBeDefined();
      expect(line, c.name).toContain(c.expect);
      count('environment');
    }
  });
});

describe('reports and decisions', () => {
  test('an Update sent directly to the group workflow', async () => {
    await unchangedBy(async () => {
      for (const c of reportCases.filter((x) => x.surfaces.includes('update'))) {
        const { plan, input } = reportFor(c);
        const refusals = await updateRefusals(plan, submitReportUpdate, input);
        expect(located(refusals, c.field, c.expect), `${c.name}: ${JSON.stringify(refusals)}`).toBe(true);
        count('update');
      }
      for (const c of decisionCases.filter((x) => x.surfaces.includes('update'))) {
        const { plan, input } = decisionFor(c);
        const refusals = await updateRefusals(plan, reviewReportUpdate, input);
        expect(located(refusals, c.field, c.expect), `decision ${c.name}: ${JSON.stringify(refusals)}`).toBe(true);
        count('update');
      }
    });
  });

  test('the CLI: report submit, accept and return', async () => {
    cliEnv = {
      TEMPORAL_ADDRESS: (h.client.connection as Connection).options.address,
      REVIEW_CYCLES_DATABASE_URL: (h.db as unknown as { options: { connectionString: string } }).options.connectionString,
      REVIEW_CYCLES_DATA_DIR: mkdtempSync(join(tmpdir(), 'rc-bad-cli-')),
    };
    await unchangedBy(async () => {
      for (const c of reportCases.filter((x) => x.surfaces.includes('cli'))) {
        const { plan, input } = reportFor(c);
        const r = await cli(['report', 'submit', plan, ...flags(input, [])]);
        expect(r.code, c.name).not.toBe(0);
        expect(r.err, c.name).not.toMatch(/\n\s+at /); // no stack trace
        expect(r.err.includes(`${c.field}: `) && says(r.err, c.expect), `${c.name}: ${r.err}`).toBe(true);
        count('cli');
      }
      for (const c of decisionCases.filter((x) => x.surfaces.includes('cli'))) {
        const { plan, input } = decisionFor(c);
        const r = await cli(['report', c.decision, plan, ...flags(input, ['decision'])]);
        expect(r.code, c.name).not.toBe(0);
        expect(r.err, c.name).not.toMatch(/\n\s+at /);
        expect(r.err.includes(`${c.field}: `) && says(r.err, c.expect), `decision ${c.name}: ${r.err}`).toBe(true);
        count('cli');
      }
      for (const c of flagCases) {
        const r = await cli(c.argv);
        expect(r.code, c.name).not.toBe(0);
        expect(r.err, c.name).not.toMatch(/\n\s+at /);
        expect(r.err, c.name).toContain(c.expect);
        count('cli flags');
      }
    });
  });

  test('the CLI as its own process: exit code 2 for a bad flag, 1 for a refusal, no stack', async () => {
    const bin = (args: string[]) =>
      new Promise<{ code: number; err: string }>((ok) =>
        execFile(process.execPath, [join(root, 'bin/review-cycles.js'), ...args], { env: { ...process.env, ...cliEnv }, timeout: 30_000 }, (err, _out, stderr) =>
          ok({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, err: stderr }),
        ),
      );
    await unchangedBy(async () => {
      const [flag, refused] = await Promise.all([
        bin(['report', 'submit', planId, '--task', 't1', '--unit', 'alpha', '--period', h.current, '--status', 'on-track', '--summary', 'x', '--progress', '0x10']),
        bin(['report', 'submit', planId, '--task', 't1', '--unit', 'alpha', '--period', h.current, '--status', 'on-track', '--summary', 'x', '--progress', '1e308']),
      ]);
      expect(flag.code).toBe(2);
      expect(flag.err).toContain('must be a number, got "0x10"');
      expect(refused.code).toBe(1);
      expect(refused.err).toContain('progress: must be between 0 and 50');
      expect(refused.err).not.toMatch(/\n\s+at /);
      count('cli process');
      count('cli process');
    });
  });

  test("the portal's report form", async () => {
    const sessions = new Map<string, { cookie: string; csrf: string }>();
    const sessionFor = async (target: Target | undefined) => {
      const key = target ?? 'current';
      if (!sessions.has(key)) {
        const s = target === 'closed' ? await reportSession(closedPlanId, 't1', 'alpha', closedQuarter) : await reportSession(planId, 't1', 'alpha', target === 'next' ? h.next : h.current);
        sessions.set(key, s);
      }
      return sessions.get(key)!;
    };
    await unchangedBy(async () => {
      for (const c of reportCases.filter((x) => x.surfaces.includes('form'))) {
        const { input } = reportFor(c);
        const { cookie, csrf } = await sessionFor(c.target);
        const body = new URLSearchParams({ csrf, requestId: String(input.requestId) });
        for (const f of ['status', 'summary', 'progress', 'problems', 'nextSteps', 'submittedBy']) body.set(f, input[f] === undefined ? '' : String(input[f]));
        const res = await post('/report', body.toString(), { cookie });
        const page = await res.text();
        expect([400, 404, 409], `${c.name}: ${res.status}`).toContain(res.status);
        // The request id is hidden: its refusal is shown above the form; every other one next to its field.
        const shown = c.field === 'requestId' ? /class="error">requestId: /.test(page) : fieldErrorOf(page, c.field) !== undefined;
        expect(shown, `${c.name}: ${page.match(/class="error"[^<]*<|data-field="[^"]+">[^<]*/g)}`).toBe(true);
        count('report form');
      }
    });
  });

  test("headquarters' form and JSON API", async () => {
    const reportPath = (plan: string, input: Record<string, unknown>) => `/plans/${plan}/reports/${String(input.taskId)}/${String(input.unitId)}/${String(input.period)}`;
    const page = await (await get(`/hq${reportPath(planId, { taskId: 't2', unitId: 'beta', period: h.current })}`, { authorization: basic })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1];
    await unchangedBy(async () => {
      for (const c of decisionCases.filter((x) => x.surfaces.includes('hqForm'))) {
        const { plan, input } = decisionFor(c);
        const body = new URLSearchParams({ csrf, requestId: String(input.requestId) });
        for (const f of ['comment', 'by']) if (input[f] !== undefined) body.set(f, String(input[f]));
        const res = await post(`/hq${reportPath(plan, input)}/${c.decision}`, body.toString(), { authorization: basic });
        const html = await res.text();
        expect([400, 404, 409], `${c.name}: ${res.status}`).toContain(res.status);
        const shown = c.field === 'comment' ? fieldErrorOf(html, 'comment') : /id="decision-error">([^<]*)</.exec(html)?.[1];
        expect(shown !== undefined && (c.field === 'comment' || c.field === 'period' || shown.startsWith(`${c.field}: `)), `${c.name}: ${shown}`).toBe(true);
        count('hq form');
      }
      for (const c of decisionCases.filter((x) => x.surfaces.includes('api'))) {
        const { plan, input } = decisionFor(c);
        const { taskId: _t, unitId: _u, period: _p, decision: _d, ...rest } = input;
        const res = await fetch(`${h.base}/api/hq${reportPath(plan, input)}/${c.decision}`, {
          method: 'POST',
          body: JSON.stringify(rest),
          headers: { 'content-type': 'application/json', authorization: basic, origin: h.base },
        });
        const json = (await res.json()) as { error: string; field?: string; refusals?: Refusal[] };
        expect([400, 404, 409], `${c.name}: ${res.status} ${json.error}`).toContain(res.status);
        const hit = json.field === c.field || json.refusals?.some((r) => r.field === c.field);
        expect(hit && (says(json.error, c.expect) || located(json.refusals ?? [], c.field, c.expect)), `${c.name}: ${JSON.stringify(json)}`).toBe(true);
        count('json api');
      }
      // Deeply nested and oversized JSON bodies: refused at once, the process still answering.
      const t = Date.now();
      const deep = await fetch(`${h.base}/api/hq/plans/${planId}/reports/t2/beta/${h.current}/accept`, {
        method: 'POST',
        body: `{"by": ${'['.repeat(30_000)}${']'.repeat(30_000)}}`,
        headers: { 'content-type': 'application/json', authorization: basic, origin: h.base },
      });
      expect([400, 413]).toContain(deep.status);
      expect(Date.now() - t).toBeLessThan(2_000);
      count('json api');
    });
  });

  test('links: tampered, expired, of another purpose, malformed', async () => {
    const valid = token(h.ring, { p: 'report-link', plan: planId, task: 't1', unit: 'alpha', period: h.current });
    const [head, body, sig] = valid.split('.');
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    const reSigned = (p: Record<string, unknown>) => `${head}.${Buffer.from(JSON.stringify(p)).toString('base64url')}.${sig}`;
    const cases: Record<string, string> = {
      'another unit in the payload': reSigned({ ...payload, unit: 'beta', task: 't2' }),
      'a later expiry in the payload': reSigned({ ...payload, exp: payload.exp as number + 86_400 * 365 }),
      'a signature of zeros': `${head}.${body}.${Buffer.alloc(32).toString('base64url')}`,
      'a truncated signature': `${head}.${body}.${sig.slice(0, -2)}`,
      'a signature with padding': `${head}.${body}.${sig}=`,
      'a non-canonical base64 signature': `${head}.${body}.${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`,
      expired: token(h.ring, { p: 'report-link', plan: planId, task: 't1', unit: 'alpha', period: h.current, exp: Math.floor(Date.now() / 1000) - 1 }),
      'a leader link': token(h.ring, { p: 'leader-link', plan: planId, leader: 'lead-a', task: 't1', unit: 'alpha', period: h.current }),
      'a session token used as a link': token(h.ring, { p: 'report-session', plan: planId, task: 't1', unit: 'alpha', period: h.current }),
      'a key the portal does not have': token(newKeyring('kother'), { p: 'report-link', plan: planId, task: 't1', unit: 'alpha', period: h.current }),
      "another unit's task": token(h.ring, { p: 'report-link', plan: planId, task: 't2', unit: 'alpha', period: h.current }),
      'a quarter outside the plan': token(h.ring, { p: 'report-link', plan: planId, task: 't1', unit: 'alpha', period: '1999-Q1' }),
      'a period of the wrong form': token(h.ring, { p: 'report-link', plan: planId, task: 't1', unit: 'alpha', period: 'soon' }),
      'two parts only': `${head}.${body}`,
      'four parts': `${valid}.x`,
      'not base64': 'héllo.wörld.!!',
      'a NUL in the token': `${head}.${body}%00.${sig}`,
      'over 2 KB': `${head}.${'A'.repeat(3000)}.${sig}`,
    };
    await unchangedBy(async () => {
      for (const [name, t] of Object.entries(cases)) {
        const landing = await get(`/r/${encodeURIComponent(t)}`);
        expect(landing.status, name).toBe(403);
        expect(await landing.text(), name).toContain('This link is not valid');
        const cont = await post('/r/continue', new URLSearchParams({ token: t }).toString());
        expect(cont.status, name).toBe(403);
        expect(cont.headers.getSetCookie(), name).toEqual([]);
        // Nor is any of them a session cookie for the form.
        const form = await post('/report', new URLSearchParams({ csrf: 'x', summary: 'x', status: 'on-track' }).toString(), { cookie: `rc_report=${t}` });
        expect([400, 403], name).toContain(form.status);
        count('links');
      }
    });
  });
});

describe('what is allowed is stored as text and escaped on output', () => {
  test('emoji, Chinese, Arabic and markup are accepted, kept as written and escaped in every page', async () => {
    const hostile = 'Done 🎉 👨‍👩‍👧 完成 تم <script>alert(1)</script> "><img src=x onerror=alert(1)> &amp;';
    const { cookie, csrf } = await reportSession(planId, 't1', 'alpha', h.current);
    const body = new URLSearchParams({ csrf, requestId: randomUUID(), status: 'at-risk', summary: hostile, progress: '12.5', problems: hostile, nextSteps: '', submittedBy: 'Ann <b>Lee</b>' });
    const res = await post('/report', body.toString(), { cookie });
    expect(res.status).toBe(200);
    const { rows } = await h.db.query('SELECT summary, problems, submitted_by FROM report_revisions WHERE plan_id = $1 AND task_id = $2', [planId, 't1']);
    expect(rows[0]).toMatchObject({ summary: hostile, problems: hostile, submitted_by: 'Ann <b>Lee</b>' });
    await waitFor('the record shows the revision', async () => ((await periodStatus(h.db, planId, 't1', 'alpha', h.current))?.revisions === 1 ? true : undefined));
    const pages = [
      await (await get('/report', { cookie })).text(),
      await (await get(`/hq/plans/${planId}/reports/t1/alpha/${h.current}`, { authorization: basic })).text(),
      await (await get(`/hq/plans/${planId}/tasks/t1`, { authorization: basic })).text(),
    ];
    for (const page of pages) {
      expect(page).not.toContain('<script>alert(1)</script>');
      expect(page).not.toContain('<img src=x');
      expect(page).not.toContain('<b>Lee</b>');
    }
    expect(pages[0]).toContain('Done 🎉 👨‍👩‍👧 完成 تم &lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(1)&gt; &amp;amp;');
    const api = (await (await get(`/api/hq/plans/${planId}/reports/t1/alpha/${h.current}`, { authorization: basic })).json()) as { revisions: { summary: string }[] };
    expect(api.revisions[0].summary).toBe(hostile); // JSON keeps the text; it is served as application/json
    expect(await failedWorkflowTasks()).toEqual([]);
  });

  test('the corpus has at least 200 cases', () => {
    const total = Object.values(counted).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(200);
  });
});

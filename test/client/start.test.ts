/**
 * `npm start` as a real subprocess (tsx, as npm runs it), with nothing configured but a data folder and free ports:
 * the embedded dev server, the mail catcher, the portal, an in-process worker and the live demo plan on the real
 * clock; the request in the portal's outbox with a link that opens the report's landing page; Ctrl-C; a restart over
 * the same data folder that resumes where it stopped. Then the same with an SMTP server and a plan file given.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { DEV_SERVER_HOST, freePorts } from '../../client/dev-server.js';
import { liveDemoPlanFile, livePlan } from '../../client/live-plan.js';
import { loadPlanFile } from '../../client/plan-file.js';
import { cycleTimeline } from '../../workflows/cycle/timeline.js';
import { localDateOf, periodOfDate } from '../../workflows/calendar/index.js';
import { planWorkflowId } from '../../workflows/contract/ids.js';
import type { PlanStatus } from '../../workflows/contract/status.js';
import { planAroundNow, writePlan } from '../helpers/dev-server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const tsxCli = join(root, 'node_modules/tsx/dist/cli.mjs');
/** The live demo plan: its id comes from the year, in the demo's time zone; its current quarter is requested at once. */
const today = localDateOf(Date.now(), 'Asia/Shanghai');
const liveId = `demo-live-${today.slice(0, 4)}`;
const liveQuarter = periodOfDate(today);
/** The demo plan's (task, unit) pairs: one request each. */
const demoPairs = ['grain-security/agriculture', 'grain-security/industry', 'industrial-upgrade/industry', 'inspection-coverage/inspection'];
/** A plan file for the run with an SMTP server. */
const fileId = `start-file-${process.pid}-${Date.now()}`;
const { plan, current } = planAroundNow(fileId);

/** Our environment without Temporal or project settings: `npm start` must run its own server. */
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TEMPORAL_') && !k.startsWith('REVIEW_CYCLES_')));

let dir: string;
let dataDir: string;
let planFile: string;
let port: number;
let uiPort: number;
let portalPort: number;
let catcherPort: number;
let postgresPort: number;
let portal: string;
const children = new Set<ChildProcess>();

interface Started {
  child: ChildProcess;
  /** stdout so far. */
  out: () => string;
  err: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `tsx client/start.ts` in its own process group, as a terminal runs it. */
function start(env: Record<string, string> = {}): Started {
  const child = spawn(process.execPath, [tsxCli, 'client/start.ts'], {
    cwd: root,
    env: {
      ...baseEnv,
      REVIEW_CYCLES_DATA_DIR: dataDir,
      REVIEW_CYCLES_TEMPORAL_PORT: String(port),
      REVIEW_CYCLES_TEMPORAL_UI_PORT: String(uiPort),
      REVIEW_CYCLES_PORTAL_PORT: String(portalPort),
      REVIEW_CYCLES_SMTP_CATCHER_PORT: String(catcherPort),
      REVIEW_CYCLES_POSTGRES_PORT: String(postgresPort),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      ok({ code, signal });
    }),
  );
  return { child, out: () => out, err: () => err, exit };
}

/** Ctrl-C: SIGINT to the whole process group. */
const ctrlC = (s: Started) => process.kill(-s.child.pid!, 'SIGINT');

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, s?: Started): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${s ? `\nstdout:\n${s.out()}\nstderr:\n${s.err()}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits for the address lines (up to the plan line); fails early if the process exits first. */
async function linesOf(s: Started): Promise<string[]> {
  let exited = false;
  void s.exit.then(() => (exited = true));
  return waitFor(
    'the address lines',
    () => {
      if (exited) throw new Error(`npm start exited early\nstdout:\n${s.out()}\nstderr:\n${s.err()}`);
      const lines = s.out().split('\n');
      // Without REVIEW_CYCLES_PLAN two plans start (the live demo and the example plan): wait for the last line.
      return s.err().includes('running; press Ctrl-C to stop') ? lines.filter(Boolean) : undefined;
    },
    60_000,
    s,
  );
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    execFile(
      process.execPath,
      [join(root, 'bin/review-cycles.js'), ...args],
      { cwd: root, env: { ...baseEnv, TEMPORAL_ADDRESS: `${DEV_SERVER_HOST}:${port}`, REVIEW_CYCLES_DATA_DIR: dataDir, REVIEW_CYCLES_POSTGRES_PORT: String(postgresPort) }, timeout: 30_000 },
      (err, stdout, stderr) => ok({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

/** One message of GET /api/outbox. */
interface OutboxMail {
  messageId: string;
  at: string;
  kind: string;
  to: string[];
  cc: string[];
  subject: string;
  links: string[];
}

async function outboxNow(): Promise<OutboxMail[]> {
  const res = await fetch(`${portal}/api/outbox`);
  expect(res.status).toBe(200);
  return (await res.json()) as OutboxMail[];
}

/** The units of the demo plan's (task, unit) pairs: each gets its requests of one instant in one message. */
const demoUnits = [...new Set(demoPairs.map((p) => p.split('/')[1]))];
const reportLinks = (m: OutboxMail) => m.links.filter((l) => l.startsWith(`${portal}/r/`));

/** The report requests of the live plan's current quarter in the outbox, once there is one message per unit. */
async function liveRequests(s: Started): Promise<OutboxMail[]> {
  return waitFor(
    `${demoUnits.length} request messages at ${portal}/api/outbox`,
    async () => {
      const requests = (await outboxNow()).filter((m) => m.kind === 'request' && m.subject.startsWith(`[${liveId}] `));
      return requests.length >= demoUnits.length ? requests : undefined;
    },
    60_000,
    s,
  );
}

const credentialFile = () => join(dataDir, 'hq-credential');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rc-start-'));
  dataDir = join(dir, 'data');
  planFile = writePlan(dir, plan);
  [port, uiPort, portalPort, catcherPort, postgresPort] = await freePorts(5);
  portal = `http://${DEV_SERVER_HOST}:${portalPort}`;
});

afterEach(async () => {
  // A failed test must not leave a server behind: SIGTERM lets `npm start` stop its dev server; SIGKILL if it hangs.
  const signal = (c: ChildProcess, s: NodeJS.Signals) => {
    try {
      process.kill(-c.pid!, s);
    } catch {
      // already gone
    }
  };
  await Promise.all(
    [...children].map(async (c) => {
      const gone = new Promise<void>((ok) => (c.exitCode !== null || c.signalCode !== null ? ok() : c.once('exit', () => ok())));
      signal(c, 'SIGTERM');
      const timer = setTimeout(() => signal(c, 'SIGKILL'), 20_000);
      await gone;
      clearTimeout(timer);
    }),
  );
}, 30_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('npm start', () => {
  test('runs the dev server, the mail catcher, the portal, a worker and the live demo plan; the requests in the outbox, with links that work; Ctrl-C exits 0', async () => {
    const s = start();
    const lines = await linesOf(s);
    const credential = readFileSync(credentialFile(), 'utf8').trim();
    expect(lines).toEqual([
      `temporal: ${DEV_SERVER_HOST}:${port}`,
      `postgres: postgres://review_cycles:***@127.0.0.1:${postgresPort}/review_cycles (embedded)`,
      `temporal-ui: http://${DEV_SERVER_HOST}:${uiPort}`,
      `portal: ${portal}`,
      `outbox: ${portal}/outbox`,
      `hq-credential: ${credential}`,
      `plan: started plan ${liveId} (workflow ${planWorkflowId(liveId)})`,
      `plan: started plan demo-2027 (workflow ${planWorkflowId('demo-2027')})`,
    ]);
    expect(credential.length).toBeGreaterThanOrEqual(20);
    expect(statSync(credentialFile()).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'link-keys')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dataDir, 'live-plan.yaml'), 'utf8')).toContain(`id: ${liveId}`);

    const ui = await fetch(`http://${DEV_SERVER_HOST}:${uiPort}/`);
    expect(ui.status).toBe(200);
    // The embedded server keeps closed workflows for an explicit 30 days (the database keeps their records for good).
    const connection = await Connection.connect({ address: `${DEV_SERVER_HOST}:${port}` });
    try {
      const ns = await connection.workflowService.describeNamespace({ namespace: 'default' });
      expect(Number(ns.config?.workflowExecutionRetentionTtl?.seconds)).toBe(30 * 86_400);
    } finally {
      await connection.close();
    }

    // One message per unit (a digest for a unit with several tasks), with the link to exactly each report's form.
    const requests = await liveRequests(s);
    expect(requests).toHaveLength(demoUnits.length);
    for (const m of requests) {
      expect(m.subject).toContain(liveQuarter);
      const unitPairs = demoPairs.filter((p) => m.to.includes(`${p.split('/')[1] === 'agriculture' ? 'agri' : p.split('/')[1]}@example.org`));
      // The report forms first, then the unit's page (other links may follow).
      expect(reportLinks(m)).toHaveLength(unitPairs.length);
      expect(m.links[0].startsWith(`${portal}/r/`)).toBe(true);
      expect(m.links.filter((l) => l.startsWith(`${portal}/u/`))).toHaveLength(1);
    }
    const agriculture = requests.find((m) => m.to.includes('agri@example.org'))!;
    expect(agriculture.to).toEqual(['agri@example.org', 'agri-office@example.org']);
    expect(new Set(requests.flatMap(reportLinks)).size).toBe(demoPairs.length);

    // The link opens the report's landing page; the outbox page is there too.
    const landing = await fetch(agriculture.links[0]);
    expect(landing.status).toBe(200);
    expect(landing.headers.get('content-type')).toContain('text/html');
    expect(await landing.text()).toContain('Department of Agriculture');
    expect((await fetch(`${portal}/outbox`)).status).toBe(200);

    ctrlC(s);
    const exit = await s.exit;
    expect({ exit, stderr: s.err() }).toMatchObject({ exit: { code: 0, signal: null } });
    expect(s.err()).toContain('shutting down');
    // Everything stopped: nothing listens on the portal's port any more.
    await expect(fetch(`${portal}/api/outbox`)).rejects.toThrow();
  });

  test('a second start over the same data resumes the live plan, with the earlier requests kept and nothing sent twice', async () => {
    const restartedAt = Date.now();
    const credential = readFileSync(credentialFile(), 'utf8').trim();
    const s = start();
    const lines = await linesOf(s);
    expect(lines).toContain(`hq-credential: ${credential}`);
    expect(lines.slice(-2)).toEqual([
      `plan: plan ${liveId} is already running: resumed (workflow ${planWorkflowId(liveId)})`,
      `plan: plan demo-2027 is already running: resumed (workflow ${planWorkflowId('demo-2027')})`,
    ]);

    const before = await liveRequests(s);
    expect(before).toHaveLength(demoUnits.length);
    for (const m of before) expect(Date.parse(m.at)).toBeLessThan(restartedAt); // caught by the first run, kept on disk

    const r = await cli(['plan', 'status', liveId, '--json']);
    expect(r.stderr).toBe('');
    const status = JSON.parse(r.stdout) as PlanStatus;
    for (const pair of demoPairs) {
      const [taskId, unitId] = pair.split('/');
      const p = status.tasks.find((t) => t.taskId === taskId)!.units.find((u) => u.unitId === unitId)!.periods.find((x) => x.period === liveQuarter)!;
      expect(p.state).toBe('requested');
      expect(Date.parse(p.requestedAt!)).toBeLessThan(restartedAt);
    }
    // Nothing is sent twice; the old links still open their pages (same keys, kept in the data folder).
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await outboxNow()).map((m) => m.messageId)).toEqual(before.map((m) => m.messageId));
    expect((await fetch(before[0].links[0])).status).toBe(200);

    ctrlC(s);
    expect((await s.exit).code).toBe(0);
  });

  test('with an SMTP server and a plan file: no catcher (outbox none), the mail goes to the server, its links to the portal', async () => {
    const sink: SmtpSink = await startSmtpSink();
    try {
      const s = start({ REVIEW_CYCLES_SMTP_URL: sink.url, REVIEW_CYCLES_PLAN: planFile, REVIEW_CYCLES_HQ_CREDENTIAL: 'a-given-credential-1234' });
      const lines = await linesOf(s);
      expect(lines.slice(3)).toEqual([
        `portal: ${portal}`,
        `outbox: none (mail goes to ${sink.url})`,
        'hq-credential: (as set in REVIEW_CYCLES_HQ_CREDENTIAL)',
        `plan: started plan ${fileId} (workflow ${planWorkflowId(fileId)})`,
      ]);
      const mails = await waitFor('two requests at the SMTP server', () => (sink.messages.length >= 2 ? sink.messages : undefined), 30_000, s);
      expect(mails.map((m) => m.to.join(',')).sort()).toEqual(['alpha@example.org', 'beta@example.org,beta-desk@example.org']);
      for (const m of mails) {
        expect(m.subject).toContain(`[${fileId}]`);
        expect(m.subject).toContain(current);
        expect(m.headers.get('x-review-cycles-kind')).toBe('request');
        const link = /Submit your report: (\S+)/.exec(m.parsed.text ?? '')![1];
        expect(link.startsWith(`${portal}/r/`)).toBe(true);
        expect((await fetch(link)).status).toBe(200);
      }
      expect((await fetch(`${portal}/api/outbox`)).status).toBe(404);
      ctrlC(s);
      expect((await s.exit).code).toBe(0);
    } finally {
      await sink.close();
    }
  });

  test('a port already in use: a clear error naming the port and its variable, exit 1', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((ok) => blocker.listen(port, DEV_SERVER_HOST, ok));
    try {
      const s = start();
      const exit = await s.exit;
      expect(exit.code).toBe(1);
      expect(s.out()).toBe('');
      expect(s.err()).toContain(`review-cycles: port ${port} (Temporal gRPC) is already in use on ${DEV_SERVER_HOST}`);
      expect(s.err()).toContain('REVIEW_CYCLES_TEMPORAL_PORT');
    } finally {
      await new Promise((ok) => blocker.close(ok));
    }
  });

  test.each([
    ['portal', 'REVIEW_CYCLES_PORTAL_PORT', () => portalPort],
    ['mail catcher SMTP', 'REVIEW_CYCLES_SMTP_CATCHER_PORT', () => catcherPort],
  ])('the %s port already in use: a clear error naming it and its variable, before anything starts', async (role, variable, which) => {
    const blocker: Server = createServer();
    await new Promise<void>((ok) => blocker.listen(which(), DEV_SERVER_HOST, ok));
    try {
      const s = start();
      const exit = await s.exit;
      expect(exit.code).toBe(1);
      expect(s.out()).toBe('');
      expect(s.err()).toContain(`review-cycles: port ${which()} (${role}) is already in use on ${DEV_SERVER_HOST}`);
      expect(s.err()).toContain(variable);
      expect(s.err()).not.toContain('starting the Temporal dev server');
    } finally {
      await new Promise((ok) => blocker.close(ok));
    }
  });

  test('bad settings or a bad plan: every problem named, exit 1, nothing started', async () => {
    const badPlan = writePlan(dir, { ...plan, timezone: 'Mars/Olympus' }, 'bad.yaml');
    const s = start({
      REVIEW_CYCLES_TEMPORAL_UI_PORT: '99999',
      REVIEW_CYCLES_MAIL_FROM: 'nobody',
      REVIEW_CYCLES_PORTAL_PORT: 'http',
      REVIEW_CYCLES_SMTP_CATCHER_PORT: '-1',
      REVIEW_CYCLES_PUBLIC_URL: 'portal.example.org',
    });
    const p = start({ REVIEW_CYCLES_PLAN: badPlan });
    const same = start({ REVIEW_CYCLES_PORTAL_PORT: String(port) });
    const keys = start({ REVIEW_CYCLES_LINK_KEYS: 'k1:c2hvcnQ=' });
    const [exit, planExit, sameExit, keysExit] = await Promise.all([s.exit, p.exit, same.exit, keys.exit]);
    expect(exit.code).toBe(1);
    expect(s.err()).toContain('REVIEW_CYCLES_TEMPORAL_UI_PORT="99999": must be a port number from 1 to 65535');
    expect(s.err()).toContain('REVIEW_CYCLES_MAIL_FROM="nobody": must be an e-mail address');
    expect(s.err()).toContain('REVIEW_CYCLES_PORTAL_PORT="http": must be a port number from 1 to 65535');
    expect(s.err()).toContain('REVIEW_CYCLES_SMTP_CATCHER_PORT="-1": must be a port number from 0 to 65535 (0: any free port)');
    expect(s.err()).toContain('REVIEW_CYCLES_PUBLIC_URL="portal.example.org": must be an http:// or https:// URL');
    expect(planExit.code).toBe(1);
    expect(p.err()).toContain(`review-cycles: REVIEW_CYCLES_PLAN=${JSON.stringify(badPlan)}: the plan is invalid:\n${badPlan}: timezone: unknown time zone "Mars/Olympus"`);
    expect(sameExit.code).toBe(1);
    expect(same.err()).toContain(`REVIEW_CYCLES_PORTAL_PORT="${port}": must differ from REVIEW_CYCLES_TEMPORAL_PORT (${port})`);
    expect(keysExit.code).toBe(1);
    expect(keys.err()).toContain('REVIEW_CYCLES_LINK_KEYS: key "k1": the secret must be at least 32 bytes');
    for (const r of [s, p, same, keys]) {
      expect(r.out()).toBe('');
      expect(r.err()).not.toContain('starting the Temporal dev server');
    }
  });
});

describe('the live demo plan', () => {
  test.each([
    ['today', Date.now()],
    ['the first minutes of a year (Shanghai)', Date.parse('2026-12-31T16:05:00Z')],
    ['the last minute of a quarter (Shanghai)', Date.parse('2026-06-30T15:59:00Z')],
    ['a Sunday early in a 92-day quarter', Date.parse('2027-07-04T02:00:00Z')],
  ])('generated at %s: valid, covers today, its current quarter requested at once and tracked', async (_, now) => {
    const dataDir = mkdtempSync(join(dir, 'live-'));
    const file = await liveDemoPlanFile(dataDir, now);
    const loaded = await loadPlanFile(file);
    if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
    const { plan: p } = loaded;
    const day = localDateOf(now, 'Asia/Shanghai');
    expect(p.id).toBe(`demo-live-${day.slice(0, 4)}`);
    expect(p.start <= day && day <= p.end).toBe(true);
    expect(p.end).toBe(`${Number(day.slice(0, 4)) + 2}-12-31`);
    expect(p.units.map((u) => u.id)).toEqual(['industry', 'agriculture', 'inspection']);
    const [first] = cycleTimeline(p, now);
    expect(first.schedule.period).toBe(periodOfDate(day));
    expect(first.tracked).toBe(true);
    expect(first.schedule.requestAt).toBeLessThan(now);
    expect(first.requestAt).toBe(now); // the request goes out as the plan starts
    expect(first.events.filter((e) => e.kind === 'reminder' || e.kind === 'escalation').length).toBeGreaterThan(0);
  });

  test('kept in the data folder: a later start in the same quarter (or year) uses the same file; an ended one is replaced', async () => {
    const dataDir = mkdtempSync(join(dir, 'live-'));
    const t0 = Date.parse('2027-05-10T02:00:00Z');
    const file = await liveDemoPlanFile(dataDir, t0);
    const text = readFileSync(file, 'utf8');
    expect(await liveDemoPlanFile(dataDir, t0 + 3_600_000)).toBe(file);
    expect(await liveDemoPlanFile(dataDir, Date.parse('2028-02-01T02:00:00Z'))).toBe(file);
    expect(readFileSync(file, 'utf8')).toBe(text);
    // The same quarter gives the same plan, whatever the day.
    expect(livePlan(Date.parse('2027-06-29T02:00:00Z'))).toEqual(livePlan(t0));
    // Once its plan has ended, a new one (with a new id) takes its place.
    await liveDemoPlanFile(dataDir, Date.parse('2030-01-02T02:00:00Z'));
    expect(readFileSync(file, 'utf8')).toContain('id: demo-live-2030');
  });
});

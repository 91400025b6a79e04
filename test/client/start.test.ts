/**
 * `npm start` as a real subprocess (tsx, as npm runs it): the embedded dev server, an in-process worker and the plan
 * on the real clock; Ctrl-C; a restart over the same data folder that resumes where it stopped.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { DEV_SERVER_HOST, freePorts } from '../../client/dev-server.js';
import { planWorkflowId } from '../../workflows/contract/ids.js';
import type { PlanStatus } from '../../workflows/contract/status.js';
import { planAroundNow, writePlan } from '../helpers/dev-server.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const tsxCli = join(root, 'node_modules/tsx/dist/cli.mjs');
const planId = `start-live-${process.pid}-${Date.now()}`;
const { plan, current } = planAroundNow(planId);

/** Our environment without Temporal or project settings: `npm start` must run its own server. */
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TEMPORAL_') && !k.startsWith('REVIEW_CYCLES_')));

let dir: string;
let dataDir: string;
let planFile: string;
let port: number;
let uiPort: number;
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
      REVIEW_CYCLES_PLAN: planFile,
      REVIEW_CYCLES_TEMPORAL_PORT: String(port),
      REVIEW_CYCLES_TEMPORAL_UI_PORT: String(uiPort),
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

/** Waits for the four address lines; fails early if the process exits first. */
async function linesOf(s: Started): Promise<string[]> {
  let exited = false;
  void s.exit.then(() => (exited = true));
  return waitFor(
    'the address lines',
    () => {
      if (exited) throw new Error(`npm start exited early\nstdout:\n${s.out()}\nstderr:\n${s.err()}`);
      const lines = s.out().split('\n');
      return lines.some((l) => l.startsWith('plan: ')) ? lines.filter(Boolean) : undefined;
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
      { cwd: root, env: { ...baseEnv, TEMPORAL_ADDRESS: `${DEV_SERVER_HOST}:${port}` }, timeout: 30_000 },
      (err, stdout, stderr) => ok({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

const outbox = () => join(dataDir, 'outbox');
const emlFiles = () => {
  try {
    return readdirSync(outbox()).filter((f) => f.endsWith('.eml')).sort();
  } catch {
    return [];
  }
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rc-start-'));
  dataDir = join(dir, 'data');
  planFile = writePlan(dir, plan);
  [port, uiPort] = await freePorts(2);
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
  test('runs the dev server, a worker and the plan; the request mail lands in the outbox; Ctrl-C exits 0', async () => {
    const s = start();
    const lines = await linesOf(s);
    expect(lines).toEqual([
      `temporal: ${DEV_SERVER_HOST}:${port}`,
      `temporal-ui: http://${DEV_SERVER_HOST}:${uiPort}`,
      `outbox: ${outbox()}`,
      `plan: started plan ${planId} (workflow ${planWorkflowId(planId)})`,
    ]);

    const ui = await fetch(`http://${DEV_SERVER_HOST}:${uiPort}/`);
    expect(ui.status).toBe(200);

    // One request per unit: alpha's and beta's.
    const files = await waitFor('two .eml files in the outbox', () => (emlFiles().length >= 2 ? emlFiles() : undefined), 30_000, s);
    const mails = await Promise.all(files.map((f) => simpleParser(readFileSync(join(outbox(), f)))));
    const to = (m: (typeof mails)[number]) => (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).flatMap((a) => a.value.map((v) => v.address));
    expect(mails.map((m) => to(m).join(',')).sort()).toEqual(['alpha@example.org', 'beta@example.org,beta-desk@example.org']);
    for (const m of mails) {
      expect(m.subject).toContain(`[${planId}]`);
      expect(m.subject).toContain(current);
      expect(m.from?.value[0].address).toBe('review-cycles@localhost');
    }

    ctrlC(s);
    const exit = await s.exit;
    expect({ exit, stderr: s.err() }).toMatchObject({ exit: { code: 0, signal: null } });
    expect(s.err()).toContain('shutting down');
  });

  test('a second start over the same data resumes the plan, with the earlier request kept', async () => {
    const before = emlFiles();
    const restartedAt = Date.now();
    const s = start();
    const lines = await linesOf(s);
    expect(lines.at(-1)).toBe(`plan: plan ${planId} is already running: resumed (workflow ${planWorkflowId(planId)})`);

    const r = await cli(['plan', 'status', planId, '--json']);
    expect(r.stderr).toBe('');
    const status = JSON.parse(r.stdout) as PlanStatus;
    for (const [taskId, unitId] of [['t1', 'alpha'], ['t2', 'beta']]) {
      const p = status.tasks.find((t) => t.taskId === taskId)!.units.find((u) => u.unitId === unitId)!.periods.find((x) => x.period === current)!;
      expect(p.state).toBe('requested');
      expect(Date.parse(p.requestedAt!)).toBeLessThan(restartedAt); // sent by the first run, kept in temporal.sqlite
    }
    // Nothing is sent twice.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(emlFiles()).toEqual(before);

    ctrlC(s);
    expect((await s.exit).code).toBe(0);
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

  test('bad settings or a bad plan: every problem named, exit 1, nothing started', async () => {
    const badPlan = writePlan(dir, { ...plan, timezone: 'Mars/Olympus' }, 'bad.yaml');
    const s = start({ REVIEW_CYCLES_TEMPORAL_UI_PORT: '99999', REVIEW_CYCLES_MAIL_FROM: 'nobody' });
    const p = start({ REVIEW_CYCLES_PLAN: badPlan });
    const [exit, planExit] = await Promise.all([s.exit, p.exit]);
    expect(exit.code).toBe(1);
    expect(s.err()).toContain('REVIEW_CYCLES_TEMPORAL_UI_PORT="99999": must be a port number from 1 to 65535');
    expect(s.err()).toContain('REVIEW_CYCLES_MAIL_FROM="nobody": must be an e-mail address');
    expect(planExit.code).toBe(1);
    expect(p.err()).toContain(`review-cycles: REVIEW_CYCLES_PLAN=${JSON.stringify(badPlan)}: the plan is invalid:\n${badPlan}: timezone: unknown time zone "Mars/Olympus"`);
    for (const r of [s, p]) {
      expect(r.out()).toBe('');
      expect(r.err()).not.toContain('starting the Temporal dev server');
    }
  });
});

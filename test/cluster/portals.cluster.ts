/**
 * Two portal processes on the cluster, behind no proxy: two `npm start` processes (each a portal and a worker) on the
 * same task queue, database and link keys. The unit link a request notice carries, followed on one portal, gives a
 * session cookie the other accepts; a report form shown by one is submitted to the other; both show the same
 * headquarters dashboard and the same unit page.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePorts } from '../../client/dev-server.js';
import { formatKeyring, newKeyring } from '../../security/keyring.js';
import { root, sleep } from '../../scripts/faults/support.js';
import { checkPlan } from '../../workflows/contract/plan-check.js';
import { planAroundNow, writePlan } from '../helpers/dev-server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { clusterStack, type ClusterStack } from './support.js';

const HQ_CREDENTIAL = 'cluster-hq-credential-0123456789';
const HQ = { authorization: `Basic ${Buffer.from(`hq:${HQ_CREDENTIAL}`).toString('base64')}` };
const FORM = 'application/x-www-form-urlencoded';
const planId = `cluster-portals-${process.pid}-${Date.now()}`;
const { plan, current } = planAroundNow(planId);

interface Portal {
  base: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<unknown>;
}

let stack: ClusterStack;
let sink: SmtpSink;
let dir: string;
const portals: Portal[] = [];

/** Starts `npm start`'s program (tsx client/start.ts) on `port` and waits until it prints its plan line. */
async function startPortal(name: string, port: number, env: Record<string, string>): Promise<Portal> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REVIEW_CYCLES_') && !k.startsWith('TEMPORAL_')));
  const child = spawn(join(root, 'node_modules/.bin/tsx'), ['client/start.ts'], {
    cwd: root,
    env: { ...inherited, ...env, REVIEW_CYCLES_PORTAL_PORT: String(port), REVIEW_CYCLES_DATA_DIR: join(dir, name) },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (b: Buffer) => (text += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (text += b.toString()));
  let running = true;
  const exited = new Promise((ok) => child.on('exit', (code, signal) => ok((running = false) || { code, signal })));
  const p: Portal = { base: `http://127.0.0.1:${port}`, child, output: () => text, exited };
  portals.push(p);
  const until = Date.now() + 120_000;
  while (!/^plan: /m.test(text)) {
    if (!running) throw new Error(`portal ${name} exited:\n${text.slice(-3000)}`);
    if (Date.now() > until) throw new Error(`portal ${name} did not start within 120 s:\n${text.slice(-3000)}`);
    await sleep(100);
  }
  return p;
}

beforeAll(async () => {
  stack = await clusterStack('portals');
  sink = await startSmtpSink();
  dir = mkdtempSync(join(tmpdir(), 'rc-cluster-portals-'));
  const checked = checkPlan(plan);
  if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
  stack.track(checked.plan);
  const [portA, portB] = await freePorts(2);
  const env = {
    ...stack.env,
    REVIEW_CYCLES_SMTP_URL: sink.url,
    REVIEW_CYCLES_LINK_KEYS: formatKeyring(newKeyring()),
    REVIEW_CYCLES_HQ_CREDENTIAL: HQ_CREDENTIAL,
    REVIEW_CYCLES_PLAN: writePlan(dir, plan),
    // Behind a proxy both would have one public address; here the links point at the first.
    REVIEW_CYCLES_PUBLIC_URL: `http://127.0.0.1:${portA}`,
  };
  // One after the other: the second finds the plan running and resumes it.
  await startPortal('a', portA, env);
  await startPortal('b', portB, env);
});

afterAll(async () => {
  for (const p of portals) {
    try {
      process.kill(-p.child.pid!, 'SIGTERM');
    } catch {
      // gone already
    }
  }
  await Promise.all(portals.map((p) => Promise.race([p.exited, sleep(20_000).then(() => {
    try {
      process.kill(-p.child.pid!, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  })])));
  await stack?.close();
  await sink?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const get = (p: Portal, path: string, headers: Record<string, string> = {}) => fetch(`${p.base}${path}`, { redirect: 'manual', headers });
const post = (p: Portal, path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${p.base}${path}`, { method: 'POST', redirect: 'manual', body: new URLSearchParams(body).toString(), headers: { 'content-type': FORM, origin: p.base, ...headers } });
/** A page without what is made per response (CSRF tokens, request ids). */
const steady = (html: string) => html.replace(/name="csrf" value="[^"]+"/g, 'name="csrf" value=""').replace(/\b(request id|requestId)[^<\n]*/gi, '$1');

test("a unit's cookie from one portal works on the other, and both show the same dashboard", async () => {
  const [a, b] = portals;
  expect(a.output()).toMatch(/^plan: started plan /m);
  expect(b.output()).toMatch(/^plan: plan .* is already running: resumed/m);

  // The request to alpha carries its unit link, pointing at the public address.
  const until = Date.now() + 60_000;
  while (!sink.messages.some((m) => m.envelopeTo.includes('alpha@example.org')) && Date.now() < until) await sleep(200);
  const mail = sink.messages.find((m) => m.envelopeTo.includes('alpha@example.org'));
  expect(mail, 'the request to alpha arrived').toBeDefined();
  const link = new RegExp(`${a.base.replace(/[.]/g, '\\.')}/u/([A-Za-z0-9._-]+)`).exec(mail!.parsed.text ?? '')?.[1];
  expect(link, 'the notice carries a unit link').toBeDefined();

  // Followed on portal A, the session cookie works on portal B.
  const cont = await post(a, '/u/continue', { token: link! });
  expect(cont.status).toBe(303);
  const cookie = cont.headers.getSetCookie()[0].split(';')[0];
  expect(cookie).toMatch(/^rc_unit=/);
  const pageA = await get(a, '/unit', { cookie });
  const pageB = await get(b, '/unit', { cookie });
  expect(pageA.status).toBe(200);
  expect(pageB.status).toBe(200);
  const htmlA = await pageA.text();
  const htmlB = await pageB.text();
  expect(htmlB).toContain('Alpha Office');
  expect(steady(htmlB)).toBe(steady(htmlA));
  expect((await get(b, '/unit')).status, 'no cookie, no page').not.toBe(200);

  // The form portal A showed is submitted to portal B: its CSRF token and request id are good there too.
  const form = (name: string) => new RegExp(`name="(r\\d+\\.${name})" value="([^"]+)"`).exec(htmlA);
  const csrf = /name="csrf" value="([^"]+)"/.exec(htmlA)?.[1];
  const task = form('task');
  const period = form('period');
  const requestId = form('requestId');
  expect(csrf && task && period && requestId, 'the unit page shows a report form').toBeTruthy();
  const n = task![1].split('.')[0];
  expect(period![2]).toBe(current);
  const fields = { status: 'on-track', summary: 'Submitted through the other portal.', progress: '30', problems: '', nextSteps: 'Go on.', submittedBy: 'Ann' };
  const body: Record<string, string> = { csrf: csrf!, [task![1]]: task![2], [period![1]]: period![2], [requestId![1]]: requestId![2], [`${n}.send`]: '1' };
  for (const [k, v] of Object.entries(fields)) body[`${n}.${k}`] = v;
  const sent = await post(b, '/unit', body, { cookie });
  expect(sent.status).toBe(200);
  expect(await sent.text()).toContain('Your report was received on time (revision 1).');

  // Both portals show the same dashboard, with the report that arrived through B.
  const dashboard = async (p: Portal) => {
    const res = await get(p, `/hq/plans/${planId}`, HQ);
    expect(res.status).toBe(200);
    return steady(await res.text());
  };
  const [dashA, dashB] = [await dashboard(a), await dashboard(b)];
  expect(dashB).toBe(dashA);
  const apiA = await (await get(a, `/api/hq/plans/${planId}/status`, HQ)).json();
  const apiB = await (await get(b, `/api/hq/plans/${planId}/status`, HQ)).json();
  expect(apiB).toEqual(apiA);
  expect(JSON.stringify(apiA)).toContain('submitted');
  expect(a.child.exitCode).toBeNull();
  expect(b.child.exitCode).toBeNull();
});

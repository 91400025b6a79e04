/**
 * The unit's form reads a constant number of indexed queries whatever the size of the plan: counted on a pool of its
 * own (on the same database) for a 5-task and a 200-task plan, for the current quarter and for the next one (whose
 * form is pre-filled from the current quarter's report).
 */
import pg from 'pg';
import { afterAll, expect, test } from 'vitest';
import { createPortal, type PortalServer } from '../../client/portal/server.js';
import { HQ_CREDENTIAL, periodStatus, token, usePortal, waitFor } from './harness.js';

const stamp = `${process.pid}-${Date.now()}`;
const small = `portal-q5-${stamp}`;
const big = `portal-q200-${stamp}`;
/** Tasks t1..tn, alternately alpha's and beta's (so t1 is alpha's and t2 beta's, as the harness expects). */
const tasks = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `t${i + 1}`, aspect: 'a', title: `Task ${i + 1}`, units: [i % 2 === 0 ? 'alpha' : 'beta'] }));
const h = usePortal('queries', [
  { id: small, overrides: { tasks: tasks(5) } },
  { id: big, overrides: { tasks: tasks(200) } },
]);

let counted: pg.Pool | undefined;
let portal: PortalServer | undefined;
afterAll(async () => {
  await portal?.close();
  await counted?.end();
});

test("the unit form's queries do not grow with the plan's size", async () => {
  counted = new pg.Pool({ connectionString: (h.db as unknown as { options: { connectionString: string } }).options.connectionString, max: 4 });
  let queries = 0;
  const query = counted.query.bind(counted) as (...args: unknown[]) => unknown;
  (counted as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    queries++;
    return query(...args);
  };
  portal = createPortal({ client: h.client, db: counted, keyring: h.ring, hqCredential: HQ_CREDENTIAL, log: () => {} });
  const base = await portal.listen(0);

  const post = (path: string, body: Record<string, string>, cookie = '') =>
    fetch(`${base}${path}`, { method: 'POST', redirect: 'manual', body: new URLSearchParams(body).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base, cookie } });
  const session = async (planId: string, period: string) => {
    const res = await post('/r/continue', { token: token(h.ring, { p: 'report-link', plan: planId, task: 't1', unit: 'alpha', period }) });
    expect(res.status).toBe(303);
    return res.headers.getSetCookie()[0].split(';')[0];
  };
  /** The queries of one GET /report, and its page. */
  const formQueries = async (cookie: string) => {
    const before = queries;
    const res = await fetch(`${base}/report`, { headers: { cookie } });
    expect(res.status).toBe(200);
    return { n: queries - before, html: await res.text() };
  };

  // A report in the current quarter of each plan: the next quarter's form is pre-filled from it.
  for (const planId of [small, big]) {
    const cookie = await session(planId, h.current);
    const page = (await formQueries(cookie)).html;
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(page)?.[1] ?? '';
    const res = await post('/report', { csrf: field('csrf'), requestId: field('requestId'), status: 'on-track', summary: `Report of ${planId}`, progress: '', problems: '', nextSteps: '', submittedBy: '' }, cookie);
    expect(res.status).toBe(200);
    await waitFor(`${planId} recorded`, async () => ((await periodStatus(h.db, planId, 't1', 'alpha', h.current))?.revisions === 1 ? true : undefined));
  }

  const counts: Record<string, number[]> = {};
  for (const planId of [small, big]) {
    const current = await session(planId, h.current);
    const next = await session(planId, h.next);
    const a = await formQueries(current);
    const b = await formQueries(current);
    const c = await formQueries(next);
    expect(a.html).toContain(`Report of ${planId}</textarea>`);
    expect(c.html).toContain(`Report of ${planId}</textarea>`);
    expect(c.html).toContain(`The form is pre-filled with your report for ${h.current}.`);
    counts[planId] = [a.n, b.n, c.n];
  }
  expect(counts[big]).toEqual(counts[small]);
  for (const n of counts[small]) expect(n).toBeLessThanOrEqual(6);
}, 120_000);

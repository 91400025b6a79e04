/**
 * The portal with the engine stopped: every page and the JSON API still answer from the system of record, the unit's
 * form still comes pre-filled, and sending a report (or a decision) answers within the client API's write timeout
 * (at most 10 s) with a 503 that says the engine is not running, that the report was not recorded, and that sending the
 * same form again later is safe (a decision: that it may still be applied, and sending it again is safe).
 */
import { describe, expect, test } from 'vitest';
import { HQ_CREDENTIAL, periodStatus, token, usePortal, waitFor } from './harness.js';

const planId = `portal-down-${process.pid}-${Date.now()}`;
const h = usePortal('down', [{ id: planId }]);

const HQ = { authorization: `Basic ${Buffer.from(`hq:${HQ_CREDENTIAL}`).toString('base64')}` };
const FORM = 'application/x-www-form-urlencoded';
const get = (path: string, headers: Record<string, string> = {}) => fetch(`${h.base}${path}`, { redirect: 'manual', headers });
const post = (path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${h.base}${path}`, { method: 'POST', redirect: 'manual', body: new URLSearchParams(body).toString(), headers: { 'content-type': FORM, origin: h.base, ...headers } });

async function session(): Promise<string> {
  const link = token(h.ring, { p: 'report-link', plan: planId, task: 't1', unit: 'alpha', period: h.current });
  const res = await post('/r/continue', { token: link });
  expect(res.status).toBe(303);
  return res.headers.getSetCookie()[0].split(';')[0];
}

async function form(cookie: string) {
  const res = await get('/report', { cookie });
  expect(res.status).toBe(200);
  const html = await res.text();
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';
  return { html, csrf: field('csrf'), requestId: field('requestId') };
}

const report = { status: 'at-risk', summary: 'Reported while the engine ran.', progress: '7', problems: '', nextSteps: '', submittedBy: 'Ann' };

describe('without a worker', () => {
  test('pages, the pre-filled form and the JSON API answer from the database; a submission answers 503 within the write timeout (under 12 s)', async () => {
    // One report while the engine runs, so there is something to pre-fill and to show.
    const cookie = await session();
    const first = await form(cookie);
    expect((await post('/report', { ...report, csrf: first.csrf, requestId: first.requestId }, { cookie })).status).toBe(200);
    await waitFor('the report recorded', async () => ((await periodStatus(h.db, planId, 't1', 'alpha', h.current))?.revisions === 1 ? true : undefined));

    await h.stopWorker();

    const plans = await get('/hq', HQ);
    expect(plans.status).toBe(200);
    expect(await plans.text()).toContain(planId);
    const dash = await get(`/hq/plans/${planId}`, HQ);
    expect(dash.status).toBe(200);
    expect(await dash.text()).toMatch(/<tr data-unit="alpha"><th>Alpha Office<\/th><td>1<\/td>[^]*?<td data-state="submitted">1<\/td>/);
    const drill = await get(`/hq/plans/${planId}/aspects/a`, HQ);
    expect(drill.status).toBe(200);
    expect(await drill.text()).toMatch(new RegExp(`data-task="t1" data-unit="alpha" data-period="${h.current}" data-state="submitted"`));
    expect((await get(`/api/hq/plans/${planId}/summary`, HQ)).status).toBe(200);
    const page = await get(`/hq/plans/${planId}/reports/t1/alpha/${h.current}`, HQ);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Reported while the engine ran.');
    expect((await get(`/hq/plans/${planId}/tasks/t1`, HQ)).status).toBe(200);

    const status = await get(`/api/hq/plans/${planId}/status`, HQ);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ planId, tasks: [{ taskId: 't1', units: [{ unitId: 'alpha', periods: expect.arrayContaining([expect.objectContaining({ period: h.current, revisions: 1 })]) }] }, { taskId: 't2' }] });
    const one = await get(`/api/hq/plans/${planId}/reports/t1/alpha/${h.current}`, HQ);
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({ revisions: [{ summary: 'Reported while the engine ran.' }] });

    // The form still opens, pre-filled with the report.
    const again = await form(await session());
    expect(again.html).toContain('Reported while the engine ran.</textarea>');
    expect(again.html).toContain('One revision has been received so far');

    // Sending it: the engine does not answer; the client API gives up after its write timeout (at most 10 s).
    const started = Date.now();
    const sent = await post('/report', { ...report, summary: 'Sent while the engine is down.', csrf: first.csrf, requestId: again.requestId }, { cookie });
    const took = Date.now() - started;
    expect(sent.status).toBe(503);
    expect(took).toBeLessThan(12_000);
    const html = await sent.text();
    expect(html).toContain('The engine is not running');
    expect(html).toContain('this report has not been recorded. Please submit the same form again later: it is applied once.');
    expect(html).toContain('id="engine-down"');
    // The form is kept as typed, with the same request id: sending it again later is applied once.
    expect(html).toContain('Sent while the engine is down.</textarea>');
    expect(html).toContain(`name="requestId" value="${again.requestId}"`);
    expect(await periodStatus(h.db, planId, 't1', 'alpha', h.current)).toMatchObject({ revisions: 1 });
  });

  test("the JSON API's decisions answer 503 with the engine-down refusal", async () => {
    const started = Date.now();
    const res = await fetch(`${h.base}/api/hq/plans/${planId}/reports/t1/alpha/${h.current}/accept`, {
      method: 'POST',
      body: JSON.stringify({ by: 'Desk', requestId: 'down-accept-1' }),
      headers: { ...HQ, 'content-type': 'application/json' },
    });
    expect(Date.now() - started).toBeLessThan(12_000);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: string; field: string; refusals: { code: string }[] };
    expect(body).toMatchObject({ field: 'engine', refusals: [{ code: 'engineDown' }] });
    expect(body.error).toContain('The engine is not running');
    expect(body.error).toContain('again later is safe');
    expect(h.logs.some((l) => / 503 /.test(l))).toBe(true);
  });
});

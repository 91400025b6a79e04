/**
 * Headquarters amends a running plan from the dashboard, over real HTTP against a real dev server, a real worker and
 * PostgreSQL: the plan file uploaded or pasted, the preview of `plan amend --dry-run` (the difference in words, the
 * notices that move), every refusal located in the plan's language, the 413 of a file too large, the origin and CSRF
 * checks, the confirmation applied once, the version in force on the dashboard and the version history, and the
 * dashboard's counts of the amended plan (withdrawn, joined, untracked) equal to its status.
 */
import { describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { planStatus } from '../../client/plans.js';
import { storedPlan } from '../../store/records.js';
import { planHistory } from '../../store/versions.js';
import { planWorkflowId } from '../../workflows/contract/ids.js';
import type { Plan } from '../../workflows/contract/plan.js';
import { PERIOD_STATES, type PlanStatus } from '../../workflows/contract/status.js';
import { HQ_CREDENTIAL, usePortal, waitFor } from './harness.js';

const planId = `portal-amend-${process.pid}-${Date.now()}`;
const zhPlanId = `${planId}-zh`;
const endedPlanId = `${planId}-ended`;
const h = usePortal('amend', [
  { id: planId },
  { id: zhPlanId, overrides: { locale: 'zh-CN', title: '修订试点' } },
  { id: endedPlanId },
]);

const HQ = { authorization: `Basic ${Buffer.from(`hq:${HQ_CREDENTIAL}`).toString('base64')}` };
const REASON = 'Another reminder; gamma takes over t2';

const get = (path: string) => fetch(`${h.base}${path}`, { redirect: 'manual', headers: HQ });
const amendPath = (id: string) => `/hq/plans/${encodeURIComponent(id)}/amend`;

/** The amend form's CSRF token, read from its page. */
async function csrfOf(id: string): Promise<string> {
  const res = await get(amendPath(id));
  expect(res.status).toBe(200);
  return /name="csrf" value="([^"]+)"/.exec(await res.text())![1];
}

type Fields = { csrf?: string; plan?: string; reason?: string; by?: string; version?: string; format?: string; name?: string; file?: { name: string; text: string | Uint8Array } };

/** Posts the amend form as a browser does (multipart/form-data). */
function postForm(path: string, f: Fields, headers: Record<string, string> = { origin: h.base }) {
  const body = new FormData();
  for (const [k, v] of Object.entries(f)) if (k !== 'file' && v !== undefined) body.set(k, v as string);
  if (f.file) body.set('file', new Blob([f.file.text as BlobPart]), f.file.name);
  return fetch(`${h.base}${path}`, { method: 'POST', redirect: 'manual', body, headers: { ...HQ, ...headers } });
}

const unescape = (s: string) => s.replace(/<[^>]+>/g, '').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
/** The texts of the items of a list by its id. */
const itemsOf = (html: string, id: string) => {
  const list = new RegExp(`<ul[^>]*id="${id}"[^>]*>([\\s\\S]*?)</ul>`).exec(html)?.[1] ?? '';
  return [...list.matchAll(/<li[^>]*>([\s\S]*?)<\/li>/g)].map((m) => unescape(m[1]));
};
/** The located problems: `field: sentence` per item. */
const problemsOf = (html: string) => {
  const block = /<div id="problems"[\s\S]*?<\/div>/.exec(html)?.[0] ?? '';
  return [...block.matchAll(/<li data-field="([^"]*)">([\s\S]*?)<\/li>/g)].map((m) => unescape(m[2]));
};

/** The plan as started (version 1, validated, with its defaults), from the system of record. */
async function started(id: string): Promise<Plan> {
  return (await planHistory(h.db, id, { withPlan: true }))[0].plan!;
}

/** Version 2: a reminder the day before the due day, a new unit taking over t2, a new task t3. */
function v2Of(plan: Plan): Plan {
  return {
    ...plan,
    units: [...plan.units, { id: 'gamma', name: 'Gamma Office', email: 'gamma@example.org' }],
    tasks: [plan.tasks[0], { ...plan.tasks[1], units: ['gamma'] }, { id: 't3', aspect: 'a', title: 'Task Three', units: ['alpha'] }],
    cadence: { ...plan.cadence, reminderDays: [-1] },
  };
}

const lastDay = (quarter: string) => new Date(Date.UTC(Number(quarter.slice(0, 4)), 3 * Number(quarter.slice(6)), 0)).toISOString().slice(0, 10);

describe('the amend page', () => {
  test('the dashboard names version 1 in force and links the history and the amend page; the form asks for a file or the pasted plan', async () => {
    const dash = await (await get(`/hq/plans/${planId}`)).text();
    expect(unescape(/<p id="version-in-force"[\s\S]*?<\/p>/.exec(dash)![0])).toMatch(/^Version 1 in force since .+ UTC: the plan as started · Version history · Amend the plan$/);
    const res = await get(amendPath(planId));
    expect(res.headers.get('content-security-policy')).toContain("form-action 'self'");
    const html = await res.text();
    for (const s of ['enctype="multipart/form-data"', 'type="file" id="file" name="file"', 'id="plan" name="plan"', 'id="reason" name="reason"', 'Preview the amendment']) expect(html).toContain(s);
    expect((await fetch(`${h.base}${amendPath(planId)}`, { redirect: 'manual' })).status).toBe(401);
  });

  test('another origin, no or a wrong CSRF token, or a form that is not multipart are refused and nothing is read', async () => {
    const csrf = await csrfOf(planId);
    const plan = stringify(v2Of(await started(planId)));
    expect((await postForm(amendPath(planId), { csrf, plan, reason: REASON }, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await postForm(amendPath(planId), { plan, reason: REASON })).status).toBe(403);
    expect((await postForm(`${amendPath(planId)}/apply`, { csrf: 'A'.repeat(43), plan, reason: REASON, version: '1' })).status).toBe(403);
    const urlencoded = await fetch(`${h.base}${amendPath(planId)}`, { method: 'POST', body: new URLSearchParams({ csrf, plan, reason: REASON }), headers: { ...HQ, origin: h.base } });
    expect(urlencoded.status).toBe(415);
    const twice = new FormData();
    twice.append('csrf', csrf);
    twice.append('reason', 'a');
    twice.append('reason', 'b');
    expect((await fetch(`${h.base}${amendPath(planId)}`, { method: 'POST', body: twice, headers: { ...HQ, origin: h.base } })).status).toBe(400);
    expect((await storedPlan(h.db, planId))!.version).toBe(1);
  });

  test('a file larger than the limit is refused with a 413 that says the limit', async () => {
    const csrf = await csrfOf(planId);
    const res = await postForm(amendPath(planId), { csrf, reason: REASON, file: { name: 'huge.yaml', text: `# ${'x'.repeat(4 * 1024 * 1024)}\n` } });
    expect(res.status).toBe(413);
    const text = unescape(await res.text());
    expect(text).toContain('The request is too large');
    expect(text).toContain('The plan file is too large to be sent here: at most 4 MB');
  });

  test('an uploaded YAML file is previewed as plan amend --dry-run: the difference in words and the notices that move; nothing is applied', async () => {
    const csrf = await csrfOf(planId);
    const res = await postForm(amendPath(planId), { csrf, reason: REASON, by: 'HQ desk', file: { name: 'v2.yaml', text: stringify(v2Of(await started(planId))) } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<h1>Live test plan');
    expect(html).toContain('Amending version 1');
    expect(itemsOf(html, 'difference')).toEqual([
      'unit gamma added ("Gamma Office", gamma@example.org)',
      'task t3 added (aspect a, units alpha)',
      'task t2: unit beta left, unit gamma joined',
      'cadence.reminderDays: [] -> [-1]',
    ]);
    const moved = itemsOf(html, 'moved');
    expect(moved[0]).toMatch(new RegExp(`^${h.current} request for t2/gamma is added at .+ UTC$`));
    expect(moved).toContainEqual(expect.stringMatching(new RegExp(`^${h.current} reminder 1 is added at .+ 09:00 UTC$`)));
    expect(moved).toContainEqual(expect.stringMatching(new RegExp(`^${h.next} reminder 1 is added at .+ 09:00 UTC$`)));
    expect(html).toContain('name="version" value="1"');
    expect(html).toContain('name="format" value="yaml"');
    expect(html).toContain('Apply as version 2');
    expect((await storedPlan(h.db, planId))!.version).toBe(1);
  });

  test('every refusal is located: what cannot change, an end too early, an invalid file, a syntax error, no reason, no plan', async () => {
    const csrf = await csrfOf(planId);
    const v2 = v2Of(await started(planId));
    const end = lastDay(h.current);
    const early = await postForm(amendPath(planId), { csrf, reason: 'x', plan: JSON.stringify({ ...v2, timezone: 'Asia/Shanghai', end: v2.start }) });
    expect(early.status).toBe(400);
    const earlyHtml = await early.text();
    expect(problemsOf(earlyHtml)).toEqual([
      'timezone: This cannot change while the plan runs: it is UTC, the file says Asia/Shanghai.',
      `end: The end must be ${end} or later (the quarter in progress, ${h.current}, ends on ${end}), not ${v2.start}.`,
    ]);
    // The pasted form of the file is kept in the form to be corrected.
    expect(earlyHtml).toContain('&quot;timezone&quot;:&quot;Asia/Shanghai&quot;');

    const invalid = await postForm(amendPath(planId), { csrf, reason: 'x', file: { name: 'bad.json', text: JSON.stringify({ ...v2, units: v2.units.slice(0, 2) }, null, 2) } });
    expect(invalid.status).toBe(400);
    const invalidHtml = await invalid.text();
    expect(invalidHtml).toContain('bad.json: the plan has problems, nothing was applied:');
    expect(problemsOf(invalidHtml)).toEqual([expect.stringMatching(/^tasks\[1\]\.units\[0\]: unknown unit "gamma"; /)]);

    const syntax = await postForm(amendPath(planId), { csrf, reason: 'x', file: { name: 'broken.yaml', text: 'id: [unclosed\n' } });
    expect(problemsOf(await syntax.text())).toEqual([expect.stringMatching(/^YAML syntax error at \d+:\d+: /)]);
    const notUtf8 = await postForm(amendPath(planId), { csrf, reason: 'x', file: { name: 'latin1.yaml', text: new Uint8Array([0x69, 0x64, 0x3a, 0x20, 0xe9, 0x0a]) } });
    expect(notUtf8.status).toBe(400);
    expect(await notUtf8.text()).toContain('The plan file is not UTF-8 text.');

    const empty = await postForm(amendPath(planId), { csrf, reason: '  ', plan: '' });
    expect(empty.status).toBe(400);
    const emptyHtml = await empty.text();
    expect(problemsOf(emptyHtml)).toEqual(['plan: Choose the plan file or paste the plan.']);
    expect(emptyHtml).toContain('<p class="error" id="reason-error" data-field="reason">Say why the plan is amended: the reason is kept in its history.</p>');
    expect((await storedPlan(h.db, planId))!.version).toBe(1);
  });

  test('the confirmation applies it once: version 2 on the dashboard and in the history; the same file and reason again change nothing', async () => {
    const csrf = await csrfOf(planId);
    const text = stringify(v2Of(await started(planId)));
    const applied = await postForm(`${amendPath(planId)}/apply`, { csrf, plan: text, format: 'yaml', name: 'v2.yaml', reason: REASON, by: 'HQ desk', version: '1' });
    const html = await applied.text();
    expect(applied.status, html).toBe(200);
    expect(unescape(/<p class="ok" id="amended"[\s\S]*?<\/p>/.exec(html)![0])).toMatch(/^The amendment is applied as version 2 \(.+ UTC\)\.$/);
    const stored = (await storedPlan(h.db, planId))!;
    expect([stored.version, stored.plan.tasks.map((t) => t.id)]).toEqual([2, ['t1', 't2', 't3']]);
    const [, v] = await planHistory(h.db, planId);
    expect([v.version, v.by, v.reason]).toEqual([2, 'HQ desk', REASON]);

    // Again, from the confirmation (a reload) or from a new preview: already applied, nothing changed.
    for (const again of [
      postForm(`${amendPath(planId)}/apply`, { csrf, plan: text, format: 'yaml', reason: REASON, version: '1' }),
      postForm(amendPath(planId), { csrf, reason: `  ${REASON} `, file: { name: 'v2.yaml', text } }),
    ]) {
      const r = await again;
      expect(r.status).toBe(200);
      expect(unescape(/<p class="ok" id="amended"[\s\S]*?<\/p>/.exec(await r.text())![0])).toBe('This amendment was already applied as version 2: nothing changed.');
    }
    // The same plan with another reason: nothing to amend.
    const same = await postForm(amendPath(planId), { csrf, reason: 'Once more', file: { name: 'v2.yaml', text } });
    expect(same.status).toBe(409);
    expect(problemsOf(await same.text())).toEqual(['plan: The file is the same as version 2, the version in force: there is nothing to amend.']);
    // A confirmation of a preview of version 1, once version 2 is in force: shown again, not applied.
    const v3 = stringify({ ...v2Of(await started(planId)), title: 'Renamed' });
    const stale = await postForm(`${amendPath(planId)}/apply`, { csrf, plan: v3, reason: 'Rename', version: '1' });
    const staleHtml = await stale.text();
    expect(stale.status).toBe(409);
    expect(staleHtml).toContain('Version 2 has come into force since this preview of version 1');
    expect(itemsOf(staleHtml, 'difference')).toEqual([`title: "Live test plan ${planId}" -> Renamed`]);
    expect(staleHtml).toContain('name="version" value="2"');
    expect(await planHistory(h.db, planId)).toHaveLength(2);

    const dash = await (await get(`/hq/plans/${planId}`)).text();
    expect(unescape(/<p id="version-in-force"[\s\S]*?<\/p>/.exec(dash)![0])).toMatch(new RegExp(`^Version 2 in force since .+ UTC: ${REASON} · Version history · Amend the plan$`));
    const history = await (await get(`/hq/plans/${planId}/versions`)).text();
    const rows = [...history.matchAll(/<tr data-version="(\d+)">([\s\S]*?)<\/tr>/g)];
    expect(rows.map((r) => r[1])).toEqual(['2', '1']);
    const cells = (row: string) => [...row.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((m) => m[1]);
    const [n2, since2, by2, why2, changes2] = cells(rows[0][2]);
    expect([n2, by2, why2]).toEqual(['2', 'HQ desk', REASON]);
    expect(unescape(since2)).toMatch(/ UTC$/);
    expect(itemsOf(`<ul id="c">${/<ul>([\s\S]*)<\/ul>/.exec(changes2)![1]}</ul>`, 'c')).toEqual([
      'unit gamma added ("Gamma Office", gamma@example.org)',
      'task t3 added (aspect a, units alpha)',
      'task t2: unit beta left, unit gamma joined',
      'cadence.reminderDays: [] -> [-1]',
    ]);
    expect(cells(rows[1][2]).slice(2, 4)).toEqual(['', 'the plan as started']);
  });

  test("the dashboard counts the amended plan as its status has it: beta's quarter withdrawn, gamma's and t3's requested, beta untracked after", async () => {
    const status = await waitFor('gamma and t3 requested', async () => {
      const s = await planStatus(h.db, planId);
      const st = (t: string, u: string) => s.tasks.find((x) => x.taskId === t)?.units.find((x) => x.unitId === u)?.periods.find((p) => p.period === h.current)?.state;
      return st('t2', 'gamma') === 'requested' && st('t3', 'alpha') === 'requested' && st('t2', 'beta') === 'withdrawn' ? s : undefined;
    });
    const res = await get(`/api/hq/plans/${planId}/summary`);
    expect(res.status).toBe(200);
    const summary = (await res.json()) as { totals: { counts: Record<string, number>; byPeriod: Record<string, Record<string, number>> }; units: { unitId: string; counts: Record<string, number> }[] };
    const counts = (s: PlanStatus, unit?: string) => {
      const out = Object.fromEntries(PERIOD_STATES.map((x) => [x, 0]));
      for (const t of s.tasks) for (const u of t.units) if (!unit || u.unitId === unit) for (const p of u.periods) out[p.state]++;
      return out;
    };
    expect(summary.totals.counts).toEqual(counts(status));
    expect(summary.totals.byPeriod[h.current]).toMatchObject({ withdrawn: 1, requested: 3 });
    expect(summary.totals.byPeriod[h.next]).toMatchObject({ untracked: 1, scheduled: 3 });
    for (const u of ['alpha', 'beta', 'gamma']) expect(summary.units.find((x) => x.unitId === u)!.counts, u).toEqual(counts(status, u));
    const dash = await (await get(`/hq/plans/${planId}`)).text();
    expect(/<tr data-unit="beta"[^>]*>[\s\S]*?<td data-state="withdrawn">(\d+)<\/td>/.exec(dash)![1]).toBe('1');
    // The heatmap shows beta's withdrawn quarter, and its report page and the task's timeline still open.
    const heat = await (await get(`/hq/plans/${planId}/aspects/a`)).text();
    expect(heat).toContain(`data-task="t2" data-unit="beta" data-period="${h.current}" data-state="withdrawn"`);
    expect(heat).toContain(`data-task="t2" data-unit="beta" data-period="${h.next}" data-state="untracked"`);
    expect(heat).toContain(`data-task="t2" data-unit="gamma" data-period="${h.current}" data-state="requested"`);
    const report = await get(`/hq/plans/${planId}/reports/t2/beta/${h.current}`);
    expect(report.status).toBe(200);
    expect(await report.text()).toContain('<td id="state" data-state="withdrawn">Withdrawn</td>');
    const timeline = await get(`/hq/plans/${planId}/tasks/t2`);
    expect(timeline.status).toBe(200);
    expect(await timeline.text()).toContain('Beta Office');
  });
});

describe('in the plan’s language, and a plan that has ended', () => {
  test('a Chinese plan: the preview, every refusal and the outcome in Chinese', async () => {
    const csrf = await csrfOf(zhPlanId);
    const v2 = v2Of(await started(zhPlanId));
    const form = await (await get(amendPath(zhPlanId))).text();
    expect(form).toContain('<html lang="zh-CN">');
    expect(form).toContain('预览修订');
    const end = lastDay(h.current);
    const later = new Date(Date.parse(`${v2.start}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    const refused = await postForm(amendPath(zhPlanId), { csrf, reason: 'x', plan: JSON.stringify({ ...v2, start: later, end: `${end.slice(0, 8)}01` }) });
    expect(problemsOf(await refused.text())).toEqual([
      `start: 计划运行期间不能修改此项：当前为 ${v2.start}，文件中为 ${later}。`,
      `end: 结束日期不得早于 ${end}（进行中的季度 ${h.current} 于 ${end} 结束），文件中为 ${end.slice(0, 8)}01。`,
    ]);
    const noReason = await postForm(amendPath(zhPlanId), { csrf, reason: '', plan: JSON.stringify(v2) });
    expect(await noReason.text()).toContain('请说明修订理由：理由将记入计划版本记录。');

    const preview = await postForm(amendPath(zhPlanId), { csrf, reason: '新增提醒', plan: JSON.stringify(v2) });
    const html = await preview.text();
    expect(preview.status).toBe(200);
    expect(itemsOf(html, 'difference')).toEqual(['新增单位 gamma（"Gamma Office"，gamma@example.org）', '新增任务 t3（方面 a，单位 alpha）', '任务 t2：单位 beta 退出；单位 gamma 加入', 'cadence.reminderDays：[] → [-1]']);
    expect(itemsOf(html, 'moved')).toContainEqual(expect.stringMatching(new RegExp(`^${h.current} 提醒 第 1 次新增，于 .+ 发出$`)));
    expect(html).toContain('确认生效为第 2 版');
    const applied = await postForm(`${amendPath(zhPlanId)}/apply`, { csrf, reason: '新增提醒', plan: JSON.stringify(v2), format: 'json', version: '1' });
    expect(unescape(/<p class="ok" id="amended"[\s\S]*?<\/p>/.exec(await applied.text())![0])).toMatch(/^修订已生效，为第 2 版（.+）。$/);
    const same = await postForm(amendPath(zhPlanId), { csrf, reason: '再来一次', plan: JSON.stringify(v2) });
    expect(problemsOf(await same.text())).toEqual(['plan: 文件与当前生效的第 2 版相同，没有需要修订的内容。']);
    const dash = await (await get(`/hq/plans/${zhPlanId}`)).text();
    expect(unescape(/<p id="version-in-force"[\s\S]*?<\/p>/.exec(dash)![0])).toMatch(/^当前生效：第 2 版，自 .+ 起：新增提醒 · 版本记录 · 修订计划$/);
    const history = unescape(await (await get(`/hq/plans/${zhPlanId}/versions`)).text());
    expect(history).toContain('计划启动时的版本');
    expect(history).toContain('任务 t2：单位 beta 退出；单位 gamma 加入');
  });

  test('a plan whose workflow has ended: the preview is shown, the confirmation is refused as no longer running', async () => {
    await h.client.workflow.getHandle(planWorkflowId(endedPlanId)).terminate('the test ends it');
    const csrf = await csrfOf(endedPlanId);
    const plan = JSON.stringify(v2Of(await started(endedPlanId)));
    const res = await postForm(`${amendPath(endedPlanId)}/apply`, { csrf, reason: REASON, plan, version: '1' });
    expect(res.status).toBe(409);
    const html = await res.text();
    expect(problemsOf(html)).toEqual([`planId: Plan ${endedPlanId} is no longer running: a finished plan cannot be amended.`]);
    // The preview stays, to confirm again later.
    expect(html).toContain('Apply as version 2');
    expect((await storedPlan(h.db, endedPlanId))!.version).toBe(1);
  });
});

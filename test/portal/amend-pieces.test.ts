/**
 * The words of an amendment on the dashboard, as plain functions: the difference in English is exactly what
 * `plan amend` prints (every kind of line), in Chinese every line is Chinese; the notices that move in the plan's
 * local time; the refusals of an amendment in both languages, their reason counted from what they say.
 */
import { describe, expect, test } from 'vitest';
import type { MovedNotice } from '../../client/amend.js';
import { en } from '../../client/portal/catalogue/en.js';
import { zhCN } from '../../client/portal/catalogue/zh-CN.js';
import { differenceWords, movedWords } from '../../client/portal/difference.js';
import { refusalSentence } from '../../client/portal/i18n.js';
import { amendmentRefusals } from '../../workflows/amend/checks.js';
import { differenceLines, planDifference, type PlanDifference } from '../../workflows/amend/diff.js';
import { validPlan, yearPlan } from '../fixtures/plans.js';

const change = (field: string, from: unknown, to: unknown) => ({ field, from, to });
const none = { added: [], removed: [], changed: [] };

/** One change of every kind the difference has. */
const every: PlanDifference = {
  plan: [change('title', 'Old title', 'New title'), change('end', '2030-12-31', '2031-06-30')],
  headquarters: [change('headquarters.email', ['hq@example.org'], ['hq@example.org', 'desk@example.org'])],
  leaders: { added: [{ id: 'l3', name: 'Leader Three', email: ['l3@example.org'] }], removed: ['l2'], changed: [{ id: 'l1', changes: [change('name', 'Leader One', 'Leader 1')] }] },
  units: {
    added: [{ id: 'u9', name: '自然资源局', email: ['u9@example.org', 'u9b@example.org'], leader: 'l3' }, { id: 'u8', name: 'Plain', email: ['u8@example.org'], leader: null }],
    removed: ['old'],
    changed: [{ id: 'late', changes: [change('email', ['late@example.org'], ['late2@example.org']), change('leader', 'l1', 'l3')] }],
  },
  aspects: { added: [{ id: 'c', title: 'Aspect C' }], removed: ['b'], changed: [{ id: 'a', changes: [change('title', 'Aspect A', 'Aspect A+')] }] },
  tasks: {
    added: [{ id: 't9', aspect: 'c', units: ['u9', 'u8'] }],
    retired: ['t2'],
    changed: [{ id: 't1', changes: [change('title', 'Task One', 'Task 1'), change('aspect', 'a', 'c')], left: ['silent'], joined: ['u9'] }],
  },
  calendar: {
    workweek: { added: ['sat'], removed: ['fri'] },
    holidays: { added: ['2031-01-01', '2031-02-10'], removed: ['2030-04-05'] },
    extraWorkdays: { added: ['2031-02-15'], removed: [] },
  },
  cadence: [change('cadence.reminderDays', [-3], [-5, -1]), change('cadence.escalation', [{ afterDaysOverdue: 3, to: 'unitLeader' }], [{ afterDaysOverdue: 1, to: 'headquarters' }])],
  reviews: [change('reviews.sendTime', null, '10:00')],
  assessment: [change('assessment.weights', { a: 1 }, { a: 2 })],
  delivery: [change('delivery.digest', false, true)],
  inspections: {
    cadence: [change('reminderDays', [-1], [-2])],
    coverage: [change('by', '2030-12-01', '2031-03-01')],
    rounds: { added: [{ id: 'r2', feedbackDay: '2031-01-10', findings: 1 }, { id: 'r3', feedbackDay: '2031-02-10', findings: 2 }], removed: ['r0'], changed: [{ id: 'r1', changes: [change('title', 'Round 1', 'First round')] }] },
    findings: { added: [{ id: 'f9', round: 'r2', unit: 'u9', deadline: '2031-03-01' }, { id: 'f8', round: 'r3', unit: 'late', deadline: null }], removed: ['f0'], changed: [{ id: 'f1', changes: [change('deadline', '2030-11-01', '2030-12-01')] }] },
  },
};

describe('the difference in words', () => {
  test('in English, exactly the lines plan amend prints, for every kind of change', () => {
    expect(differenceWords(en, every)).toEqual(differenceLines(every));
    expect(differenceWords(en, every)).toHaveLength(differenceLines(every).length);
    expect(differenceWords(en, { ...every, ...{ plan: [], headquarters: [] } })).toEqual(differenceLines({ ...every, plan: [], headquarters: [] }));
  });

  test('in Chinese, one line per change, no English word of the lines around the file\'s field names', () => {
    const zh = differenceWords(zhCN, every);
    expect(zh).toHaveLength(differenceLines(every).length);
    expect(zh).toContain('新增单位 u9（"自然资源局"，u9@example.org, u9b@example.org，分管领导 l3）');
    expect(zh).toContain('任务 t1：title "Task One" → "Task 1"；aspect a → c；单位 silent 退出；单位 u9 加入');
    expect(zh).toContain('日历：节假日新增 2031-01-01, 2031-02-10');
    expect(zh).toContain('任务 t2 撤销');
    expect(zh).toContain('新增督查轮次 r3（反馈日 2031-02-10，2 个问题）');
    expect(zh).toContain('新增问题 f8（轮次 r3，单位 late）');
    // Field names (`leader`, `cadence.reminderDays`) are the file's own; the words around them are Chinese.
    for (const line of zh) expect(line, line).not.toMatch(/\b(added|removed|retired|joined|left|calendar|feedback day|units)\b/);
  });

  test('two real versions: the lines of planDifference in both languages', () => {
    const v1 = yearPlan('words-2030');
    const v2 = validPlan({ ...v1, tasks: [{ ...v1.tasks[0], units: ['ontime', 'late'] }], cadence: { ...v1.cadence, reminderDays: [-5, -1] } });
    const d = planDifference(v1, v2);
    expect(differenceWords(en, d)).toEqual(['task t1: unit silent left', 'cadence.reminderDays: [-3, -1, 0] -> [-5, -1]']);
    expect(differenceWords(zhCN, d)).toEqual(['任务 t1：单位 silent 退出', 'cadence.reminderDays：[-3, -1, 0] → [-5, -1]']);
  });
});

describe('the notices that move', () => {
  const moved: MovedNotice[] = [
    { period: '2028-Q1', kind: 'reminder', number: 1, from: '2028-04-05T01:30:00.000Z', to: '2028-04-01T01:30:00.000Z', line: '' },
    { period: '2028-Q1', kind: 'reminder', number: 2, from: null, to: '2028-04-07T01:30:00.000Z', line: '' },
    { period: '2028-Q1', kind: 'escalation', number: 2, from: '2028-04-20T01:30:00.000Z', to: null, line: '' },
    { period: '2028-Q1', kind: 'request', number: 1, pairs: ['t3|zrzyj', 't3|a', 't4|b', 't4|c', 't5|d'], from: null, to: '2027-11-25T02:00:00.000Z', line: '' },
  ];
  test("in the plan's language and local time", () => {
    expect(moved.map((m) => movedWords(en, m, 'Asia/Shanghai'))).toEqual([
      '2028-Q1 reminder 1 moves from Apr 5, 2028, 09:30 GMT+8 to Apr 1, 2028, 09:30 GMT+8',
      '2028-Q1 reminder 2 is added at Apr 7, 2028, 09:30 GMT+8',
      '2028-Q1 escalation 2 is dropped (was Apr 20, 2028, 09:30 GMT+8)',
      '2028-Q1 request for t3/zrzyj, t3/a, t4/b and 2 more is added at Nov 25, 2027, 10:00 GMT+8',
    ]);
    const zh = moved.map((m) => movedWords(zhCN, m, 'Asia/Shanghai'));
    expect(zh[0]).toMatch(/^2028-Q1 提醒 第 1 次由 2028年4月5日 .*09:30 调整为 2028年4月1日 .*09:30$/);
    expect(zh[2]).toMatch(/^2028-Q1 督办 第 2 次取消（原定 2028年4月20日.*）$/);
    expect(zh[3]).toMatch(/^2028-Q1 请求（t3\/zrzyj, t3\/a, t4\/b 等另 2 项）新增，于 2027年11月25日.*发出$/);
  });
});

describe('the refusals of an amendment', () => {
  const plan = yearPlan('refused-2030');
  const at = Date.parse('2030-08-15T02:00:00Z');
  const refusals = amendmentRefusals(plan, { ...plan, id: 'other', timezone: 'UTC', start: '2030-01-02', end: '2030-09-01' }, at);
  test('each code has its sentence in both languages; the end says what it counts from', () => {
    expect(refusals.map((r) => r.code)).toEqual(['amendUnchangeable', 'amendUnchangeable', 'amendUnchangeable', 'amendEndTooEarly']);
    expect(refusals.map((r) => refusalSentence(en, r))).toEqual([
      'This cannot change while the plan runs: it is refused-2030, the file says other.',
      'This cannot change while the plan runs: it is Asia/Shanghai, the file says UTC.',
      'This cannot change while the plan runs: it is 2030-01-01, the file says 2030-01-02.',
      'The end must be 2030-09-30 or later (the quarter in progress, 2030-Q3, ends on 2030-09-30), not 2030-09-01.',
    ]);
    expect(refusals.map((r) => refusalSentence(zhCN, r))).toEqual([
      '计划运行期间不能修改此项：当前为 refused-2030，文件中为 other。',
      '计划运行期间不能修改此项：当前为 Asia/Shanghai，文件中为 UTC。',
      '计划运行期间不能修改此项：当前为 2030-01-01，文件中为 2030-01-02。',
      '结束日期不得早于 2030-09-30（进行中的季度 2030-Q3 于 2030-09-30 结束），文件中为 2030-09-01。',
    ]);
    const before = amendmentRefusals(plan, { ...plan, end: '2029-12-01' }, Date.parse('2029-06-01T00:00:00Z'));
    expect(refusalSentence(zhCN, before[0])).toBe('结束日期不得早于 2030-01-01（计划于 2030-01-01 开始），文件中为 2029-12-01。');
    const past = amendmentRefusals(plan, { ...plan, end: '2030-12-30' }, Date.parse('2031-01-05T04:00:00Z'));
    expect(refusalSentence(zhCN, past[0])).toBe('结束日期不得早于 2031-01-05（今天是 2031-01-05），文件中为 2030-12-30。');
    expect(refusalSentence(zhCN, { field: 'plan', code: 'amendNothingChanged', params: { version: 3 } })).toBe('文件与当前生效的第 3 版相同，没有需要修订的内容。');
    expect(refusalSentence(zhCN, { field: 'planId', code: 'amendNotRunning', params: { planId: 'p' } })).toBe('计划 p 已结束运行，不能再修订。');
    expect(refusalSentence(zhCN, { field: 'engine', code: 'engineDown', params: { what: 'amendment' } })).toContain('本次修订尚未生效');
  });
});

/**
 * The problems of a plan file in the plan's language. Every problem `plan validate` finds carries a code and the
 * values its sentence names (workflows/contract/plan-check.ts, client/plan-file.ts); the portal's catalogues word each
 * code, English keeps the checker's own sentence (what the CLI prints). Checked over every bad plan of the corpora,
 * then over real HTTP against a real dev server, worker and PostgreSQL: a Chinese plan amended with a bad file shows
 * every problem in Chinese at its path, an English plan shows the CLI's lines, and nothing is applied.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { checkPlanText, loadPlanFile, planFormatOf } from '../../client/plan-file.js';
import { en } from '../../client/portal/catalogue/en.js';
import { zhCN } from '../../client/portal/catalogue/zh-CN.js';
import { planIssueSentence } from '../../client/portal/i18n.js';
import { storedPlan } from '../../store/records.js';
import { planHistory } from '../../store/versions.js';
import { PLAN_ISSUE_CODES, type PlanIssue, type PlanIssueCode } from '../../workflows/contract/plan-check.js';
import { planCases } from '../bad-input/corpus/plans.js';
import { HQ_CREDENTIAL, usePortal } from './harness.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const fixture = (dir: string, name: string) => readFileSync(join(fixtures, dir, name), 'utf8');

/** A small valid plan, as JSON with `over` on top, for files made bad by hand. */
const VALID = {
  id: 'p', title: 'P', timezone: 'UTC', start: '2027-01-01', end: '2027-12-31',
  headquarters: { name: 'HQ', email: 'hq@example.org' },
  units: [{ id: 'alpha', name: 'Alpha', email: 'alpha@example.org' }],
  aspects: [{ id: 'a', title: 'A' }],
  tasks: [{ id: 't1', aspect: 'a', title: 'T', units: ['alpha'] }],
  cadence: { sendTime: '09:00', requestOffsetDays: -10, dueOffsetDays: 5 },
};
const base = (over: Record<string, unknown>) => JSON.stringify({ ...VALID, ...over });

/** Every bad file of the corpora, with a few the corpora do not have (a YAML null, a unit named "headquarters"). */
function corpus(): { name: string; text: string; format: 'json' | 'yaml' }[] {
  const files = ['bad-plans', 'bad-inspections'].flatMap((dir) => readdirSync(join(fixtures, dir)).map((name) => ({ name: `${dir}/${name}`, text: fixture(dir, name), format: planFormatOf(name) })));
  // A file too large is refused by its size before it is read (loadPlanFile; the dashboard has its own limit).
  const cases = planCases.filter((c) => !c.fragment.includes('too large')).map((c) => ({ name: c.name, text: c.text, format: c.ext }));
  const extra = [
    { name: 'a YAML null', text: '~\n', format: 'yaml' as const },
    {
      name: 'a unit named headquarters',
      text: base({
        units: [{ id: 'alpha', name: 'Alpha', email: 'alpha@example.org' }, { id: 'headquarters', name: 'HQ unit', email: 'hqu@example.org' }],
        inspections: { rounds: [{ id: 'r1', title: 'R', feedbackDay: '2027-03-01', findings: [{ id: 'f1', title: 'F', unit: 'alpha', verifier: 'headquarters' }] }] },
      }),
      format: 'json' as const,
    },
  ];
  return [...files, ...cases, ...extra];
}

/** The JSON scanner's problems, one file each. */
const JSON_CASES: [problem: string, text: string, zh: string][] = [
  ['lineInString', '{"id": "a\n"}', '字符串在行尾之前没有结束'],
  ['controlInString', '{"id": "a\u0001"}', '字符串中有控制字符'],
  ['badUnicodeEscape', '{"id": "\\uZZZZ"}', '字符串中的 \\u 转义无效'],
  ['badEscape', '{"id": "\\q"}', '字符串中的转义无效'],
  ['stringNotClosed', '{"id": "abc', '字符串没有结束'],
  ['nestedTooDeep', '['.repeat(40), '嵌套超过 32 层；一个计划只需 4 层'],
  ['fieldName', '{id: 1}', '此处应为双引号括起的字段名，实际为 "i"'],
  ['colon', '{"id" 1}', '字段名之后应为 ":"，实际为 "1"'],
  ['trailingCommaObject', '{"id": 1,}', '"}" 之前有多余的逗号'],
  ['commaOrBrace', '{"id": 1 "x": 2}', '字段值之后应为 "," 或 "}"，实际为 "\\""'],
  ['trailingCommaList', '[1,]', '"]" 之前有多余的逗号'],
  ['commaOrBracket', '[1 2]', '列表项之后应为 "," 或 "]"，实际为 "2"'],
  ['value', '{"id": }', '此处应为一个值，实际为 "}"'],
  ['afterEnd', '{} x', 'JSON 值结束之后还有 "x"'],
  ['value', '{"id": ', '此处应为一个值，实际为文件末尾'],
];

const CJK = /[\u4e00-\u9fff]/;
// Words of the English sentences that a Chinese one must not carry over (the YAML parser's own words excepted).
const ENGLISH = /\b(must|got|the|is|are|unknown|duplicate|expected|found|file|plan)\b/;

describe('the problems of a plan file, by their codes', () => {
  test('every problem of every bad file carries a code; in Chinese each is said in Chinese, in English as the CLI says it', () => {
    const seen = new Set<PlanIssueCode>();
    let count = 0;
    for (const f of corpus()) {
      const checked = checkPlanText(f.text, f.format);
      expect(checked.ok, f.name).toBe(false);
      if (checked.ok) continue;
      for (const issue of checked.issues) {
        count++;
        expect(issue.code, `${f.name}: ${issue.message}`).toBeDefined();
        seen.add(issue.code!);
        expect(planIssueSentence(en, issue)).toBe(issue.message);
        const zh = planIssueSentence(zhCN, issue);
        expect(zh, `${f.name}: ${issue.message}`).toMatch(CJK);
        expect(zh).not.toMatch(/undefined|NaN|\[object/);
        if (issue.code !== 'yamlSyntax' && issue.code !== 'yamlError') expect(zh.replace(/"[^"]*"/g, '').replace(/\b[a-z]+[A-Z]\w*\b/g, ''), `${f.name}: ${zh}`).not.toMatch(ENGLISH);
      }
    }
    expect(count).toBeGreaterThan(150);
    // Only the codes no bad file can reach from the dashboard (a file over 8 MB is read by the CLI only; bounds and formats the plan's schema does not use).
    expect(PLAN_ISSUE_CODES.filter((c) => !seen.has(c)).sort()).toEqual(['fileTooLarge', 'lessThan', 'maxItems', 'maxLength', 'minLength', 'multipleOf', 'wrongFormat', 'wrongUnionType']);
  });

  test('the codes no bad file reaches have their words too, and the JSON scanner says each problem where it is', () => {
    const say = (code: PlanIssueCode, params: PlanIssue['params']) => planIssueSentence(zhCN, { path: 'x', message: 'english', code, params });
    expect(say('fileTooLarge', { size: 9_000_000, max: 8_388_608 })).toBe('文件过大：9000000 字节，最多 8388608 字节（8 MB）。');
    expect(say('minLength', { min: 3, got: '"ab"' })).toBe('长度至少为 3 个字符，文件中为 "ab"。');
    expect(say('maxLength', { max: 3 })).toBe('长度至多为 3 个字符。');
    expect(say('maxItems', { max: 2 })).toBe('至多可列出 2 项。');
    expect(say('lessThan', { max: 1, got: 1 })).toBe('须小于 1，文件中为 1。');
    expect(say('multipleOf', { divisor: '5', got: 7 })).toBe('须为 5 的倍数，文件中为 7。');
    expect(say('wrongFormat', { format: 'uuid' })).toBe('格式不正确（应为 uuid）。');
    expect(say('wrongUnionType', { got: '42' })).toBe('类型不正确，文件中为 42。');
    for (const [problem, text, words] of JSON_CASES) {
      const checked = checkPlanText(text, 'json');
      expect(checked.ok, problem).toBe(false);
      if (checked.ok) continue;
      const [issue] = checked.issues;
      expect([issue.code, issue.params?.problem], problem).toEqual(['jsonSyntax', problem]);
      expect(planIssueSentence(zhCN, issue), problem).toBe(`JSON 语法错误（第 ${String(issue.params!.at).replace(':', ' 行第 ')} 列）：${words}。`);
    }
  });

  test('the CLI stays English: loadPlanFile prints the same English lines as before', async () => {
    const file = join(fixtures, 'bad-plans', 'multiple-errors.yaml');
    const loaded = await loadPlanFile(file);
    expect(!loaded.ok && loaded.errors[0]).toBe(`${file}: timezone: unknown time zone "Moon/Base"; use an IANA name such as "Asia/Shanghai" or "UTC"`);
  });
});

const planId = `portal-amend-locale-${process.pid}-${Date.now()}`;
const zhPlanId = `${planId}-zh`;
const h = usePortal('amend-locale', [{ id: planId }, { id: zhPlanId, overrides: { locale: 'zh-CN', title: '修订语言' } }]);

const HQ = { authorization: `Basic ${Buffer.from(`hq:${HQ_CREDENTIAL}`).toString('base64')}` };
const amendPath = (id: string) => `/hq/plans/${encodeURIComponent(id)}/amend`;
const unescape = (s: string) => s.replace(/<[^>]+>/g, '').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
/** The located problems: [field, `path: sentence`] per item. */
const problemsOf = (html: string) => {
  const block = /<div id="problems"[\s\S]*?<\/div>/.exec(html)?.[0] ?? '';
  return [...block.matchAll(/<li data-field="([^"]*)">([\s\S]*?)<\/li>/g)].map((m) => [m[1], unescape(m[2])]);
};

async function csrfOf(id: string): Promise<string> {
  const res = await fetch(`${h.base}${amendPath(id)}`, { headers: HQ });
  expect(res.status).toBe(200);
  return /name="csrf" value="([^"]+)"/.exec(await res.text())![1];
}

function post(path: string, fields: Record<string, string>, file?: { name: string; text: string }) {
  const body = new FormData();
  for (const [k, v] of Object.entries(fields)) body.set(k, v);
  if (file) body.set('file', new Blob([file.text]), file.name);
  return fetch(`${h.base}${path}`, { method: 'POST', redirect: 'manual', body, headers: { ...HQ, origin: h.base } });
}

const ZH_LINES = [
  ['timezone', 'timezone: 未知的时区 "Moon/Base"；请使用 IANA 名称，如 "Asia/Shanghai" 或 "UTC"。'],
  ['units[0].email', 'units[0].email: 须为电子邮件地址，文件中为 "not-an-address"。'],
  ['units[0].leader', 'units[0].leader: 未知的领导 "wang"；现有领导："li", "zhang"。'],
  ['tasks[1].units[2]', 'tasks[1].units[2]: 单位 "agriculture" 重复（已列于 tasks[1].units[0]）。'],
  ['tasks[2]', 'tasks[2]: 未知字段 "colour"。'],
  ['cadence.reminderDays[0]', 'cadence.reminderDays[0]: 须大于或等于 -15，提醒才不会早于通知：5 + (-20) = -15，早于 requestOffsetDays（-10），文件中为 -20。'],
  ['cadence.escalation[1].afterDaysOverdue', 'cadence.escalation[1].afterDaysOverdue: 须大于上一级的 afterDaysOverdue（3），文件中为 2。'],
  ['calendar.holidays[1]', 'calendar.holidays[1]: 须为真实存在的日期，文件中为 "2027-02-30"（2027 年 2 月只有 28 天）。'],
];

describe('the amend page in the plan’s language', () => {
  test('a Chinese plan amended with a bad file: every problem in Chinese at its path, and nothing is applied', async () => {
    const csrf = await csrfOf(zhPlanId);
    const file = { name: 'bad.yaml', text: fixture('bad-plans', 'multiple-errors.yaml') };
    for (const path of [amendPath(zhPlanId), `${amendPath(zhPlanId)}/apply`]) {
      const res = await post(path, { csrf, reason: '修订', version: '1' }, file);
      expect(res.status, path).toBe(400);
      const html = await res.text();
      expect(html).toContain('<html lang="zh-CN">');
      expect(html).toContain('bad.yaml：计划存在问题，未作任何修订：');
      expect(problemsOf(html), path).toEqual(ZH_LINES);
    }
    // A file broken as a whole: said in Chinese, located in the file.
    const duplicate = await post(amendPath(zhPlanId), { csrf, reason: '修订' }, { name: 'dup.yaml', text: `${fixture('bad-plans', 'unknown-leader.yaml')}title: again\n` });
    expect(problemsOf(await duplicate.text())).toContainEqual(['title', expect.stringMatching(/^title: 重复的键（首次出现于第 \d+ 行第 \d+ 列，再次出现于第 \d+ 行第 \d+ 列）。$/)]);
    const json = await post(amendPath(zhPlanId), { csrf, reason: '修订', plan: '{"id": "x",}', format: 'json' });
    expect(problemsOf(await json.text())).toEqual([['', 'JSON 语法错误（第 1 行第 12 列）："}" 之前有多余的逗号。']]);
    expect((await storedPlan(h.db, zhPlanId))!.version).toBe(1);
    expect(await planHistory(h.db, zhPlanId)).toHaveLength(1);
  });

  test('an English plan shows the lines the CLI prints for the same file', async () => {
    const csrf = await csrfOf(planId);
    const text = fixture('bad-plans', 'multiple-errors.yaml');
    const res = await post(amendPath(planId), { csrf, reason: 'x' }, { name: 'bad.yaml', text });
    expect(res.status).toBe(400);
    const checked = checkPlanText(text, 'yaml');
    expect(checked.ok).toBe(false);
    const lines = checked.ok ? [] : checked.issues.map((i) => [i.path, `${i.path}: ${i.message}`]);
    expect(problemsOf(await res.text())).toEqual(lines);
    expect(lines).toHaveLength(ZH_LINES.length);
    expect((await storedPlan(h.db, planId))!.version).toBe(1);
  });
});

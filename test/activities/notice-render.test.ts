/** Rendering notices: English and Chinese texts, locale dates, signed links, HTML escaping, the mail headers. */
import { describe, expect, test } from 'vitest';
import { createMemorySentLog, type Mailer } from '../../activities/index.js';
import type { OutgoingMessage } from '../../activities/mail/mailer.js';
import { localDay, localTime, renderNotice } from '../../activities/notices/render.js';
import { createNoticeActivities } from '../../activities/notices/send-notices.js';
import { renderLagging } from '../../activities/reviews/lagging-notice.js';
import { newKeyring } from '../../security/keyring.js';
import { LINK_TTL_DAYS, linkMaker } from '../../security/links.js';
import { verifyToken } from '../../security/tokens.js';
import type { NoticeSpec } from '../../workflows/contract/notice.js';
import type { ReviewAudience } from '../../workflows/contract/review.js';
import type { Review } from '../../workflows/review/rank.js';

const ring = newKeyring('test');
const PORTAL = 'http://127.0.0.1:8080';
const links = linkMaker(`${PORTAL}/`, ring);
const AT = '2027-03-21T01:00:00.000Z'; // 09:00 in Shanghai

function spec(over: Partial<NoticeSpec> = {}, key: Partial<NoticeSpec['key']> = {}): NoticeSpec {
  return {
    key: { planId: 'demo-2027', taskId: 'grain', unitId: 'agri', period: '2027-Q1', kind: 'request', number: 1, ...key },
    at: AT,
    to: ['agri@example.org'],
    cc: [],
    locale: 'en',
    timezone: 'Asia/Shanghai',
    planTitle: 'Three-Year Plan',
    taskTitle: 'Stable grain <supply> & "storage"',
    unitName: 'Dept. of <Agriculture>',
    dueDay: '2027-04-05',
    deadline: '2027-04-05T16:00:00.000Z',
    next: { kind: 'reminder', at: '2027-04-02T01:00:00.000Z', to: 'unit' },
    leaderId: 'zhang',
    ...over,
  };
}

/** The token at the end of a link, verified for `purpose`. */
function payloadOf(url: string, purpose: 'report-link' | 'leader-link') {
  const token = url.slice(url.lastIndexOf('/') + 1);
  const v = verifyToken(ring, token, purpose, Date.parse(AT));
  if (!v.ok) throw new Error(`bad token: ${v.reason}`);
  return v.payload;
}

const reportUrl = (text: string, label = 'Submit your report: ') => {
  const line = text.split('\n').find((l) => l.startsWith(label));
  if (!line) throw new Error(`no "${label}" line in:\n${text}`);
  return line.slice(label.length);
};

describe('English notices', () => {
  test('a request: subject, task, unit, quarter, due day, next step, and the link to exactly this report form', () => {
    const r = renderNotice(spec(), links);
    expect(r.subject).toBe('[demo-2027] Report request: Stable grain <supply> & "storage" (2027-Q1), due 2027-04-05');
    for (const part of ['Stable grain <supply> & "storage" (grain)', 'Dept. of <Agriculture> (agri)', 'Quarter: 2027-Q1', 'Due day: 2027-04-05']) {
      expect(r.text).toContain(part);
    }
    expect(r.text).toContain('If no report arrives, a reminder follows on 2027-04-02 09:00 (Asia/Shanghai).');
    expect(r.text).toContain('On time until: 2027-04-06 00:00 (Asia/Shanghai)');
    const url = reportUrl(r.text);
    expect(url.startsWith(`${PORTAL}/r/`)).toBe(true);
    expect(payloadOf(url, 'report-link')).toEqual({
      p: 'report-link',
      plan: 'demo-2027',
      task: 'grain',
      unit: 'agri',
      period: '2027-Q1',
      exp: Date.parse(AT) / 1000 + LINK_TTL_DAYS * 86_400,
    });
    // A request carries no leader view, even with the unit's leader known.
    expect(r.text).not.toContain('/l/');
    expect(r.html).toContain(`<p>Submit your report: <a href="${url}">${url}</a></p>`);
  });

  test('the same notice renders the same message (same link) every time; another notice gets its own link', () => {
    expect(renderNotice(spec(), links)).toEqual(renderNotice(spec(), links));
    const other = reportUrl(renderNotice(spec({}, { unitId: 'industry' }), links).text);
    expect(payloadOf(other, 'report-link').unit).toBe('industry');
    expect(other).not.toBe(reportUrl(renderNotice(spec(), links).text));
  });

  test('without links: no link line', () => {
    const r = renderNotice(spec());
    expect(r.text).not.toContain('Submit your report');
    expect(r.text).not.toContain('http');
    expect(r.html).not.toContain('<a ');
  });

  test('HTML escapes the plan\'s texts; the text body keeps them as written', () => {
    const r = renderNotice(spec(), links);
    expect(r.html).toContain('Stable grain &lt;supply&gt; &amp; &quot;storage&quot; (grain)');
    expect(r.html).toContain('Dept. of &lt;Agriculture&gt; (agri)');
    expect(r.html).not.toContain('<supply>');
    expect(r.html).not.toContain('<Agriculture>');
  });

  test('a reminder and an escalation to the unit leader: the report link, and for the escalation the leader view', () => {
    const reminder = renderNotice(spec({ next: { kind: 'escalation', at: '2027-04-08T01:00:00.000Z', to: 'unitLeader' } }, { kind: 'reminder', number: 2 }), links);
    expect(reminder.subject).toBe('[demo-2027] Reminder 2: report on Stable grain <supply> & "storage" (2027-Q1) due 2027-04-05');
    expect(reminder.text).toContain("If no report arrives, the unit's leader is notified on 2027-04-08 09:00 (Asia/Shanghai).");
    expect(payloadOf(reportUrl(reminder.text), 'report-link').period).toBe('2027-Q1');

    const escalation = renderNotice(
      spec({ to: ['zhang.min@example.org'], cc: ['agri@example.org'], escalatedTo: 'unitLeader', next: null }, { kind: 'escalation', number: 1 }),
      links,
    );
    expect(escalation.subject).toBe('[demo-2027] Escalation level 1: Dept. of <Agriculture> has not reported on Stable grain <supply> & "storage" (2027-Q1)');
    expect(escalation.text).toContain('which was due on 2027-04-05');
    expect(escalation.text).toContain('This is the last notice of the ladder');
    expect(payloadOf(reportUrl(escalation.text), 'report-link')).toMatchObject({ plan: 'demo-2027', task: 'grain', unit: 'agri', period: '2027-Q1' });
    const leaderUrl = reportUrl(escalation.text, "Your units' reports (leader view): ");
    expect(leaderUrl.startsWith(`${PORTAL}/l/`)).toBe(true);
    expect(payloadOf(leaderUrl, 'leader-link')).toMatchObject({ p: 'leader-link', plan: 'demo-2027', leader: 'zhang' });
    expect(escalation.html).toContain(`<a href="${leaderUrl}">`);
    // No leader known: no leader view.
    expect(renderNotice(spec({ leaderId: undefined }, { kind: 'escalation' }), links).text).not.toContain('/l/');
  });

  test('a returned report: the headquarters\' comment (escaped in HTML), the new due day, the round and the link', () => {
    const r = renderNotice(
      spec({ dueDay: '2027-04-20', deadline: '2027-04-20T16:00:00.000Z', comment: 'Figures for <May> are missing.\nPlease add them & resend.', next: null }, {
        kind: 'returned',
        number: 1,
        round: 1,
      }),
      links,
    );
    expect(r.subject).toBe('[demo-2027] Your report was returned for revision: Stable grain <supply> & "storage" (2027-Q1), now due 2027-04-20');
    expect(r.text).toContain('Your report was returned for revision');
    expect(r.text).toContain("Headquarters' comment:\n> Figures for <May> are missing.\n> Please add them & resend.");
    expect(r.text).toContain('New due day: 2027-04-20');
    expect(r.text).toContain('Revision round: 1');
    expect(r.text).toContain('Please submit the revised report by the new due day.');
    expect(payloadOf(reportUrl(r.text), 'report-link')).toMatchObject({ task: 'grain', unit: 'agri', period: '2027-Q1' });
    expect(r.html).toContain('<blockquote>Figures for &lt;May&gt; are missing.<br>Please add them &amp; resend.</blockquote>');
  });
});

describe('Chinese notices (zh-CN)', () => {
  const zh = (over: Partial<NoticeSpec> = {}, key: Partial<NoticeSpec['key']> = {}) =>
    spec({ locale: 'zh-CN', taskTitle: '粮食<稳产>保供', unitName: '农业农村厅', ...over }, key);

  test('a request: Chinese subject and body, Chinese dates and quarter, the next step and the link', () => {
    const r = renderNotice(zh(), links);
    expect(r.subject).toBe('[demo-2027] 报告请求：粮食<稳产>保供（2027年第1季度），截止日期2027年4月5日');
    expect(r.text).toContain('请农业农村厅报送“粮食<稳产>保供”2027年第1季度工作进展报告。');
    expect(r.text).toContain('任务：粮食<稳产>保供 (grain)');
    expect(r.text).toContain('责任单位：农业农村厅 (agri)');
    expect(r.text).toContain('季度：2027年第1季度（2027-Q1）');
    expect(r.text).toContain('截止日期：2027年4月5日');
    expect(r.text).toContain('如仍未报送，将于2027年4月2日 09:00（Asia/Shanghai）发送提醒。');
    const url = reportUrl(r.text, '提交报告：');
    expect(payloadOf(url, 'report-link')).toMatchObject({ plan: 'demo-2027', task: 'grain', unit: 'agri', period: '2027-Q1' });
    expect(r.html).toContain(`<p>提交报告：<a href="${url}">${url}</a></p>`);
    expect(r.html).toContain('粮食&lt;稳产&gt;保供');
    expect(r.html).not.toContain('<稳产>');
    expect(r.text).not.toMatch(/Report request|Due day|Quarter/);
  });

  test('a reminder, an escalation with the leader view, and a returned report', () => {
    const reminder = renderNotice(zh({ next: { kind: 'escalation', at: '2027-04-08T01:00:00.000Z', to: 'headquarters' } }, { kind: 'reminder', number: 3 }), links);
    expect(reminder.subject).toBe('[demo-2027] 第3次提醒：粮食<稳产>保供（2027年第1季度）的报告将于2027年4月5日截止');
    expect(reminder.text).toContain('如仍未报送，将于2027年4月8日 09:00（Asia/Shanghai）报告总部。');

    const escalation = renderNotice(zh({ escalatedTo: 'unitLeader', next: null }, { kind: 'escalation', number: 1 }), links);
    expect(escalation.subject).toBe('[demo-2027] 第1级督办：农业农村厅尚未报送粮食<稳产>保供（2027年第1季度）的进展报告');
    expect(escalation.text).toContain('该报告应于2027年4月5日前报送');
    expect(escalation.text).toContain('这是本季度的最后一次通知');
    expect(payloadOf(reportUrl(escalation.text, '提交报告：'), 'report-link').unit).toBe('agri');
    expect(payloadOf(reportUrl(escalation.text, '分管单位报告（领导视图）：'), 'leader-link').leader).toBe('zhang');

    const returned = renderNotice(zh({ dueDay: '2027-04-20', comment: '请补充<五月>数据', next: null }, { kind: 'returned', round: 2, number: 2 }), links);
    expect(returned.subject).toBe('[demo-2027] 您的报告已退回修改：粮食<稳产>保供（2027年第1季度），新截止日期2027年4月20日');
    expect(returned.text).toContain('总部意见：\n> 请补充<五月>数据');
    expect(returned.text).toContain('新截止日期：2027年4月20日');
    expect(returned.text).toContain('修改轮次：2');
    expect(returned.text).toContain('请在新截止日期前报送修改后的报告。');
    expect(returned.html).toContain('<blockquote>请补充&lt;五月&gt;数据</blockquote>');
    expect(payloadOf(reportUrl(returned.text, '提交报告：'), 'report-link').period).toBe('2027-Q1');
  });

  test('dates and times for the locale; an unknown locale falls back to English', () => {
    expect(localTime(AT, 'Asia/Shanghai')).toBe('2027-03-21 09:00 (Asia/Shanghai)');
    expect(localTime(AT, 'Asia/Shanghai', 'zh-CN')).toBe('2027年3月21日 09:00（Asia/Shanghai）');
    expect(localDay('2027-10-01', 'zh-CN')).toBe('2027年10月1日');
    expect(localDay('2027-10-01', 'en')).toBe('2027-10-01');
    expect(renderNotice(spec({ locale: 'fr' })).subject).toBe(renderNotice(spec()).subject);
  });
});

describe('lagging notices', () => {
  const review = { planId: 'demo-2027', planTitle: 'Three-Year <Plan>', window: '2027-H1', kind: 'review', at: '2027-07-20T01:00:00.000Z' } as Review;
  const audience = (locale: string): ReviewAudience => ({
    headquarters: ['hq@example.org'],
    leaders: [{ id: 'zhang', name: 'Zhang Min', email: ['zhang.min@example.org'] }],
    units: { agri: 'Agriculture <Dept>', inspection: 'Inspection Office' },
    tasks: {},
    aspects: {},
    timezone: 'Asia/Shanghai',
    locale,
  });
  const lagging = {
    leaderId: 'zhang',
    units: [
      { unitId: 'agri', reasons: [{ kind: 'backward' as const, rank: 3, of: 3 }, { kind: 'missing' as const, count: 2 }] },
      { unitId: 'inspection', reasons: [{ kind: 'behindPlan' as const, taskId: 'cover', metric: 'counties inspected', expected: 50, actual: null }, { kind: 'missing' as const, count: 1 }] },
    ],
  };

  test('English, with the leader view link of the recipient leader', () => {
    const r = renderLagging(review, audience('en'), lagging, links);
    expect(r.subject).toBe('[demo-2027] 2027-H1: 2 of your units are lagging');
    expect(r.text).toContain('- Agriculture <Dept> (agri)\n    ranked among the backward (rank 3 of 3)\n    2 reports missing');
    expect(r.text).toContain('Review made on 2027-07-20 09:00 (Asia/Shanghai).');
    const url = reportUrl(r.text, "Your units' reports (leader view): ");
    expect(verifyToken(ring, url.split('/l/')[1], 'leader-link', Date.parse(review.at))).toMatchObject({ ok: true, payload: { plan: 'demo-2027', leader: 'zhang' } });
    expect(r.html).toContain('Agriculture &lt;Dept&gt; (agri)');
    expect(r.html).toContain(`<a href="${url}">`);
    expect(renderLagging(review, audience('en'), lagging, links)).toEqual(r);
    expect(renderLagging(review, audience('en'), lagging).text).not.toContain('http');
  });

  test('Chinese: texts, window, reasons and the time in Chinese', () => {
    const r = renderLagging(review, audience('zh-CN'), lagging, links);
    expect(r.subject).toBe('[demo-2027] 2027年上半年：您分管的2个单位进度滞后');
    expect(r.text).toContain('Zhang Min：“Three-Year <Plan>”2027年上半年评估显示，您分管的以下单位进度滞后：');
    expect(r.text).toContain('    排名靠后（第3名，共3个单位）\n    缺报2份');
    expect(r.text).toContain('任务 cover 进度落后于计划（counties inspected：应达 50，实际 未报数据）');
    expect(r.text).toContain('    缺报1份');
    expect(r.text).toContain('评估时间：2027年7月20日 09:00（Asia/Shanghai）。');
    expect(reportUrl(r.text, '分管单位报告（领导视图）：').startsWith(`${PORTAL}/l/`)).toBe(true);
    expect(r.html).toContain('Three-Year &lt;Plan&gt;');
  });
});

describe('sendNotices', () => {
  test('each message carries its kind header and, with links, the report link', async () => {
    const sent: OutgoingMessage[] = [];
    const mailer: Mailer = { send: async (m) => (sent.push(m), { rejected: [] }), close: async () => {} };
    const { sendNotices } = createNoticeActivities({ mailer, sentLog: createMemorySentLog(), from: 'rc@example.org', links });
    // Same instant and recipients: without digests (digest.test.ts has them), one message each.
    await sendNotices({ at: AT, notices: [spec(), spec({}, { kind: 'returned', round: 1 })], digest: false });
    expect(sent.map((m) => m.headers['X-Review-Cycles-Kind'])).toEqual(['request', 'returned']);
    expect(sent[0].headers['X-Review-Cycles-Key']).toBe('demo-2027/grain/agri/2027-Q1/request/1');
    expect(sent[1].headers['X-Review-Cycles-Key']).toBe('demo-2027/grain/agri/2027-Q1/returned/1/r1');
    for (const m of sent) {
      expect(m.text).toContain(`Submit your report: ${PORTAL}/r/`);
      expect(m.html).toContain(`href="${PORTAL}/r/`);
    }
  });
});

/**
 * The `extended` notice rendered in English and Chinese (subject, lead, reason, new and previous due day, escaping),
 * its .ics (the report's UID, the SEQUENCE the workflow gives, a revision's words when it moves a revision), its
 * line in notices.jsonl and its row in a digest.
 */
import { describe, expect, test } from 'vitest';
import { noticeAttachments, reportEventUid } from '../../activities/notices/calendar.js';
import { renderNotice } from '../../activities/notices/render.js';
import { lineOf, noticeItem } from '../../activities/notices/send-notices.js';
import type { NoticeSpec } from '../../workflows/contract/notice.js';
import { parseIcs } from '../helpers/ics.js';

function extended(over: Partial<NoticeSpec> = {}): NoticeSpec {
  return {
    key: { planId: 'demo-2027', taskId: 'grain', unitId: 'agri', period: '2027-Q2', kind: 'extended', number: 1 },
    at: '2027-07-01T02:00:00.000Z',
    to: ['agri@example.org'],
    cc: [],
    locale: 'en',
    timezone: 'Asia/Shanghai',
    planTitle: 'Three-Year Plan',
    taskTitle: 'Stable grain supply',
    unitName: 'Dept. of Agriculture',
    dueDay: '2027-07-20',
    deadline: '2027-07-20T16:00:00.000Z',
    next: { kind: 'reminder', at: '2027-07-19T01:00:00.000Z', to: 'unit' },
    reason: 'Flood <in> the "district"',
    previousDueDay: '2027-07-05',
    sequence: 1,
    ...over,
  };
}
const icsOf = (n: NoticeSpec) => {
  const [a] = noticeAttachments(n);
  return { filename: a.filename, ...parseIcs(String(a.content)) };
};

describe('the extended notice', () => {
  test('in English: the new due day, the previous one, the reason above the facts, the next step', () => {
    const r = renderNotice(extended());
    expect(r.subject).toBe('[demo-2027] More time granted: Stable grain supply (2027-Q2) is now due 2027-07-20');
    const lines = r.text.split('\n');
    expect(lines[0]).toBe('Headquarters has given Dept. of Agriculture more time for its progress report on "Stable grain supply" for 2027-Q2: it is now due on 2027-07-20.');
    expect(lines.slice(2, 4)).toEqual(['Reason for the extension:', '> Flood <in> the "district"']);
    expect(lines).toContain('New due day: 2027-07-20');
    expect(lines).toContain('Previous due day: 2027-07-05');
    expect(lines).toContain('On time until: 2027-07-21 00:00 (Asia/Shanghai)');
    expect(lines).toContain('If no report arrives, a reminder follows on 2027-07-19 09:00 (Asia/Shanghai).');
    expect(r.html).toContain('<blockquote>Flood &lt;in&gt; the &quot;district&quot;</blockquote>');
    expect(r.html).not.toContain('<in>');
  });

  test('in Chinese', () => {
    const r = renderNotice(extended({ locale: 'zh-CN' }));
    expect(r.subject).toBe('[demo-2027] 报告延期：Stable grain supply（2027年第2季度），新截止日期2027年7月20日');
    expect(r.text).toContain('总部同意Dept. of Agriculture“Stable grain supply”2027年第2季度工作进展报告延期报送，新截止日期为2027年7月20日。');
    expect(r.text).toContain('延期理由：\n> Flood <in> the "district"');
    expect(r.text).toContain('原截止日期：2027年7月5日');
    expect(r.text).toContain('新截止日期：2027年7月20日');
  });

  test("its .ics moves the report's event: the same UID, the SEQUENCE the workflow gives, the quarter's words", () => {
    const ics = icsOf(extended({ sequence: 3 }));
    expect(ics.filename).toBe('grain-2027-Q2-e1.ics');
    expect(ics.method).toBe('PUBLISH');
    expect(ics.events).toHaveLength(1);
    expect(ics.events[0]).toMatchObject({ uid: reportEventUid('demo-2027', 'grain', 'agri', '2027-Q2'), start: '2027-07-20', end: '2027-07-21', startIsDate: true, sequence: 3, summary: 'Report due: Stable grain supply (2027-Q2)' });
    // Moving a revision's day, it says so.
    expect(icsOf(extended({ revision: true })).events[0].summary).toBe('Revision due: Stable grain supply (2027-Q2)');
    // A returned notice of a report extended before takes the workflow's sequence too; without one, its round.
    const returned = extended({ key: { ...extended().key, kind: 'returned', number: 1, round: 1 }, sequence: 2 });
    expect(icsOf(returned).events[0].sequence).toBe(2);
    expect(icsOf({ ...returned, sequence: undefined }).events[0].sequence).toBe(1);
  });

  test('its notices.jsonl line names the extension and the new day; its digest row says which extension', () => {
    expect(lineOf(extended({ key: { ...extended().key, number: 2 } }))).toEqual({
      at: '2027-07-01T02:00:00.000Z', kind: 'extended', planId: 'demo-2027', taskId: 'grain', unitId: 'agri', period: '2027-Q2', number: 2, dueDay: '2027-07-20', to: ['agri@example.org'], cc: [],
    });
    const item = noticeItem(extended(), { from: 'hq@example.org' });
    expect(item.row.notice).toBe('Due day extended (extension 1)');
    expect(item.attachments).toHaveLength(1);
    expect(noticeItem(extended({ locale: 'zh-CN' }), { from: 'hq@example.org' }).row.notice).toBe('延期（第1次）');
  });
});

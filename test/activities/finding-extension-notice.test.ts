/**
 * The `finding-extended` notice in English and Chinese: subject, lead with the day it replaced and the new one, the
 * reason under its own label, escaping, the unit's links, its line in notices.jsonl and its row in a digest.
 */
import { describe, expect, test } from 'vitest';
import { findingItem, findingLineOf } from '../../activities/findings/findings-activities.js';
import { renderFindingNotice } from '../../activities/findings/render.js';
import { renderDigest } from '../../activities/notices/digest-render.js';
import type { FindingNoticeSpec } from '../../workflows/contract/finding.js';

const spec = (over: Partial<FindingNoticeSpec> = {}): FindingNoticeSpec => ({
  key: { planId: 'demo-2027', findingId: 'f1', kind: 'finding-extended', round: 1, number: 2 },
  at: '2027-07-01T02:00:00.000Z',
  to: ['agri@example.org'],
  cc: ['leader@example.org'],
  locale: 'en',
  timezone: 'Asia/Shanghai',
  planTitle: 'Three-Year Plan',
  findingTitle: 'Ledger <incomplete>',
  inspectionId: 'r1',
  inspectionTitle: 'First round',
  unitId: 'agri',
  unitName: 'Dept. of Agriculture',
  dueDay: '2027-07-20',
  verifier: 'headquarters',
  reason: 'Flood in the "district"',
  previousDueDay: '2027-07-05',
  ...over,
});
const links = {
  finding: (p: string, u: string, f: string) => `https://portal.example/f/${p}.${u}.${f}`,
  unit: (p: string, u: string) => `https://portal.example/u/${p}.${u}`,
} as never;

describe('the finding-extended notice', () => {
  test('in English: the new deadline day, the one it replaced, the reason, and the links to act on it', () => {
    const r = renderFindingNotice(spec(), links);
    expect(r.subject).toBe('[demo-2027] Finding f1: deadline extended to 2027-07-20');
    const lines = r.text.split('\n');
    expect(lines[0]).toBe('Headquarters has extended the deadline of finding f1 ("Ledger <incomplete>") for Dept. of Agriculture from 2027-07-05 to 2027-07-20. Reminders now count from the new deadline day.');
    expect(lines).toContain('Deadline day: 2027-07-20');
    expect(lines).toContain('Previous deadline day: 2027-07-05');
    expect(lines).toContain('Reason for the extension: Flood in the "district"');
    expect(lines).toContain('Report progress or claim the finding rectified: https://portal.example/f/demo-2027.agri.f1');
    expect(r.html).toContain('Ledger &lt;incomplete&gt;');
    expect(r.html).toContain('<td>Flood in the &quot;district&quot;</td>');
    expect(r.html).not.toContain('<incomplete>');
  });

  test('in Chinese: the same facts in the plan\'s words', () => {
    const r = renderFindingNotice(spec({ locale: 'zh-CN', unitName: '农业农村局' }));
    expect(r.subject).toBe('[demo-2027] 问题 f1 整改期限延至2027年7月20日');
    const lines = r.text.split('\n');
    expect(lines[0]).toBe('总部已将农业农村局问题 f1（“Ledger <incomplete>”）的整改期限由2027年7月5日延至2027年7月20日，此后的提醒按新的整改期限计算。');
    expect(lines).toContain('整改期限：2027年7月20日');
    expect(lines).toContain('原整改期限：2027年7月5日');
    expect(lines).toContain('延期理由：Flood in the "district"');
  });

  test('a rejection still says its reason under its own label', () => {
    const r = renderFindingNotice(spec({ key: { planId: 'demo-2027', findingId: 'f1', kind: 'claim-rejected', round: 1, number: 1 }, previousDueDay: undefined, reason: 'Weak.' }));
    expect(r.text.split('\n')).toContain('Reason: Weak.');
    expect(r.text).not.toContain('Previous deadline day');
  });

  test('its line names the extension number and the new day; its digest row says which extension', () => {
    expect(findingLineOf(spec())).toEqual({
      at: '2027-07-01T02:00:00.000Z', kind: 'finding-extended', planId: 'demo-2027', findingId: 'f1', inspectionId: 'r1', unitId: 'agri', round: 1, number: 2, dueDay: '2027-07-20',
      to: ['agri@example.org'], cc: ['leader@example.org'],
    });
    const en = findingItem(spec(), { from: 'hq-robot@example.org' });
    expect(en.keyText).toBe('demo-2027/finding/f1/finding-extended/r1/2');
    expect(en.row).toMatchObject({ notice: 'Deadline extended (extension 2)', dueDay: '2027-07-20' });
    expect(findingItem(spec({ locale: 'zh-CN' }), { from: 'hq-robot@example.org' }).row.notice).toBe('整改期限延期（第2次）');
    const two = [en, findingItem(spec({ key: { ...spec().key, findingId: 'f2' } }), { from: 'hq-robot@example.org' })];
    expect(renderDigest(two).subject).toBe('[demo-2027] 2 finding deadlines extended, due 2027-07-20');
  });
});

import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  rankChangeText,
  reviewCatalogue,
  reviewHtml,
  reviewJson,
  reviewMarkdown,
  reviewSubject,
  type ReviewDocumentInput,
  type ReviewNames,
} from '../../activities/documents/review-documents.js';
import { writeReviewDocuments } from '../../activities/documents/write-review.js';
import type { Review } from '../../workflows/review/rank.js';

const SCRIPT = '<script>alert(1)</script>';

const names: ReviewNames = {
  units: { agri: '农业农村厅', econ: 'Economy & Trade <Dept>', water: 'Water Resources' },
  tasks: {
    't-seed': { title: 'Seed industry', aspect: 'rural' },
    't-irrig': { title: 'Irrigation | canals', aspect: 'rural' },
    't-export': { title: 'Exports', aspect: 'trade' },
  },
  aspects: { trade: 'Open economy', rural: 'Rural revitalisation' },
  leaders: { lead1: 'Vice-Governor Li' },
};

function review(over: Partial<Review> = {}): Review {
  return {
    planId: 'demo-2027',
    planTitle: 'Action plan 2027-2028',
    window: '2027',
    kind: 'summary',
    at: '2028-01-30T01:00:00.000Z',
    periods: ['2027-Q1', '2027-Q2', '2027-Q3', '2027-Q4'],
    ranking: [
      { unitId: 'water', due: 3, onTime: 3, late: 0, missing: 0, daysLate: 0, escalations: 0, rank: 1, onTimeRate: 1, rankChange: 2 },
      { unitId: 'agri', due: 3, onTime: 2, late: 1, missing: 0, daysLate: 4, escalations: 1, rank: 2, onTimeRate: 2 / 3, rankChange: -1 },
      { unitId: 'econ', due: 3, onTime: 1, late: 0, missing: 2, daysLate: 0, escalations: 3, rank: 3, onTimeRate: 1 / 3, rankChange: null },
    ],
    advanced: ['water'],
    backward: ['econ'],
    behindPlan: [
      { taskId: 't-irrig', expected: 200 / 3, actual: null, metric: 'km of canals', total: 100 },
      { taskId: 't-export', expected: 37.5, actual: 20.25, metric: 'billion yuan', total: 50 },
    ],
    flagged: [{ taskId: 't-export', unitId: 'econ', period: '2027-Q3', status: 'off-track', problems: `Port closed\n${SCRIPT}` }],
    flaggedTotal: 1,
    lagging: [
      {
        leaderId: 'lead1',
        units: [{ unitId: 'econ', reasons: [{ kind: 'backward', rank: 3, of: 3 }, { kind: 'missing', count: 2 }] }],
      },
    ],
    laggingWithoutLeader: [{ unitId: 'agri', reasons: [{ kind: 'behindPlan', taskId: 't-irrig', metric: 'km of canals', expected: 200 / 3, actual: null }] }],
    heatmap: [
      { taskId: 't-seed', cells: 'SSLSP' },
      { taskId: 't-irrig', cells: 'USMLP' },
      { taskId: 't-export', cells: 'SMLSP' },
    ],
    allPeriods: ['2027-Q1', '2027-Q2', '2027-Q3', '2027-Q4', '2028-Q1'],
    previousWindow: '2027-H1',
    ...over,
  };
}

const input = (over: Partial<Review> = {}): ReviewDocumentInput => ({ review: review(over), names, timezone: 'Asia/Shanghai', locale: 'en' });

describe('reviewJson', () => {
  test('has the required keys, in order, with unrounded numbers', () => {
    const text = reviewJson(input());
    const doc = JSON.parse(text);
    expect(Object.keys(doc).slice(0, 9)).toEqual(['window', 'at', 'kind', 'planId', 'periods', 'ranking', 'advanced', 'backward', 'behindPlan']);
    expect(doc.window).toBe('2027');
    expect(doc.at).toBe('2028-01-30T01:00:00.000Z');
    expect(doc.ranking).toHaveLength(3);
    for (const row of doc.ranking) {
      expect(Object.keys(row).slice(0, 9)).toEqual(['unitId', 'rank', 'due', 'onTime', 'late', 'missing', 'daysLate', 'escalations', 'onTimeRate']);
      expect(typeof row.unitId).toBe('string');
      for (const k of ['rank', 'due', 'onTime', 'late', 'missing', 'daysLate', 'escalations', 'onTimeRate']) expect(typeof row[k]).toBe('number');
    }
    expect(doc.ranking[1].onTimeRate).toBe(0.6666666666666666);
    expect(text).toContain('0.6666666666666666');
    expect(doc.ranking.map((r: { rankChange: number | null }) => r.rankChange)).toEqual([2, -1, null]);
    expect(doc.advanced).toEqual(['water']);
    expect(doc.backward).toEqual(['econ']);
    expect(doc.behindPlan[0]).toMatchObject({ taskId: 't-irrig', expected: 200 / 3, actual: null });
    expect(doc.behindPlan[1]).toMatchObject({ taskId: 't-export', expected: 37.5, actual: 20.25 });
    expect(doc.flagged[0].problems).toBe(`Port closed\n${SCRIPT}`);
  });

  test('ranking rows have no rankChange when the review has none', () => {
    const r = review({ previousWindow: null });
    r.ranking = r.ranking.map(({ rankChange: _, ...u }) => u);
    const doc = JSON.parse(reviewJson({ ...input(), review: r }));
    expect(Object.keys(doc.ranking[0])).not.toContain('rankChange');
  });
});

describe('reviewSubject', () => {
  test('names the plan and the window', () => {
    expect(reviewSubject(input({ kind: 'review', window: '2027-H1' }))).toBe('[demo-2027] Semi-annual review 2027-H1');
    expect(reviewSubject(input())).toBe('[demo-2027] Annual summary 2027');
    expect(reviewSubject(input({ window: 'plan', previousWindow: null }))).toBe('[demo-2027] Plan summary');
  });

  test('an unknown locale falls back to English; zh-CN has its own words', () => {
    expect(reviewCatalogue('fr-FR')).toBe(reviewCatalogue('en'));
    expect(reviewSubject({ ...input(), locale: 'zh-CN' })).toBe('[demo-2027] 年度总结 2027');
    const html = reviewHtml({ ...input(), locale: 'zh-CN' });
    expect(html).toContain('<html lang="zh-CN"');
    expect(html).toContain('激励先进');
    expect(html).toContain('鞭策后进');
    expect(reviewMarkdown({ ...input(), locale: 'zh-CN' })).toContain('## 单位排名');
  });
});

describe('reviewMarkdown', () => {
  const md = reviewMarkdown(input());

  test('has the title, the local moment and the ranking table', () => {
    expect(md).toContain('# Annual summary 2027 — Action plan 2027-2028 (demo-2027)');
    expect(md).toContain('2028-01-30 09:00 (Asia/Shanghai)');
    expect(md).toContain('| Rank | Unit | Due | On time | Late | Missing | Days late | Escalations | On-time rate | Change since 2027-H1 |');
    expect(md).toContain('| 1 | Water Resources (water) | 3 | 3 | 0 | 0 | 0 | 0 | 100.0% | ▲2 |');
    expect(md).toContain('| 2 | 农业农村厅 (agri) | 3 | 2 | 1 | 0 | 4 | 1 | 66.7% | ▼1 |');
    expect(md).toContain('| 3 | Economy \\& Trade \\<Dept\\> (econ) | 3 | 1 | 0 | 2 | 0 | 3 | 33.3% | new |');
  });

  test('lists advanced, backward, behind plan, flagged, lagging and the heatmap', () => {
    expect(md).toContain('motivate the advanced');
    expect(md).toContain('spur the backward');
    expect(md).toContain('| Irrigation \\| canals (t-irrig) | km of canals | 66.67 | no figure | 100 |');
    expect(md).toContain('| Exports (t-export) | billion yuan | 37.5 | 20.25 | 50 |');
    expect(md).toContain('Port closed<br>\\<script\\>alert(1)\\</script\\>');
    expect(md).not.toContain(SCRIPT);
    expect(md).toContain('### Leader: Vice-Governor Li (lead1)');
    expect(md).toContain('- Economy \\& Trade \\<Dept\\> (econ): ranked among the backward (rank 3 of 3); 2 reports missing');
    expect(md).toContain('### Units without a leader');
    expect(md).toContain('| **Open economy** |');
    expect(md).toContain('| Exports (t-export) | S | M | L | S | P |');
    expect(md).toContain('| Irrigation \\| canals (t-irrig) | U | S | M | L | P |');
    // Aspects in the names' order: trade before rural.
    expect(md.indexOf('**Open economy**')).toBeLessThan(md.indexOf('**Rural revitalisation**'));
  });
});

describe('reviewHtml', () => {
  const html = reviewHtml(input());

  test('is a self-contained page without scripts or external resources', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link|<img|src=|href=|@import|url\(/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('Economy &amp; Trade &lt;Dept&gt;');
    expect(html).toContain('2028-01-30 09:00 (Asia/Shanghai)');
  });

  test('shows the ranking with percentages and rank changes', () => {
    expect(html).toContain('Change since 2027-H1');
    expect(html).toContain('<td class="num">66.7%</td>');
    expect(html).toContain('<td class="change up">▲2</td>');
    expect(html).toContain('<td class="change down">▼1</td>');
    expect(html).toContain('<td class="change new">new</td>');
    const same = review();
    same.ranking[0].rankChange = 0;
    expect(reviewHtml({ ...input(), review: same })).toContain('<td class="change same">=</td>');
    expect(reviewHtml(input({ previousWindow: null }))).not.toContain('Change since');
  });

  test('has one heatmap cell per task and quarter, with its class, and a legend', () => {
    const cells = [...html.matchAll(/<td class="cell c-([A-Z])"[^>]*>([A-Z])<\/td>/g)];
    expect(cells).toHaveLength(3 * 5);
    for (const [, cls, text] of cells) expect(cls).toBe(text);
    for (const h of review().heatmap) {
      const row = html.match(new RegExp(`<tr data-task="${h.taskId}">(.*?)</tr>`))![1];
      expect([...row.matchAll(/class="cell c-([A-Z])"/g)].map((m) => m[1])).toEqual(Array.from(h.cells));
    }
    for (const [code, word] of [['S', 'on time'], ['L', 'late'], ['M', 'missing'], ['P', 'not yet due'], ['U', 'not tracked']]) {
      expect(html).toContain(`<span class="swatch c-${code}">${code}</span> ${word}`);
      expect(html).toMatch(new RegExp(`\\.c-${code} \\{ background`));
    }
    expect(html).toContain('<th scope="colgroup" colspan="6">Open economy</th>');
    expect(html).toContain('<th scope="colgroup" colspan="6">Rural revitalisation</th>');
    expect(html).toMatch(/thead th \{ position: sticky; top: 0/);
    expect(html).toContain('<th scope="col" class="in-window">2027-Q4</th>');
    expect(html).toContain('<th scope="col">2028-Q1</th>');
  });

  test('lists tasks behind plan, flagged reports and lagging units', () => {
    expect(html).toContain('<em>no figure</em>');
    expect(html).toContain('<td class="num">66.67</td>');
    expect(html).toContain('<td class="status-off-track">off track</td>');
    expect(html).toContain('Vice-Governor Li');
    expect(html).toContain('2 reports missing');
    expect(html).toContain('spur the backward');
    expect(html).toContain('motivate the advanced');
  });
});

describe('writeReviewDocuments', () => {
  test('writes reviews and summaries to their folders', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rc-docs-'));
    const h1 = await writeReviewDocuments(dir, input({ kind: 'review', window: '2027-H1', previousWindow: null }));
    expect(h1).toEqual({
      json: join(dir, 'reviews', '2027-H1.json'),
      md: join(dir, 'reviews', '2027-H1.md'),
      html: join(dir, 'reviews', '2027-H1.html'),
    });
    const year = await writeReviewDocuments(dir, input());
    expect(year.json).toBe(join(dir, 'summaries', '2027.json'));
    const plan = await writeReviewDocuments(dir, input({ window: 'plan', previousWindow: null }));
    expect(plan).toEqual({
      json: join(dir, 'summaries', 'plan.json'),
      md: join(dir, 'summaries', 'plan.md'),
      html: join(dir, 'summaries', 'plan.html'),
    });
    for (const p of [h1, year, plan].flatMap((x) => [x.json, x.md, x.html])) expect(existsSync(p)).toBe(true);
    expect(JSON.parse(readFileSync(year.json, 'utf8')).window).toBe('2027');
    expect(readFileSync(year.html, 'utf8')).toBe(reviewHtml(input()));
    expect(readFileSync(year.md, 'utf8')).toBe(reviewMarkdown(input()));
    expect(readdirSync(join(dir, 'reviews')).sort()).toEqual(['2027-H1.html', '2027-H1.json', '2027-H1.md']);
    expect(readdirSync(join(dir, 'summaries')).sort()).toEqual(['2027.html', '2027.json', '2027.md', 'plan.html', 'plan.json', 'plan.md']);
    // Writing again replaces the files.
    await writeReviewDocuments(dir, input());
    expect(readdirSync(join(dir, 'summaries'))).toHaveLength(6);
  });

  test('refuses a window that is not a plain file name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rc-docs-'));
    await expect(writeReviewDocuments(dir, input({ window: '../escape' }))).rejects.toThrow(/window/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

test('rank changes read without colour', () => {
  const c = reviewCatalogue('en');
  expect([3, -2, 0, null, undefined].map((x) => rankChangeText(x, c))).toEqual(['▲3', '▼2', '=', 'new', 'new']);
});

/**
 * Review documents of a plan with findings and weights, in English and Chinese: the findings columns, the findings
 * section with its coverage, and every score explained by its parts; a review without them shows none of it.
 */
import { describe, expect, test } from 'vitest';
import { reviewHtml, reviewJson, reviewMarkdown, type ReviewDocumentInput } from '../../activities/documents/review-documents.js';
import type { Review } from '../../workflows/review/rank.js';
import { unitScore } from '../../workflows/review/score.js';

const weights = { timeliness: 40, progress: 30, quality: 10, findings: 20 };
const findingsOf = (due: number, closedOnTime: number, overdue: number) => ({ due, closedOnTime, closedLate: due - closedOnTime - overdue, overdue, reopened: 0 });

function review(over: Partial<Review> = {}): Review {
  return {
    planId: 'demo-2027',
    planTitle: 'Plan',
    window: '2027-H1',
    kind: 'review',
    at: '2027-07-20T01:00:00.000Z',
    periods: ['2027-Q1', '2027-Q2'],
    ranking: [
      { unitId: 'agri', due: 2, onTime: 2, late: 0, missing: 0, daysLate: 0, escalations: 0, rank: 1, onTimeRate: 1, findings: findingsOf(2, 2, 0), closureRate: 1,
        score: unitScore(weights, { timeliness: 1, progress: null, quality: 0.5, findings: 1 }) },
      { unitId: 'econ', due: 2, onTime: 1, late: 1, missing: 0, daysLate: 3, escalations: 0, rank: 2, onTimeRate: 0.5, findings: findingsOf(1, 0, 1), closureRate: 0,
        score: unitScore(weights, { timeliness: 0.5, progress: 1, quality: 1, findings: 0 }) },
    ],
    advanced: ['agri'],
    backward: [],
    behindPlan: [],
    flagged: [],
    flaggedTotal: 0,
    lagging: [],
    laggingWithoutLeader: [{ unitId: 'econ', reasons: [{ kind: 'overdueFindings', count: 1 }] }],
    heatmap: [],
    allPeriods: ['2027-Q1', '2027-Q2'],
    previousWindow: null,
    findings: {
      units: [{ unitId: 'agri', ...findingsOf(2, 2, 0), closureRate: 1 }, { unitId: 'econ', ...findingsOf(1, 0, 1), closureRate: 0 }],
      coverage: { targets: 4, covered: 3, coveredInWindow: 1, by: '2027-12-31', uncovered: ['k4'], late: false },
    },
    weights,
    ...over,
  };
}
const input = (r: Review, locale = 'en'): ReviewDocumentInput => ({
  review: r,
  names: { units: { agri: 'Agriculture', econ: 'Economy' }, tasks: {}, aspects: {}, leaders: {} },
  timezone: 'Asia/Shanghai',
  locale,
});

describe('review documents with findings and scores', () => {
  test('English: findings columns, the findings section, and each score by its parts', () => {
    const md = reviewMarkdown(input(review()));
    expect(md).toContain('| On-time rate | Findings due | Closed on time | Closed late | Findings overdue | Reopened | Closure rate | Score |');
    // agri: progress takes the average of 100, 50 and 100.
    expect(md).toContain('| 1 | Agriculture (agri) | 2 | 2 | 0 | 0 | 0 | 0 | 100.0% | 2 | 2 | 0 | 0 | 0 | 100.0% | 90.0 |');
    expect(md).toContain('90.0 = (40 × 100.0 + 30 × 83.3\\* + 10 × 50.0 + 20 × 100.0) ÷ 100');
    expect(md).toContain('Coverage: 3 of 4 targets inspected (1 of them in this window); all are due by 2027-12-31.');
    expect(md).toContain('Not covered yet: k4');
    expect(md).toContain('1 inspection finding overdue');
    const html = reviewHtml(input(review()));
    expect(html).toContain('<table class="scores">');
    expect(html).toContain('<tr data-unit="econ" class="overdue">');
    const json = JSON.parse(reviewJson(input(review())));
    expect(json.ranking[0]).toMatchObject({ closureRate: 1, score: review().ranking[0].score!.score });
    expect(json.weights).toEqual(weights);
  });

  test('Chinese: the same columns and explanations in zh-CN', () => {
    const md = reviewMarkdown(input(review(), 'zh-CN'));
    expect(md).toContain('| 按时率 | 应整改问题 | 按期销号 | 逾期销号 | 逾期未改 | 回头看重启 | 按期销号率 | 得分 |');
    expect(md).toContain('## 督查问题整改');
    expect(md).toContain('按期销号率 = 按期销号 ÷ 应整改问题');
    expect(md).toContain('## 考核得分');
    expect(md).toContain('及时性：按时率，权重40');
    expect(md).toContain('督查覆盖：已覆盖3个，共4个（其中本期新覆盖1个）');
    expect(reviewHtml(input(review(), 'zh-CN'))).toContain('1项督查问题逾期未整改');
  });

  test('a review without findings or weights shows none of it', () => {
    const plain = review({ findings: undefined, weights: undefined, laggingWithoutLeader: [] });
    plain.ranking = plain.ranking.map(({ findings: _f, closureRate: _c, score: _s, ...u }) => u);
    const md = reviewMarkdown(input(plain));
    expect(md).toContain('| Rank | Unit | Due | On time | Late | Missing | Days late | Escalations | On-time rate |\n');
    expect(md).not.toContain('Findings');
    expect(md).not.toContain('Assessment scores');
    const json = JSON.parse(reviewJson(input(plain)));
    expect(Object.keys(json)).not.toContain('findings');
    expect(Object.keys(json.ranking[0])).not.toContain('score');
  });
});

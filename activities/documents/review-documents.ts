/**
 * Turns a computed review or summary (`Review`) into its JSON, Markdown and HTML documents and its mail subject,
 * in the plan's language and time zone. Pure: no I/O.
 */
import type { RankedUnit, Review } from '../../workflows/review/rank.js';
import { SCORE_PARTS, type ScorePartName } from '../../workflows/review/score.js';
import type { CellCode } from '../../workflows/review/tally.js';
import { escapeHtml, localTime } from '../notices/render.js';
import { en, type ReviewCatalogue } from './catalogue/en.js';
import { zhCN } from './catalogue/zh-CN.js';
import { describeReason } from '../reviews/reasons.js';

/** Catalogues by locale; add `'zh-CN': zhCN` here once written. */
const catalogues: Record<string, ReviewCatalogue> = { en, 'zh-CN': zhCN };

/** The catalogue of `locale`, else of its language (`zh-CN` -> `zh`), else English. */
export function reviewCatalogue(locale: string): ReviewCatalogue {
  return catalogues[locale] ?? catalogues[locale.split('-')[0]] ?? en;
}

/** The plan's names of the ids a review mentions (a missing name shows as its id). */
export interface ReviewNames {
  units: Record<string, string>;
  tasks: Record<string, { title: string; aspect: string }>;
  aspects: Record<string, string>;
  leaders: Record<string, string>;
}

export interface ReviewDocumentInput {
  review: Review;
  names: ReviewNames;
  timezone: string;
  locale: string;
}

const CODES: CellCode[] = ['S', 'L', 'M', 'P', 'U'];

// ---------------------------------------------------------------------------------------------------------------
// JSON

/** The review as JSON text: numbers unrounded, keys in a fixed order (window, at, kind, planId, periods, ranking, ...). */
export function reviewJson(input: ReviewDocumentInput): string {
  const r = input.review;
  const doc = {
    window: r.window,
    at: r.at,
    kind: r.kind,
    planId: r.planId,
    periods: r.periods,
    ranking: r.ranking.map((u) => ({
      unitId: u.unitId,
      rank: u.rank,
      due: u.due,
      onTime: u.onTime,
      late: u.late,
      missing: u.missing,
      daysLate: u.daysLate,
      escalations: u.escalations,
      onTimeRate: u.onTimeRate,
      ...(u.rankChange !== undefined ? { rankChange: u.rankChange } : {}),
      ...(u.findings ? { findings: u.findings, closureRate: u.closureRate ?? null } : {}),
      ...(u.score ? { score: u.score.score, scoreParts: u.score.parts } : {}),
    })),
    advanced: r.advanced,
    backward: r.backward,
    behindPlan: r.behindPlan.map((b) => ({ taskId: b.taskId, expected: b.expected, actual: b.actual, metric: b.metric, total: b.total })),
    planTitle: r.planTitle,
    previousWindow: r.previousWindow,
    flagged: r.flagged.map((f) => ({ taskId: f.taskId, unitId: f.unitId, period: f.period, status: f.status, problems: f.problems })),
    lagging: r.lagging.map((l) => ({ leaderId: l.leaderId, units: l.units.map((u) => ({ unitId: u.unitId, reasons: u.reasons })) })),
    laggingWithoutLeader: r.laggingWithoutLeader.map((u) => ({ unitId: u.unitId, reasons: u.reasons })),
    allPeriods: r.allPeriods,
    heatmap: r.heatmap.map((h) => ({ taskId: h.taskId, cells: h.cells })),
    ...(r.findings ? { findings: r.findings } : {}),
    ...(r.weights ? { weights: r.weights } : {}),
    ...(r.versions ? { versions: r.versions } : {}),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

// ---------------------------------------------------------------------------------------------------------------
// Shared pieces

/** "Semi-annual review 2027-H1", "Annual summary 2027" or "Plan summary". */
function heading(r: Review, c: ReviewCatalogue): string {
  if (r.kind === 'review') return c.heading.review(r.window);
  return r.window === 'plan' ? c.heading.plan() : c.heading.annual(r.window);
}

/** The mail subject, e.g. "[demo-2027] Semi-annual review 2027-H1". */
export function reviewSubject(input: ReviewDocumentInput): string {
  return `[${input.review.planId}] ${heading(input.review, reviewCatalogue(input.locale))}`;
}

const unitName = (n: ReviewNames, id: string) => n.units[id] ?? id;
const taskTitle = (n: ReviewNames, id: string) => n.tasks[id]?.title ?? id;
const leaderName = (n: ReviewNames, id: string) => n.leaders[id] ?? id;
const named = (name: string, id: string) => (name === id ? id : `${name} (${id})`);

/** An on-time rate as a percentage with one decimal, e.g. 0.6666 -> "66.7%". */
export function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

/** A figure for reading: at most two decimals. */
function figure(x: number): string {
  return String(Math.round(x * 100) / 100);
}

/** ▲n (moved up n places), ▼n (down), = (same place) or "new" (not ranked in the previous window). */
export function rankChangeText(change: number | null | undefined, c: ReviewCatalogue): string {
  if (change === null || change === undefined) return c.ranking.newEntry;
  if (change > 0) return `▲${change}`;
  if (change < 0) return `▼${-change}`;
  return '=';
}

const rankChangeClass = (change: number | null | undefined) =>
  change === null || change === undefined ? 'new' : change > 0 ? 'up' : change < 0 ? 'down' : 'same';

/** The heatmap's rows grouped by aspect: aspects in the names' order, then tasks of unknown aspect. */
function heatmapGroups(r: Review, n: ReviewNames, c: ReviewCatalogue): { title: string; rows: Review['heatmap'] }[] {
  const groups: { title: string; rows: Review['heatmap'] }[] = [];
  const placed = new Set<string>();
  for (const [aspectId, title] of Object.entries(n.aspects)) {
    const rows = r.heatmap.filter((h) => n.tasks[h.taskId]?.aspect === aspectId);
    rows.forEach((h) => placed.add(h.taskId));
    if (rows.length) groups.push({ title, rows });
  }
  const rest = r.heatmap.filter((h) => !placed.has(h.taskId));
  if (rest.length) groups.push({ title: c.heatmap.otherAspect, rows: rest });
  return groups;
}

function rankingColumns(r: Review, c: ReviewCatalogue): string[] {
  const cols = [
    c.ranking.rank,
    c.ranking.unit,
    c.ranking.due,
    c.ranking.onTime,
    c.ranking.late,
    c.ranking.missing,
    c.ranking.daysLate,
    c.ranking.escalations,
    c.ranking.onTimeRate,
  ];
  if (r.findings) cols.push(c.ranking.findingsDue, c.ranking.closedOnTime, c.ranking.closedLate, c.ranking.findingsOverdue, c.ranking.reopened, c.ranking.closureRate);
  if (r.weights) cols.push(c.ranking.score);
  if (r.previousWindow !== null) cols.push(c.ranking.change(r.previousWindow));
  return cols;
}

/** A score or a part for reading: one decimal. */
const score1 = (x: number) => (Math.round(x * 10) / 10).toFixed(1);

/** A closure rate, or a dash when nothing was due. */
const rateText = (rate: number | null | undefined, c: ReviewCatalogue) => (rate === null || rate === undefined ? c.dash : percent(rate));

/** The findings and score cells a ranking row carries after its on-time rate, as plain text. */
function extraCells(r: Review, u: RankedUnit, c: ReviewCatalogue): string[] {
  const cells: string[] = [];
  if (r.findings) {
    const f = u.findings ?? { due: 0, closedOnTime: 0, closedLate: 0, overdue: 0, reopened: 0 };
    cells.push(String(f.due), String(f.closedOnTime), String(f.closedLate), String(f.overdue), String(f.reopened), rateText(u.closureRate, c));
  }
  if (r.weights) cells.push(u.score?.score === null || u.score === undefined ? c.dash : score1(u.score.score));
  return cells;
}

/** The weighted parts, in order. */
const weightedParts = (r: Review): ScorePartName[] => (r.weights ? SCORE_PARTS.filter((p) => r.weights![p] > 0) : []);

/** What the weights are, in words: "timeliness: the on-time rate, weight 40; ...". */
function weightsText(r: Review, c: ReviewCatalogue): string {
  return weightedParts(r).map((p) => c.scores.weight(c.scores.parts[p], r.weights![p])).join(c.scores.sep);
}

/** A part of a unit's score as used, with * when it took the average of the others. */
function partText(u: RankedUnit, p: ScorePartName, c: ReviewCatalogue): string {
  const part = u.score?.parts[p];
  if (!part || part.used === null) return c.dash;
  return `${score1(part.used * 100)}${part.measured === null ? '*' : ''}`;
}

/** How a unit's score is made: "82.5 = (40 × 75.0 + 30 × 100.0* + 20 × 50.0) ÷ 90". */
function scoreHow(r: Review, u: RankedUnit, c: ReviewCatalogue): string {
  if (!u.score || u.score.score === null) return c.scores.nothing;
  const parts = weightedParts(r);
  const total = parts.reduce((s, p) => s + r.weights![p], 0);
  return `${score1(u.score.score)} = (${parts.map((p) => `${r.weights![p]} × ${partText(u, p, c)}`).join(' + ')}) ÷ ${total}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Markdown

/** Escapes text for Markdown: punctuation that could start markup (HTML included) is backslash-escaped. */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_[\]<>|&#~]/g, (ch) => `\\${ch}`);
}

/** Escaped text for a table cell: line breaks become <br>. */
const mdCell = (s: string) =>
  escapeMarkdown(s)
    .split(/\r\n|\r|\n/)
    .join('<br>');

function mdTable(header: string[], rows: string[][], align?: ('l' | 'r' | 'c')[]): string[] {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const rule = header.map((_, i) => ({ l: '---', r: '---:', c: ':---:' })[align?.[i] ?? 'l']);
  return [line(header), line(rule), ...rows.map(line)];
}

/** "version 2 (from 2027-11-25 10:00: 2028 holidays announced)". */
function versionWords(v: NonNullable<Review['versions']>[number], timezone: string, c: ReviewCatalogue): string {
  return `${c.version(v.version)} (${c.versionFrom(localTime(v.from, timezone))}${v.reason ? `: ${v.reason}` : ''})`;
}

/** The review as a Markdown document. */
export function reviewMarkdown(input: ReviewDocumentInput): string {
  const { review: r, names: n, timezone } = input;
  const c = reviewCatalogue(input.locale);
  const out: string[] = [];
  const section = (title: string) => out.push('', `## ${escapeMarkdown(title)}`, '');

  out.push(`# ${escapeMarkdown(heading(r, c))} — ${mdCell(r.planTitle)} (${mdCell(r.planId)})`, '');
  out.push(`- ${c.madeAt}: ${mdCell(localTime(r.at, timezone))}`);
  out.push(`- ${c.quarters}: ${r.periods.map(mdCell).join(', ') || c.dash}`);
  if (r.versions) out.push(`- ${c.versions}: ${r.versions.map((v) => mdCell(versionWords(v, timezone, c))).join('; ')}`);

  section(c.ranking.title);
  if (r.ranking.length === 0) out.push(c.ranking.noUnits);
  else {
    const rows = r.ranking.map((u) => {
      const row = [
        String(u.rank),
        mdCell(named(unitName(n, u.unitId), u.unitId)),
        String(u.due),
        String(u.onTime),
        String(u.late),
        String(u.missing),
        String(u.daysLate),
        String(u.escalations),
        percent(u.onTimeRate),
        ...extraCells(r, u, c).map(mdCell),
      ];
      if (r.previousWindow !== null) row.push(rankChangeText(u.rankChange, c));
      return row;
    });
    const cols = rankingColumns(r, c);
    const changeAt = r.previousWindow !== null ? cols.length - 1 : -1;
    out.push(...mdTable(cols.map(mdCell), rows, cols.map((_, i) => (i === 1 ? 'l' : i === changeAt ? 'c' : 'r'))));
  }

  if (r.weights) {
    section(c.scores.title);
    out.push(escapeMarkdown(c.scores.explain(weightsText(r, c))), '');
    if (r.ranking.length === 0) out.push(c.ranking.noUnits);
    else {
      const parts = weightedParts(r);
      out.push(
        ...mdTable(
          [c.ranking.rank, c.scores.unit, c.ranking.score, ...parts.map((p) => c.scores.short[p]), c.scores.how].map(mdCell),
          r.ranking.map((u) => [
            String(u.rank),
            mdCell(named(unitName(n, u.unitId), u.unitId)),
            u.score?.score === null || u.score === undefined ? c.dash : score1(u.score.score),
            ...parts.map((p) => mdCell(partText(u, p, c))),
            mdCell(scoreHow(r, u, c)),
          ]),
          ['r', 'l', 'r', ...parts.map(() => 'r' as const), 'l'],
        ),
      );
      if (r.ranking.some((u) => parts.some((p) => u.score?.parts[p].measured === null))) out.push('', escapeMarkdown(c.scores.averaged));
    }
  }

  if (r.findings) {
    const f = c.findings;
    section(f.title);
    out.push(escapeMarkdown(f.explain), '');
    if (r.findings.units.length === 0) out.push(f.noFindings);
    else {
      out.push(
        ...mdTable(
          [f.unit, c.ranking.findingsDue, c.ranking.closedOnTime, c.ranking.closedLate, c.ranking.findingsOverdue, c.ranking.reopened, c.ranking.closureRate].map(mdCell),
          r.findings.units.map((u) => [
            mdCell(named(unitName(n, u.unitId), u.unitId)),
            String(u.due),
            String(u.closedOnTime),
            String(u.closedLate),
            String(u.overdue),
            String(u.reopened),
            rateText(u.closureRate, c),
          ]),
          ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
        ),
      );
    }
    const cov = r.findings.coverage;
    if (cov) {
      out.push('', escapeMarkdown(f.coverage(cov.covered, cov.targets, cov.coveredInWindow, cov.by)));
      if (cov.uncovered.length) out.push('', `${escapeMarkdown(f.uncovered)}: ${cov.uncovered.map(mdCell).join(', ')}`);
      if (cov.late) out.push('', `**${escapeMarkdown(f.coverageLate(cov.by))}**`);
    }
  }

  const unitList = (ids: string[]) =>
    ids.length ? ids.map((id) => `- ${mdCell(named(unitName(n, id), id))}`) : [c.none];
  section(`${c.advanced.title} (${c.advanced.note})`);
  out.push(...unitList(r.advanced));
  section(`${c.backward.title} (${c.backward.note})`);
  out.push(...unitList(r.backward));

  section(c.behindPlan.title);
  if (r.behindPlan.length === 0) out.push(c.none);
  else {
    const b = c.behindPlan;
    out.push(
      ...mdTable(
        [b.task, b.metric, b.expected, b.actual, b.total].map(mdCell),
        r.behindPlan.map((t) => [
          mdCell(named(taskTitle(n, t.taskId), t.taskId)),
          mdCell(t.metric),
          figure(t.expected),
          t.actual === null ? mdCell(b.noFigure) : figure(t.actual),
          figure(t.total),
        ]),
        ['l', 'l', 'r', 'r', 'r'],
      ),
    );
  }

  section(c.flagged.title);
  if (r.flagged.length === 0) out.push(c.none);
  else {
    const f = c.flagged;
    out.push(
      ...mdTable(
        [f.task, f.unit, f.period, f.status, f.problems].map(mdCell),
        r.flagged.map((x) => [
          mdCell(named(taskTitle(n, x.taskId), x.taskId)),
          mdCell(named(unitName(n, x.unitId), x.unitId)),
          mdCell(x.period),
          mdCell(f.statuses[x.status] ?? x.status),
          x.problems === null || x.problems === '' ? c.dash : mdCell(x.problems),
        ]),
      ),
    );
  }

  section(c.lagging.title);
  if (r.lagging.length === 0 && r.laggingWithoutLeader.length === 0) out.push(c.none);
  const laggingUnits = (units: Review['laggingWithoutLeader']) =>
    units.map((u) => `- ${mdCell(named(unitName(n, u.unitId), u.unitId))}: ${u.reasons.map((r) => mdCell(describeReason(r, input.locale))).join('; ')}`);
  for (const l of r.lagging) {
    out.push(`### ${escapeMarkdown(c.lagging.leader)}: ${mdCell(named(leaderName(n, l.leaderId), l.leaderId))}`, '');
    out.push(...laggingUnits(l.units), '');
  }
  if (r.laggingWithoutLeader.length) {
    out.push(`### ${escapeMarkdown(c.lagging.withoutLeader)}`, '');
    out.push(...laggingUnits(r.laggingWithoutLeader), '');
  }
  if (out[out.length - 1] === '') out.pop();

  section(c.heatmap.title);
  out.push(`${c.heatmap.legend}: ${CODES.map((code) => `**${code}** ${escapeMarkdown(c.heatmap.codes[code])}`).join(' · ')} (${escapeMarkdown(c.heatmap.inWindow.markdown)})`, '');
  const inWindow = new Set(r.periods);
  const periodHead = (p: string) => (inWindow.has(p) ? `**${mdCell(p)}**` : mdCell(p));
  const rows: string[][] = [];
  for (const g of heatmapGroups(r, n, c)) {
    rows.push([`**${mdCell(g.title)}**`, ...r.allPeriods.map(() => '')]);
    for (const h of g.rows) rows.push([mdCell(named(taskTitle(n, h.taskId), h.taskId)), ...Array.from(h.cells)]);
  }
  out.push(...mdTable([mdCell(c.heatmap.task), ...r.allPeriods.map(periodHead)], rows, ['l', ...r.allPeriods.map(() => 'c' as const)]));

  out.push('', '---', '', `_${escapeMarkdown(c.footer)}_`, '');
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// HTML

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "PingFang SC", "Microsoft YaHei", sans-serif;
  margin: 0 auto; max-width: 1200px; padding: 24px; color: #1f2328; background: #fff; line-height: 1.45; }
h1 { font-size: 1.6em; margin: 0 0 .3em; }
h2 { font-size: 1.25em; margin: 1.6em 0 .5em; padding-bottom: .2em; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1.05em; margin: 1em 0 .3em; }
.meta { color: #57606a; margin: 0; }
.note { color: #57606a; font-weight: normal; font-size: .85em; }
.id { color: #57606a; font-size: .85em; }
table { border-collapse: collapse; margin: .4em 0; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; vertical-align: top; }
thead th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.pre { white-space: pre-wrap; }
.change { text-align: center; font-weight: bold; }
.change.up { color: #1a7f37; }
.change.down { color: #cf222e; }
.change.same { color: #57606a; }
.change.new { color: #0969da; font-weight: normal; font-style: italic; }
ul.units li { margin: 2px 0; }
.status-off-track { color: #cf222e; font-weight: bold; }
.status-at-risk { color: #9a6700; font-weight: bold; }
.heatmap-wrap { overflow: auto; max-height: 80vh; border: 1px solid #d0d7de; }
table.heatmap { margin: 0; border-collapse: separate; border-spacing: 0; }
table.heatmap th, table.heatmap td { border: 0; border-right: 1px solid #fff; border-bottom: 1px solid #fff; }
table.heatmap thead th { position: sticky; top: 0; z-index: 2; background: #f6f8fa; border-bottom: 1px solid #d0d7de;
  font-size: .8em; white-space: nowrap; }
table.heatmap thead th.in-window { text-decoration: underline; text-decoration-thickness: 2px; }
table.heatmap th.task { position: sticky; left: 0; z-index: 1; background: #fff; text-align: left; font-weight: normal;
  min-width: 14em; border-right: 1px solid #d0d7de; }
table.heatmap thead th.task { z-index: 3; background: #f6f8fa; font-weight: bold; }
table.heatmap tr.aspect th { position: sticky; left: 0; text-align: left; background: #eaeef2; font-weight: bold; }
td.cell { width: 2.6em; min-width: 2.6em; text-align: center; font-weight: bold; font-size: .85em;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.c-S { background: #8fd19e; color: #0b3d17; }
.c-L { background: #ffd866; color: #5c3d00; }
.c-M { background: #f28b82; color: #5a0b06; }
.c-P { background: #e6e8eb; color: #57606a; }
.c-U { background: repeating-linear-gradient(45deg, #fff, #fff 3px, #e6e8eb 3px, #e6e8eb 5px); color: #8c959f; }
.legend { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; margin: .4em 0 .8em; padding: 0; list-style: none; }
.legend li { display: flex; align-items: center; gap: 6px; }
.legend .swatch { display: inline-block; width: 2em; text-align: center; font-weight: bold; font-size: .85em;
  border: 1px solid #d0d7de; padding: 1px 0; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
p.explain { color: #57606a; max-width: 60em; }
tr.overdue td { background: #fff1f0; }
td.how { font-variant-numeric: tabular-nums; white-space: nowrap; }
footer { margin-top: 2em; color: #57606a; font-size: .85em; }
@media print { .heatmap-wrap { overflow: visible; max-height: none; } body { padding: 0; } }
`;

/** The review as a complete, self-contained HTML page: inline CSS, no scripts, no external resources. */
export function reviewHtml(input: ReviewDocumentInput): string {
  const { review: r, names: n, timezone } = input;
  const c = reviewCatalogue(input.locale);
  const e = escapeHtml;
  const title = `${heading(r, c)} — ${r.planTitle} (${r.planId})`;
  const idSpan = (name: string, id: string) => (name === id ? e(id) : `${e(name)} <span class="id">(${e(id)})</span>`);
  const unit = (id: string) => idSpan(unitName(n, id), id);
  const task = (id: string) => idSpan(taskTitle(n, id), id);
  const out: string[] = [];
  const section = (text: string, note?: string) =>
    out.push(`<h2>${e(text)}${note ? ` <span class="note">(${e(note)})</span>` : ''}</h2>`);

  out.push(
    '<!doctype html>',
    `<html lang="${e(c.lang)}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${e(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<header>',
    `<h1>${e(heading(r, c))} — ${e(r.planTitle)} <span class="id">(${e(r.planId)})</span></h1>`,
    `<p class="meta">${e(c.madeAt)}: <time datetime="${e(r.at)}">${e(localTime(r.at, timezone))}</time></p>`,
    ...(r.versions ? [`<p class="meta" data-versions>${e(c.versions)}: ${e(r.versions.map((v) => versionWords(v, timezone, c)).join('; '))}</p>`] : []),
    `<p class="meta">${e(c.quarters)}: ${e(r.periods.join(', ') || c.dash)}</p>`,
    '</header>',
  );

  section(c.ranking.title);
  if (r.ranking.length === 0) out.push(`<p>${e(c.ranking.noUnits)}</p>`);
  else {
    out.push('<table class="ranking">', `<thead><tr>${rankingColumns(r, c).map((h) => `<th scope="col">${e(h)}</th>`).join('')}</tr></thead>`, '<tbody>');
    for (const u of r.ranking) {
      const num = (x: number | string) => `<td class="num">${e(String(x))}</td>`;
      const cells = [
        num(u.rank),
        `<td>${unit(u.unitId)}</td>`,
        num(u.due),
        num(u.onTime),
        num(u.late),
        num(u.missing),
        num(u.daysLate),
        num(u.escalations),
        num(percent(u.onTimeRate)),
        ...extraCells(r, u, c).map(num),
      ];
      if (r.previousWindow !== null) {
        cells.push(`<td class="change ${rankChangeClass(u.rankChange)}">${e(rankChangeText(u.rankChange, c))}</td>`);
      }
      out.push(`<tr data-unit="${e(u.unitId)}">${cells.join('')}</tr>`);
    }
    out.push('</tbody>', '</table>');
  }

  if (r.weights) {
    section(c.scores.title);
    out.push(`<p class="explain">${e(c.scores.explain(weightsText(r, c)))}</p>`);
    if (r.ranking.length === 0) out.push(`<p>${e(c.ranking.noUnits)}</p>`);
    else {
      const parts = weightedParts(r);
      const head = [c.ranking.rank, c.scores.unit, c.ranking.score, ...parts.map((p) => c.scores.short[p]), c.scores.how];
      out.push('<table class="scores">', `<thead><tr>${head.map((h) => `<th scope="col">${e(h)}</th>`).join('')}</tr></thead>`, '<tbody>');
      for (const u of r.ranking) {
        const value = u.score?.score === null || u.score === undefined ? c.dash : score1(u.score.score);
        out.push(
          `<tr data-unit="${e(u.unitId)}"><td class="num">${u.rank}</td><td>${unit(u.unitId)}</td><td class="num score">${e(value)}</td>` +
            parts.map((p) => `<td class="num" data-part="${p}">${e(partText(u, p, c))}</td>`).join('') +
            `<td class="how">${e(scoreHow(r, u, c))}</td></tr>`,
        );
      }
      out.push('</tbody>', '</table>');
      if (r.ranking.some((u) => parts.some((p) => u.score?.parts[p].measured === null))) out.push(`<p class="note">${e(c.scores.averaged)}</p>`);
    }
  }

  if (r.findings) {
    const f = c.findings;
    section(f.title);
    out.push(`<p class="explain">${e(f.explain)}</p>`);
    if (r.findings.units.length === 0) out.push(`<p>${e(f.noFindings)}</p>`);
    else {
      const head = [f.unit, c.ranking.findingsDue, c.ranking.closedOnTime, c.ranking.closedLate, c.ranking.findingsOverdue, c.ranking.reopened, c.ranking.closureRate];
      out.push('<table class="findings">', `<thead><tr>${head.map((h) => `<th scope="col">${e(h)}</th>`).join('')}</tr></thead>`, '<tbody>');
      for (const u of r.findings.units) {
        const num = (x: number | string) => `<td class="num">${e(String(x))}</td>`;
        out.push(
          `<tr data-unit="${e(u.unitId)}"${u.overdue > 0 ? ' class="overdue"' : ''}><td>${unit(u.unitId)}</td>` +
            [u.due, u.closedOnTime, u.closedLate, u.overdue, u.reopened, rateText(u.closureRate, c)].map(num).join('') +
            '</tr>',
        );
      }
      out.push('</tbody>', '</table>');
    }
    const cov = r.findings.coverage;
    if (cov) {
      out.push(`<p class="coverage">${e(f.coverage(cov.covered, cov.targets, cov.coveredInWindow, cov.by))}</p>`);
      if (cov.uncovered.length) out.push(`<p class="uncovered">${e(f.uncovered)}: ${e(cov.uncovered.join(', '))}</p>`);
      if (cov.late) out.push(`<p class="coverage-late"><strong>${e(f.coverageLate(cov.by))}</strong></p>`);
    }
  }

  const unitList = (cls: string, ids: string[]) =>
    out.push(ids.length ? `<ul class="units ${cls}">${ids.map((id) => `<li>${unit(id)}</li>`).join('')}</ul>` : `<p>${e(c.none)}</p>`);
  section(c.advanced.title, c.advanced.note);
  unitList('advanced', r.advanced);
  section(c.backward.title, c.backward.note);
  unitList('backward', r.backward);

  section(c.behindPlan.title);
  if (r.behindPlan.length === 0) out.push(`<p>${e(c.none)}</p>`);
  else {
    const b = c.behindPlan;
    out.push(
      '<table class="behind-plan">',
      `<thead><tr>${[b.task, b.metric, b.expected, b.actual, b.total].map((h) => `<th scope="col">${e(h)}</th>`).join('')}</tr></thead>`,
      '<tbody>',
      ...r.behindPlan.map(
        (t) =>
          `<tr><td>${task(t.taskId)}</td><td>${e(t.metric)}</td><td class="num">${e(figure(t.expected))}</td>` +
          `<td class="num">${t.actual === null ? `<em>${e(b.noFigure)}</em>` : e(figure(t.actual))}</td><td class="num">${e(figure(t.total))}</td></tr>`,
      ),
      '</tbody>',
      '</table>',
    );
  }

  section(c.flagged.title);
  if (r.flagged.length === 0) out.push(`<p>${e(c.none)}</p>`);
  else {
    const f = c.flagged;
    out.push(
      '<table class="flagged">',
      `<thead><tr>${[f.task, f.unit, f.period, f.status, f.problems].map((h) => `<th scope="col">${e(h)}</th>`).join('')}</tr></thead>`,
      '<tbody>',
      ...r.flagged.map(
        (x) =>
          `<tr><td>${task(x.taskId)}</td><td>${unit(x.unitId)}</td><td>${e(x.period)}</td>` +
          `<td class="status-${e(x.status)}">${e(f.statuses[x.status] ?? x.status)}</td>` +
          `<td class="pre">${x.problems === null || x.problems === '' ? e(c.dash) : e(x.problems)}</td></tr>`,
      ),
      '</tbody>',
      '</table>',
    );
  }

  section(c.lagging.title);
  if (r.lagging.length === 0 && r.laggingWithoutLeader.length === 0) out.push(`<p>${e(c.none)}</p>`);
  const laggingUnits = (units: Review['laggingWithoutLeader']) =>
    out.push(
      `<ul class="units lagging">${units.map((u) => `<li>${unit(u.unitId)}: ${u.reasons.map((r) => e(describeReason(r, input.locale))).join('; ')}</li>`).join('')}</ul>`,
    );
  for (const l of r.lagging) {
    out.push(`<h3>${e(c.lagging.leader)}: ${idSpan(leaderName(n, l.leaderId), l.leaderId)}</h3>`);
    laggingUnits(l.units);
  }
  if (r.laggingWithoutLeader.length) {
    out.push(`<h3>${e(c.lagging.withoutLeader)}</h3>`);
    laggingUnits(r.laggingWithoutLeader);
  }

  section(c.heatmap.title);
  out.push(
    `<ul class="legend" aria-label="${e(c.heatmap.legend)}"><li><strong>${e(c.heatmap.legend)}:</strong></li>` +
      CODES.map((code) => `<li><span class="swatch c-${code}">${code}</span> ${e(c.heatmap.codes[code])}</li>`).join('') +
      `<li class="note">(${e(c.heatmap.inWindow.html)})</li></ul>`,
  );
  const inWindow = new Set(r.periods);
  out.push(
    '<div class="heatmap-wrap">',
    '<table class="heatmap">',
    `<thead><tr><th scope="col" class="task">${e(c.heatmap.task)}</th>` +
      r.allPeriods.map((p) => `<th scope="col"${inWindow.has(p) ? ' class="in-window"' : ''}>${e(p)}</th>`).join('') +
      '</tr></thead>',
  );
  for (const g of heatmapGroups(r, n, c)) {
    out.push('<tbody>', `<tr class="aspect"><th scope="colgroup" colspan="${r.allPeriods.length + 1}">${e(g.title)}</th></tr>`);
    for (const h of g.rows) {
      const cells = r.allPeriods.map((p, i) => {
        const code = (h.cells[i] ?? 'U') as CellCode;
        return `<td class="cell c-${code}" title="${e(`${p}: ${c.heatmap.codes[code]}`)}">${code}</td>`;
      });
      out.push(`<tr data-task="${e(h.taskId)}"><th scope="row" class="task">${task(h.taskId)}</th>${cells.join('')}</tr>`);
    }
    out.push('</tbody>');
  }
  out.push('</table>', '</div>');

  out.push(`<footer>${e(c.footer)}</footer>`, '</body>', '</html>', '');
  return out.join('\n');
}

/** The heatmap table and its legend. */
import { PERIOD_STATES } from '../../../workflows/contract/status.js';
import type { Catalogue } from '../catalogue/en.js';
import type { HeatCell, Heatmap, HeatRow } from '../heatmap.js';
import { html, type Html } from '../html.js';

const MARK = { accepted: '✓', returned: '↺' } as const;

function cellLabel(c: Catalogue, cell: HeatCell): Html {
  return html`${c.states[cell.state]}${cell.review ? html` <b title="${c.marks[cell.review]}">${MARK[cell.review]}</b>` : ''}`;
}

/** The table: a header row of quarters, a row per aspect, then a row per (task, unit); `link` makes cells links. */
export function heatmapTable(c: Catalogue, map: Heatmap, link?: (row: HeatRow, cell: HeatCell) => string): Html {
  const width = map.periods.length + 2;
  return html`<table class="heat">
<thead><tr><th>${c.common.task}</th><th>${c.common.unit}</th>${map.periods.map((p) => html`<th>${p}</th>`)}</tr></thead>
<tbody>
${map.groups.map(
  (g) => html`<tr class="aspect"><th colspan="${width}">${c.common.aspect}: ${g.aspectTitle}</th></tr>
${g.rows.map(
  (row) => html`<tr><td>${row.taskTitle}</td><td>${row.unitName}</td>${row.cells.map((cell) =>
    cell
      ? html`<td class="cell s-${cell.state}" data-task="${row.taskId}" data-unit="${row.unitId}" data-period="${cell.period}" data-state="${cell.state}"${cell.review ? html` data-review="${cell.review}"` : ''} title="${c.states[cell.state]}${cell.review ? ` · ${c.marks[cell.review]}` : ''}">${
          link ? html`<a href="${link(row, cell)}">${cellLabel(c, cell)}</a>` : html`<span>${cellLabel(c, cell)}</span>`
        }</td>`
      : html`<td class="cell"></td>`,
  )}</tr>`,
)}`,
)}
</tbody></table>`;
}

/** What the colours and marks mean. */
export function legend(c: Catalogue): Html {
  return html`<p class="legend"><strong>${c.hq.legend}:</strong> ${PERIOD_STATES.map((s) => html`<span class="s-${s}">${c.states[s]}</span>`)}
<span>${MARK.accepted} ${c.marks.accepted}</span><span>${MARK.returned} ${c.marks.returned}</span></p>`;
}

/** GET /cal/<token>.ics: a unit's subscription feed, the due day of each of its open reports in one plan. */
import { calendarWords, dueCalendar, type DueEvent } from '../../../activities/notices/calendar.js';
import { linkMaker } from '../../../security/links.js';
import { localDateOf } from '../../../workflows/calendar/index.js';
import type { Plan } from '../../../workflows/contract/plan.js';
import type { PlanStatus } from '../../../workflows/contract/status.js';
import { planStatus } from '../../plans.js';
import type { Ctx } from '../context.js';
import { awaitingRevision } from '../heatmap.js';
import { HttpError } from '../http.js';
import { catalogueFor } from '../i18n.js';
import { planIfKnown } from '../plan-data.js';
import type { Route } from '../router.js';
import { verified } from '../sessions.js';

const DAY_MS = 86_400_000;

/**
 * The events of a unit's open reports (not accepted, not closed: a returned one until its revision's due day, the
 * others until the quarter closes), each on its local due day; `url` makes each report's link. Pure.
 */
export function unitDueEvents(plan: Plan, status: PlanStatus, unitId: string, now: number, url?: (taskId: string, period: string) => string): DueEvent[] {
  const unitName = plan.units.find((u) => u.id === unitId)?.name ?? unitId;
  const out: DueEvent[] = [];
  for (const task of plan.tasks) {
    if (!task.units.includes(unitId)) continue;
    for (const p of status.tasks.find((t) => t.taskId === task.id)?.units.find((u) => u.unitId === unitId)?.periods ?? []) {
      if (p.state === 'untracked' || p.review === 'accepted') continue;
      const revising = awaitingRevision(p);
      if (!revising && Date.parse(p.dueAt) + plan.cadence.closeAfterDays * DAY_MS <= now) continue;
      // A deadline is the local midnight that ends the due day: the day is the one just before it.
      const deadline = revising ? p.revisionDueAt! : p.dueAt;
      out.push({
        planId: plan.id,
        planTitle: plan.title,
        taskId: task.id,
        taskTitle: task.title,
        unitId,
        unitName,
        period: p.period,
        dueDay: localDateOf(Date.parse(deadline) - 1, plan.timezone),
        // Returns and extensions each moved the day: the event's sequence counts both, as the notices' .ics do.
        sequence: p.round + (p.extensions ?? 0) + (p.dueMoves ?? 0),
        revision: p.round > 0,
        stamp: new Date(now).toISOString(),
        url: url?.(task.id, p.period),
        locale: plan.locale,
      });
    }
  }
  return out;
}

async function feed(ctx: Ctx, params: Record<string, string>): Promise<void> {
  const token = params.file.endsWith('.ics') ? params.file.slice(0, -4) : '';
  const payload = verified(ctx.portal.ring, token, 'unit-calendar');
  const plan = payload ? await planIfKnown(ctx.portal.db, payload.plan) : undefined;
  if (plan) ctx.c = catalogueFor(plan.locale);
  const unit = plan?.units.find((u) => u.id === payload?.unit);
  if (!payload || !plan || !unit) throw new HttpError(403, 'invalidLink');
  const now = Date.now();
  // Without a public address the Host header stands in: the server has already refused any host it does not serve.
  const base = ctx.portal.publicUrl ?? (ctx.req.headers.host ? `http://${ctx.req.headers.host}` : undefined);
  const links = base ? linkMaker(base, ctx.portal.ring) : undefined;
  const events = unitDueEvents(plan, await planStatus(ctx.portal.db, plan.id), unit.id, now, links && ((task, period) => links.report(plan.id, task, unit.id, period, now)));
  const body = dueCalendar(events, { locale: plan.locale, name: calendarWords(plan.locale).feed(unit.name, plan.title) });
  const res = ctx.res;
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/calendar; charset=utf-8');
  res.setHeader('Content-Disposition', `inline; filename="${plan.id}-${unit.id}.ics"`);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body); // Node sends no body to a HEAD
}

/** The calendar feed's route. */
export const calendarRoutes: Route<Ctx>[] = [{ method: 'GET', pattern: '/cal/:file', handle: feed }];

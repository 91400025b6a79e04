/**
 * Due days as iCalendar: the all-day event attached to request and returned notices, and a unit's subscription feed.
 * Pure and deterministic (no clock inside): the same report and instant give the same bytes.
 */
import ical, { ICalCalendarMethod, ICalEventTransparency } from 'ical-generator';
import type { LinkMaker } from '../../security/links.js';
import type { NoticeSpec } from '../../workflows/contract/notice.js';
import type { UnitPeriodRecord } from '../../workflows/contract/status.js';
import { sequenceOf } from '../../workflows/cycle/extension.js';
import type { MailAttachment } from '../mail/mailer.js';
import { en } from './catalogue/en.js';
import { zhCN } from './catalogue/zh-CN.js';

// The notices' catalogues, looked up here rather than through render.ts, which links to this module's feed.
const catalogueFor = (locale: string) => (locale === 'zh-CN' ? zhCN : en);

/** The words of the events and feeds, per locale (English for any other). */
const words = {
  en: {
    due: (task: string, period: string) => `Report due: ${task} (${period})`,
    revisionDue: (task: string, period: string) => `Revision due: ${task} (${period})`,
    feed: (unit: string, plan: string) => `Due days: ${unit} (${plan})`,
    subscribe: 'Due days in your calendar (subscribe)',
  },
  'zh-CN': {
    due: (task: string, period: string) => `报告截止：${task}（${period}）`,
    revisionDue: (task: string, period: string) => `修改稿截止：${task}（${period}）`,
    feed: (unit: string, plan: string) => `截止日：${unit}（${plan}）`,
    subscribe: '截止日日历（订阅）',
  },
} as const;

/** The calendar words of a locale. */
export function calendarWords(locale: string | undefined) {
  return locale === 'zh-CN' ? words['zh-CN'] : words.en;
}

/** One report's due day, as an event. */
export interface DueEvent {
  planId: string;
  planTitle: string;
  taskId: string;
  taskTitle: string;
  unitId: string;
  unitName: string;
  period: string;
  /** The local due day, YYYY-MM-DD (the revision's after a return). */
  dueDay: string;
  /** 0 for the quarter's due day; one more for each return and each extension (each moves the day). */
  sequence: number;
  /** Whether the day is a revision's (absent: when the sequence is above 0, as before extensions). */
  revision?: boolean;
  /** DTSTAMP: the instant this version of the event was issued (ISO). */
  stamp: string;
  /** The report form's link. */
  url?: string;
  locale: string;
}

/** The UID of a report's event: the same for every notice and feed of that (plan, task, unit, quarter). */
export function reportEventUid(planId: string, taskId: string, unitId: string, period: string): string {
  // Ids never hold "/", so the four parts cannot run into each other.
  return `${planId}/${taskId}/${unitId}/${period}@review-cycles`;
}

const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/** An iCalendar document (METHOD:PUBLISH) of all-day events on the reports' due days. */
export function dueCalendar(events: readonly DueEvent[], o: { locale: string; name: string }): string {
  const cal = ical({ prodId: { company: 'review-cycles', product: 'review-cycles', language: o.locale === 'zh-CN' ? 'ZH' : 'EN' }, method: ICalCalendarMethod.PUBLISH, name: o.name });
  for (const e of events) {
    const c = catalogueFor(e.locale);
    const w = calendarWords(e.locale);
    const period = c.format.period(e.period);
    const description = [
      `${c.facts.plan}${c.sep}${e.planTitle} (${e.planId})`,
      `${c.facts.task}${c.sep}${e.taskTitle} (${e.taskId})`,
      `${c.facts.unit}${c.sep}${e.unitName} (${e.unitId})`,
      `${c.facts.period}${c.sep}${c.format.periodFact(e.period)}`,
      ...(e.url ? [`${c.links.report}${c.sep}${e.url}`] : []),
    ].join('\n');
    cal.createEvent({
      id: reportEventUid(e.planId, e.taskId, e.unitId, e.period),
      sequence: e.sequence,
      stamp: new Date(e.stamp),
      // VALUE=DATE days are floating: the plan's local day shows as that day in every viewer's zone.
      start: e.dueDay,
      end: nextDay(e.dueDay),
      allDay: true,
      transparency: ICalEventTransparency.TRANSPARENT,
      summary: (e.revision ?? e.sequence > 0) ? w.revisionDue(e.taskTitle, period) : w.due(e.taskTitle, period),
      description,
      url: e.url ?? null,
    });
  }
  return cal.toString();
}

/** The notices that set a due day: a request (the quarter's), a `returned` notice (the revision's), an `extended` one (the new day). */
export function setsDueDay(n: NoticeSpec): boolean {
  return n.key.kind === 'request' || n.key.kind === 'returned' || n.key.kind === 'extended';
}

/**
 * The event of a notice that sets a due day. Its sequence grows whenever the day moves (each return, extension and
 * amendment that moved it): the workflow says it once a report was extended; before that it is the return's round (0
 * for the request). With the report's record as the workflow handed it over with the batch, the moves that
 * amendments made (`dueMoves`) count too, as in the unit's feed, so that no later notice reuses a sequence already out.
 */
export function noticeEvent(n: NoticeSpec, links?: LinkMaker, record?: UnitPeriodRecord): DueEvent {
  const k = n.key;
  const said = n.sequence ?? (k.kind === 'returned' ? (k.round ?? k.number) : 0);
  return {
    planId: k.planId,
    planTitle: n.planTitle,
    taskId: k.taskId,
    taskTitle: n.taskTitle,
    unitId: k.unitId,
    unitName: n.unitName,
    period: k.period,
    dueDay: n.dueDay,
    sequence: record ? Math.max(said, sequenceOf(record)) : said,
    revision: k.kind === 'returned' || (k.round ?? 0) > 0 || n.revision === true,
    stamp: n.at,
    url: links?.report(k.planId, k.taskId, k.unitId, k.period, Date.parse(n.at)),
    locale: n.locale,
  };
}

/** The .ics a notice carries (request, returned and extended notices only; none for the others); `record` as in noticeEvent. */
export function noticeAttachments(n: NoticeSpec, links?: LinkMaker, record?: UnitPeriodRecord): MailAttachment[] {
  if (!setsDueDay(n)) return [];
  const content = dueCalendar([noticeEvent(n, links, record)], { locale: n.locale, name: n.planTitle });
  const k = n.key;
  return [{ filename: `${k.taskId}-${k.period}${k.kind === 'returned' ? `-r${k.round ?? k.number}` : k.kind === 'extended' ? `-e${k.number}` : ''}.ics`, content, contentType: 'text/calendar; charset=utf-8; method=PUBLISH' }];
}

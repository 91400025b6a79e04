/** The portal's language: the catalogue of a plan's locale, and dates in the plan's language and time zone. */
import { en, type Catalogue } from './catalogue/en.js';
import { zhCN } from './catalogue/zh-CN.js';
import type { PlanIssue } from '../../workflows/contract/plan-check.js';
import type { Refusal } from '../../workflows/contract/refusals.js';

const catalogues: Record<string, Catalogue> = { en, 'zh-CN': zhCN };

/** The catalogue of `locale`, English when the locale is unknown or not given. */
export function catalogueFor(locale: string | undefined): Catalogue {
  return (locale && catalogues[locale]) || en;
}

const asDate = (at: string | number) => new Date(typeof at === 'number' ? at : Date.parse(at));

/** A calendar day in the catalogue's language, e.g. "Friday, March 5, 2027" or "2027年3月5日星期五". */
export function formatDay(c: Catalogue, at: string | number, timeZone: string): string {
  return new Intl.DateTimeFormat(c.lang, { timeZone, dateStyle: 'full' }).format(asDate(at));
}

/** A local date and time with the zone's name, e.g. "Mar 5, 2027, 09:00 UTC". */
export function formatTime(c: Catalogue, at: string | number, timeZone: string): string {
  const options: Intl.DateTimeFormatOptions = { timeZone, year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' };
  return new Intl.DateTimeFormat(c.lang, options).format(asDate(at));
}

/** The due day of a deadline: deadlines are the local midnight that ends the day, so the day is the instant before. */
export function formatDueDay(c: Catalogue, deadline: string, timeZone: string): string {
  return formatDay(c, Date.parse(deadline) - 1, timeZone);
}

/** A refusal in the catalogue's words, its instants in `timeZone` (the plan's). */
export function refusalSentence(c: Catalogue, r: Refusal, timeZone = 'UTC'): string {
  const words = c.refusals[r.code] ?? en.refusals[r.code];
  if (!words) return `${r.field}: ${r.code}`;
  return words(r.params ?? {}, { time: (at) => (at === '' || Number.isNaN(asDate(at).getTime()) ? String(at) : formatTime(c, at, timeZone)) });
}

/**
 * A problem of a plan file in the catalogue's words, by its code and values; its English sentence (what `plan
 * validate` prints) in English, or when the catalogue has no words for it. Its path is the caller's to show.
 */
export function planIssueSentence(c: Catalogue, issue: PlanIssue): string {
  const words = issue.code ? c.planIssues[issue.code] : undefined;
  return words ? words(issue.params ?? {}) : issue.message;
}

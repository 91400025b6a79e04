/** Parses iCalendar text back with ical.js (an independent parser), into the facts the tests check. */
import ICAL from 'ical.js';

/** One VEVENT as parsed. */
export interface ParsedEvent {
  uid: string;
  sequence: number;
  /** DTSTART as YYYY-MM-DD, and whether it is a DATE (all-day) value. */
  start: string;
  startIsDate: boolean;
  end: string;
  /** DTSTAMP as an ISO instant. */
  stamp: string;
  summary: string;
  description: string;
  url: string | null;
}

/** The calendar's METHOD and NAME and its events. */
export function parseIcs(text: string): { method: string | null; name: string | null; events: ParsedEvent[] } {
  const cal = new ICAL.Component(ICAL.parse(text));
  const day = (t: ICAL.Time) => `${String(t.year).padStart(4, '0')}-${String(t.month).padStart(2, '0')}-${String(t.day).padStart(2, '0')}`;
  const events = cal.getAllSubcomponents('vevent').map((v) => {
    const e = new ICAL.Event(v);
    return {
      uid: e.uid,
      sequence: e.sequence,
      start: day(e.startDate),
      startIsDate: e.startDate.isDate && v.getFirstProperty('dtstart')!.type === 'date',
      end: day(e.endDate),
      stamp: (v.getFirstPropertyValue('dtstamp') as ICAL.Time).toJSDate().toISOString(),
      summary: e.summary,
      description: e.description,
      url: (v.getFirstPropertyValue('url') as string | null) ?? null,
    };
  });
  return { method: (cal.getFirstPropertyValue('method') as string | null) ?? null, name: (cal.getFirstPropertyValue('name') as string | null) ?? (cal.getFirstPropertyValue('x-wr-calname') as string | null) ?? null, events };
}

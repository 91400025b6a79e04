/**
 * The plan `npm start` runs when REVIEW_CYCLES_PLAN is not set: the demo plan (examples/demo-plan.yaml: its units,
 * leaders, aspects, tasks and cadence shape), moved around today so that something happens at once.
 *
 * - id `demo-live-<YYYY>`, the year it was generated in; start = the first day of the current quarter; end = the last
 *   day of the year after next (the plan covers today and two more years).
 * - requestOffsetDays = -(length of the current quarter in days): each quarter's request goes out about when the
 *   quarter starts (the current quarter's on the day before it started). So the current quarter's request moment
 *   has always passed when the plan starts, and the workflow sends it at once. The offset depends only on the
 *   quarter, not on the day, so the plan generated anywhere in a quarter is the same.
 * - dueOffsetDays 5 (as the demo): the current quarter's due day is 5 days after it ends, always still ahead, so the
 *   quarter is tracked, with its reminders and escalations to come.
 * - calendar: the demo's workweek, without its holidays (they are for 2027 only). A calendar only ever moves a
 *   request back to the working day before (a request comes before its due day), never into the future.
 *
 * The plan is written once to `<dataDir>/live-plan.yaml` and read from there on every later start, so a restart
 * resumes the same plan (same id, "already running"). A new one is generated only when the file is missing or its
 * plan has ended.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument, stringify } from 'yaml';
import { compareDates, dayDiff, localDateOf, periodOfDate, quarterBounds } from '../workflows/calendar/index.js';
import { loadPlanFile } from './plan-file.js';

export const DEMO_PLAN_FILE = fileURLToPath(new URL('../examples/demo-plan.yaml', import.meta.url));
export const LIVE_PLAN_FILE_NAME = 'live-plan.yaml';

/** The live demo plan for the instant `now`, as written in a plan file. */
export function livePlan(now = Date.now(), demoFile = DEMO_PLAN_FILE): Record<string, unknown> {
  const demo = parseDocument(readFileSync(demoFile, 'utf8'), { version: '1.2', schema: 'core' }).toJS() as Record<string, unknown>;
  const timezone = demo.timezone as string;
  const today = localDateOf(now, timezone);
  const { first, last } = quarterBounds(periodOfDate(today));
  const year = Number(today.slice(0, 4));
  const quarterDays = dayDiff(first, last) + 1;
  const cadence = demo.cadence as Record<string, unknown>;
  const calendar = demo.calendar as Record<string, unknown> | undefined;
  return {
    ...demo,
    id: `demo-live-${year}`,
    title: `${(demo.title as string).replace(/\s*\(demo\)$/, '')} (live demo)`,
    start: first,
    end: `${year + 2}-12-31`,
    cadence: { ...cadence, requestOffsetDays: -quarterDays, dueOffsetDays: 5 },
    ...(calendar ? { calendar: { workweek: calendar.workweek } } : {}),
  };
}

const HEADER = (now: number) =>
  [
    `# The live demo plan of "npm start", generated ${new Date(now).toISOString()} from examples/demo-plan.yaml`,
    '# around that day (see client/live-plan.ts). Kept here so that every later start resumes the same plan; delete',
    '# this file (and the data folder, for a clean slate) to have a new one generated.',
    '',
  ].join('\n');

/**
 * The live demo plan's file in `dataDir`: the one generated before while its plan still runs, else a new one. A file
 * that cannot be read as a plan is left alone (loading it reports its problems).
 */
export async function liveDemoPlanFile(dataDir: string, now = Date.now()): Promise<string> {
  const file = join(dataDir, LIVE_PLAN_FILE_NAME);
  if (existsSync(file)) {
    const loaded = await loadPlanFile(file);
    if (!loaded.ok) return file;
    if (compareDates(loaded.plan.end, localDateOf(now, loaded.plan.timezone)) >= 0) return file;
  }
  mkdirSync(dataDir, { recursive: true });
  const tmp = join(dataDir, `.${LIVE_PLAN_FILE_NAME}.${process.pid}.tmp`);
  // Written as YAML 1.1, which quotes `09:00` and the dates: every YAML reader sees strings.
  writeFileSync(tmp, HEADER(now) + stringify(livePlan(now), { lineWidth: 0, version: '1.1' }));
  renameSync(tmp, file);
  return file;
}

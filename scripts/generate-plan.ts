/** Generates a large plan (and a behaviour mix) for benchmarks and scale tests. */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

export interface GeneratedPlanOptions {
  id?: string;
  tasks: number;
  unitsPerTask: number;
  units?: number;
  years: number;
  startYear?: number;
  timezone?: string;
}

/** A plan with `tasks` tasks of `unitsPerTask` units each, over `years` calendar years. */
export function generatePlan(o: GeneratedPlanOptions): Record<string, unknown> {
  const startYear = o.startYear ?? 2027;
  const unitCount = o.units ?? Math.max(o.unitsPerTask, 30);
  const leaders = Array.from({ length: 5 }, (_, i) => ({ id: `leader-${i + 1}`, name: `Leader ${i + 1}`, email: `leader-${i + 1}@example.org` }));
  const units = Array.from({ length: unitCount }, (_, i) => ({
    id: `unit-${i + 1}`,
    name: `Unit ${i + 1}`,
    email: `unit-${i + 1}@example.org`,
    leader: leaders[i % leaders.length].id,
  }));
  const aspects = Array.from({ length: 10 }, (_, i) => ({ id: `aspect-${i + 1}`, title: `Aspect ${i + 1}` }));
  const tasks = Array.from({ length: o.tasks }, (_, i) => ({
    id: `task-${i + 1}`,
    aspect: aspects[i % aspects.length].id,
    title: `Task ${i + 1}`,
    units: Array.from({ length: o.unitsPerTask }, (_, k) => units[(i * o.unitsPerTask + k) % unitCount].id).filter((v, k, a) => a.indexOf(v) === k),
  }));
  return {
    id: o.id ?? `generated-${o.tasks}x${o.unitsPerTask}x${o.years}`,
    title: `Generated plan: ${o.tasks} tasks x ${o.unitsPerTask} units x ${o.years} years`,
    timezone: o.timezone ?? 'Asia/Shanghai',
    start: `${startYear}-01-01`,
    end: `${startYear + o.years - 1}-12-31`,
    headquarters: { name: 'Headquarters', email: 'hq@example.org' },
    leaders,
    units,
    aspects,
    tasks,
    cadence: {
      sendTime: '09:00',
      requestOffsetDays: -10,
      dueOffsetDays: 5,
      reminderDays: [-3, -1, 0],
      escalation: [
        { afterDaysOverdue: 3, to: 'unitLeader' },
        { afterDaysOverdue: 10, to: 'headquarters' },
      ],
    },
    calendar: { workweek: ['mon', 'tue', 'wed', 'thu', 'fri'], holidays: [`${startYear}-10-01`], extraWorkdays: [] },
  };
}

/** A fixed mix: most units answer early, some late, some never. */
export const BEHAVIOUR_MIX = {
  default: { submit: { daysAfterRequest: 3 }, status: 'on-track' },
  rules: [
    { unit: 'unit-3', submit: { daysAfterDue: 2 }, status: 'at-risk' },
    { unit: 'unit-7', submit: 'never' },
    { unit: 'unit-11', submit: { daysAfterDue: 12 }, status: 'off-track' },
    { unit: 'unit-19', submit: { daysAfterDue: 0 } },
  ],
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const [tasks = '200', unitsPerTask = '3', years = '3', out = 'generated-plan.yaml'] = process.argv.slice(2);
  writeFileSync(out, stringify(generatePlan({ tasks: +tasks, unitsPerTask: +unitsPerTask, years: +years })));
  console.log(`wrote ${out}`);
}

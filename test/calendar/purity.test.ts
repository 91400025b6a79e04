import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as calendar from '../../workflows/calendar/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const srcDir = join(root, 'workflows', 'calendar');
const sources = readdirSync(srcDir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ file: f, code: stripComments(readFileSync(join(srcDir, f), 'utf8')) }));

/** Source without comments, so prose that mentions e.g. `Date` does not trip the checks. */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:\\])\/\/.*$/gm, '$1');
}

describe('calendar sources are sandbox-safe and host-zone independent', () => {
  it('has the five modules re-exported by index.ts', () => {
    expect(sources.map((s) => s.file).sort()).toEqual(['days.ts', 'index.ts', 'periods.ts', 'schedule.ts', 'workdays.ts', 'zone.ts']);
  });

  const forbidden: [string, RegExp][] = [
    ['Date objects (host zone / clock)', /\bnew\s+Date\b|\bDate\s*\(|\bDate\.(now|parse)\b/],
    ['local-time Date getters/setters', /\.(get|set)(FullYear|Month|Date|Day|Hours|Minutes|Seconds|Milliseconds|TimezoneOffset|Time|Year)\s*\(/],
    ['toLocale* (host locale/zone)', /\.toLocale\w*\s*\(/],
    ['randomness', /\bMath\.random\b|\bcrypto\b/],
    ['Node globals', /\bprocess\b|\brequire\s*\(|\bBuffer\b|\b__dirname\b/],
    ['timers', /\bset(Timeout|Interval|Immediate)\s*\(/],
  ];
  for (const [what, re] of forbidden) {
    it(`uses no ${what}`, () => {
      for (const { file, code } of sources) expect(code, file).not.toMatch(re);
    });
  }

  it('always gives Intl.DateTimeFormat an explicit timeZone', () => {
    let seen = 0;
    for (const { file, code } of sources) {
      for (const m of code.matchAll(/Intl\.DateTimeFormat\s*\(/g)) {
        seen++;
        const call = code.slice(m.index, code.indexOf(');', m.index));
        expect(call, file).toMatch(/\btimeZone\s*:/);
      }
      // No other Intl service (e.g. a default-zone formatter) sneaks in.
      for (const m of code.matchAll(/\bIntl\.(\w+)/g)) expect(m[1], file).toBe('DateTimeFormat');
    }
    expect(seen).toBeGreaterThan(0);
  });

  it('imports only sibling modules, plus types from the plan contract (no zod at run time)', () => {
    for (const { file, code } of sources) {
      for (const m of code.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?from\s+'([^']+)'/gm)) {
        const [, kind, typeOnly, spec] = m;
        if (spec === '../contract/plan.js') expect(typeOnly && kind === 'import', `${file}: ${m[0]}`).toBeTruthy();
        else expect(spec, file).toMatch(/^\.\/[a-z]+\.js$/);
      }
      expect(code, file).not.toMatch(/\bimport\s*\(/);
    }
  });

  it('exports the agreed API', () => {
    for (const name of [
      'isValidLocalDate',
      'addDays',
      'dayDiff',
      'compareDates',
      'weekdayOf',
      'isValidTimeZone',
      'localDateOf',
      'localDateTimeOf',
      'zonedInstant',
      'startOfLocalDay',
      'isWorkingDay',
      'nextWorkingDay',
      'previousWorkingDay',
      'periodsOf',
      'periodOfDate',
      'isPeriodId',
      'periodSchedule',
      'planSchedule',
      'daysLate',
    ]) {
      expect(typeof (calendar as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it('gives identical results whatever the host TZ is', () => {
    const tsx = join(root, 'node_modules', '.bin', 'tsx');
    const probe = join(here, 'fixtures', 'host-zone-probe.ts');
    const outputs = ['UTC', 'America/Los_Angeles', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham'].map((tz) => {
      const res = spawnSync(tsx, [probe], { cwd: root, env: { ...process.env, TZ: tz }, encoding: 'utf8', timeout: 60_000 });
      expect(res.status, `${tz}: ${res.stderr}`).toBe(0);
      return res.stdout;
    });
    expect(outputs[0].length).toBeGreaterThan(1000);
    for (const o of outputs.slice(1)) expect(o).toBe(outputs[0]);
  });
});

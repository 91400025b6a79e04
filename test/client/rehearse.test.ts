/** `review-cycles rehearse`: behaviour rules, bad behaviour files, and the same output whatever the host's zone. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { answerFor, loadBehaviourFile, plannedSubmissions, type Behaviour } from '../../client/rehearse/behaviour.js';
import { loadPlanFile } from '../../client/plan-file.js';

const run = promisify(execFile);
const cli = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, ['bin/review-cycles.js', ...args], { env: { ...process.env, ...env }, timeout: 120_000 });

const demo = async () => {
  const loaded = await loadPlanFile('examples/demo-plan.yaml');
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  return loaded.plan;
};

describe('behaviour rules', () => {
  const b: Behaviour = {
    default: { submit: { daysAfterRequest: 2 }, status: 'on-track', progress: 5 },
    rules: [
      { unit: 'agriculture', submit: 'never' },
      { unit: 'industry', task: 'grain-security', period: '2027-Q2', submit: { daysAfterDue: 4 }, status: 'off-track' },
      { unit: 'agriculture', period: '2027-Q3', status: 'at-risk' },
    ],
  };
  test('the last rule whose named fields all match wins; what it leaves out comes from default', () => {
    expect(answerFor(b, 'grain-security', 'industry', '2027-Q2')).toEqual({ submit: { daysAfterDue: 4 }, status: 'off-track', progress: 5 });
    expect(answerFor(b, 'grain-security', 'industry', '2027-Q1')).toEqual({ submit: { daysAfterRequest: 2 }, status: 'on-track', progress: 5 });
    expect(answerFor(b, 'grain-security', 'agriculture', '2027-Q1').submit).toBe('never');
    // The Q3 rule names no submit: it takes default's, not the earlier agriculture rule's.
    expect(answerFor(b, 'grain-security', 'agriculture', '2027-Q3')).toEqual({ submit: { daysAfterRequest: 2 }, status: 'at-risk', progress: 5 });
  });

  test('answers fall at 12:00 local on the moved request day + n or due day + n', async () => {
    const plan = await demo();
    const subs = plannedSubmissions(plan, b);
    const at = (task: string, unit: string, period: string) => subs.find((s) => s.taskId === task && s.unitId === unit && s.period === period)?.at;
    // 2027-Q1: request moved back to Fri 03-19, so + 2 = 03-21; Q2 due Mon 07-05 + 4 = 07-09.
    expect(new Date(at('industrial-upgrade', 'industry', '2027-Q1')!).toISOString()).toBe('2027-03-21T04:00:00.000Z');
    expect(new Date(at('grain-security', 'industry', '2027-Q2')!).toISOString()).toBe('2027-07-09T04:00:00.000Z');
    expect(at('grain-security', 'agriculture', '2027-Q1')).toBeUndefined();
  });

  test('a bad behaviour file is refused with located lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rc-beh-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'default: { submit: { daysAfterRequest: -1 } }\nrules:\n  - { unit: nobody }\n  - { task: t, submit: sometimes }\n');
    const r = await loadBehaviourFile(file, await demo());
    expect(r.ok).toBe(false);
    const errors = (r as { errors: string[] }).errors;
    expect(errors).toContain(`${file}: default.submit.daysAfterRequest: must be 0 or more`);
    expect(errors.some((e) => e.startsWith(`${file}: rules[1].submit:`))).toBe(true);
    writeFileSync(file, 'rules:\n  - { unit: nobody, period: 2031-Q1 }\n');
    const r2 = await loadBehaviourFile(file, await demo());
    expect((r2 as { errors: string[] }).errors).toEqual([
      `${file}: rules[0].unit: unknown unit "nobody" in plan demo-2027`,
      `${file}: rules[0].period: 2031-Q1 is not a quarter of plan demo-2027`,
    ]);
  });
});

describe('the rehearse command', () => {
  test('writes the same notices and status whatever the host time zone, following the rules of time', async () => {
    const outs: string[] = [];
    for (const tz of ['Pacific/Kiritimati', 'America/St_Johns']) {
      const out = mkdtempSync(join(tmpdir(), 'rc-rehearse-'));
      const { stdout } = await cli(['rehearse', 'examples/demo-plan.yaml', '--behaviour', 'test/fixtures/demo-behaviour.yaml', '--out', out], { TZ: tz });
      expect(stdout.trim()).toBe(
        'rehearsal demo-2027: 42 notices (16 requests, 11 reminders, 9 escalations, 1 review, 2 summaries, 3 lagging); reports: 11 on time, 1 late, 4 missing',
      );
      outs.push(out);
    }
    const read = (dir: string, f: string) => readFileSync(join(dir, f), 'utf8');
    expect(read(outs[0], 'notices.jsonl')).toBe(read(outs[1], 'notices.jsonl'));
    // Reports arrive when the server's clock reaches 12:00, give or take the milliseconds the update takes.
    const toMinute = (text: string) => text.replace(/("submittedAt": "[^"]{16}):\d\d\.\d{3}Z"/g, '$1"');
    expect(toMinute(read(outs[0], 'status.json'))).toBe(toMinute(read(outs[1], 'status.json')));
    const notices = read(outs[0], 'notices.jsonl').trim().split('\n').map((l) => JSON.parse(l));
    // 2027-Q1 by hand: L = 03-31 (Wed); request 03-21 (Sun) -> back to Fri 03-19; due 04-05 (holiday) -> Tue 04-06;
    // reminders 04-03 (Sat) -> Fri 04-02, 04-05 -> 04-02 (once), 04-06; escalations Fri 04-09, Fri 04-16.
    const q1 = notices.filter((n) => n.period === '2027-Q1').map((n) => `${n.at} ${n.kind}${n.level ?? ''} ${n.taskId}/${n.unitId} to=${n.to} cc=${n.cc}`);
    expect(q1).toEqual([
      '2027-03-19T01:00:00.000Z request industrial-upgrade/industry to=industry@example.org cc=',
      '2027-03-19T01:00:00.000Z request grain-security/agriculture to=agri@example.org,agri-office@example.org cc=',
      '2027-03-19T01:00:00.000Z request grain-security/industry to=industry@example.org cc=',
      '2027-03-19T01:00:00.000Z request inspection-coverage/inspection to=inspection@example.org cc=',
      '2027-04-02T01:00:00.000Z reminder grain-security/agriculture to=agri@example.org,agri-office@example.org cc=',
      '2027-04-06T01:00:00.000Z reminder grain-security/agriculture to=agri@example.org,agri-office@example.org cc=',
      '2027-04-09T01:00:00.000Z escalation1 grain-security/agriculture to=zhang.min@example.org cc=agri@example.org,agri-office@example.org',
      '2027-04-16T01:00:00.000Z escalation2 grain-security/agriculture to=hq@example.org cc=zhang.min@example.org',
    ]);
    const status = JSON.parse(read(outs[0], 'status.json'));
    const q2 = status.tasks.find((t: { taskId: string }) => t.taskId === 'grain-security').units.find((u: { unitId: string }) => u.unitId === 'industry').periods[1];
    // Q2: due Mon 07-05; answered 12:00 on 07-09: 4 days late, after the first escalation (Thu 07-08).
    expect(q2).toMatchObject({ period: '2027-Q2', state: 'late', daysLate: 4, escalations: 1 });
    expect(q2.submittedAt).toMatch(/^2027-07-09T04:00:0/);
  });

  test('a bad plan or behaviour file stops it with located errors and exit code 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rc-rehearse-bad-'));
    const beh = join(dir, 'b.yaml');
    writeFileSync(beh, 'rules: [ { unit: ghost } ]\n');
    const err = await cli(['rehearse', 'examples/demo-plan.yaml', '--behaviour', beh, '--out', join(dir, 'out')]).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toContain(`${beh}: rules[0].unit: unknown unit "ghost" in plan demo-2027`);
  });
});

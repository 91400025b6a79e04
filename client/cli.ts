/** The `review-cycles` command line. */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ConfigError, loadWorkerConfig } from '../worker/config.js';
import { REPORT_STATUSES } from '../workflows/contract/report.js';
import type { PlanStatus } from '../workflows/contract/status.js';
import { connectClient } from './connection.js';
import { loadPlanFile } from './plan-file.js';
import { writeLedger } from './ledger.js';
import { shownPlan } from './plans.js';
import { acceptReport, awaitRecordedPlan, extendReport, awaitRecordedRevision, planReviews, planStatus, recordedPlan, reportRevisions, returnReport, runningPlan, startPlan, submitReport, UserError, type Engine } from './plans.js';
import { ledgerDetails } from '../store/records.js';
import { connectStore, EmbeddedPostgresError, planHistory, StoreError, storedVersion, type ConnectedStore } from '../store/index.js';
import { syncPlan } from './live.js';
import type { DecisionReceipt } from '../workflows/contract/report.js';
import { loadBehaviourFile, SILENT } from './rehearse/behaviour.js';
import { MissingBinaryError } from './temporal-binaries.js';
import { actOnFinding, extendFinding, findingLife, findingsOf } from './findings.js';
import { FINDING_STATES, type FindingStatus } from '../workflows/contract/finding.js';

const out = (line: string) => process.stdout.write(`${line}\n`);
const json = (value: unknown) => out(JSON.stringify(value, null, 2));

async function withClient<T>(fn: (client: Awaited<ReturnType<typeof connectClient>>['client']) => Promise<T>): Promise<T> {
  const c = await connectClient();
  try {
    return await fn(c.client);
  } finally {
    await c.close();
  }
}

/** Reads need the database only: they work while no worker (or no Temporal server) runs. */
async function withDb<T>(fn: (db: ConnectedStore['pool']) => Promise<T>): Promise<T> {
  const store = await connectStore({ ...loadWorkerConfig(), max: 4 });
  try {
    return await fn(store.pool);
  } finally {
    await store.close();
  }
}

/** Writes need Temporal (the workflows decide) and the database (where the plan's layout is). */
async function withEngine<T>(fn: (engine: Engine) => Promise<T>): Promise<T> {
  return withDb((db) => withClient((client) => fn({ client, db })));
}

async function planOrFail(file: string) {
  const loaded = await loadPlanFile(file);
  if (!loaded.ok) throw new UserError(loaded.errors.join('\n'), 'EPLAN');
  return loaded.plan;
}

const number = (value: string): number => {
  const n = Number(value);
  // Decimal only: Number() would also take "0x10", "0b1" and "" (as 0).
  if (!/^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(value) || !Number.isFinite(n)) throw new InvalidArgumentError(`must be a number, got "${value}"`);
  return n;
};

async function readSummary(file: string): Promise<string> {
  return readText(file, '--summary-file');
}

async function readText(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`${flag}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'EUSER');
  }
}

const oneLine = (text: string) => (text.length > 100 ? `${text.slice(0, 97)}...` : text).replace(/\s+/g, ' ');

function findingLine(f: FindingStatus): string {
  const closed = f.closedAt ? `, closed ${f.closedAt}${f.closedOnTime ? ' on time' : ` ${f.daysLate} day${f.daysLate === 1 ? '' : 's'} late`}` : '';
  return `${f.findingId.padEnd(16)} ${f.state.padEnd(9)} unit ${f.unitId}, round ${f.round}${f.deadlineDay ? `, due ${f.deadlineDay}` : ''}, ${f.claims} claim${f.claims === 1 ? '' : 's'}${f.reopened ? `, reopened ${f.reopened}` : ''}${closed}`;
}

function statusTable(status: PlanStatus): string[] {
  const lines = [`plan ${status.planId}`];
  for (const t of status.tasks) {
    lines.push(`  task ${t.taskId}`);
    for (const u of t.units) {
      const cells = u.periods.map((p) => {
        const waiting = p.retrying?.length ? ` (not delivered yet, retrying since ${p.retrying[0].since})` : '';
        return `${p.period} ${p.state}${p.daysLate ? ` +${p.daysLate}d` : ''}${p.deliveryIssues.length ? ' (mail problem)' : ''}${waiting}`;
      });
      lines.push(`    ${u.unitId.padEnd(16)} ${cells.join(' | ')}`);
    }
  }
  if (status.findings?.length) {
    lines.push('  findings');
    for (const f of status.findings) lines.push(`    ${findingLine(f)}`);
  }
  if (status.retrying?.length) {
    const first = status.retrying[0];
    lines.push(`mail: ${status.retrying.length} notice(s) not delivered yet, retrying since ${first.since}: ${first.reason}`);
  }
  return lines;
}

/** Builds the program; `run` parses argv and maps errors to messages and exit codes. */
export function program(): Command {
  const cli = new Command('review-cycles').description('Durable review cycles for a multi-year action plan').exitOverride();
  const plan = cli.command('plan').description('validate, start and inspect plans');

  plan
    .command('validate <file>')
    .description('check a plan file; every problem is printed as <file>: <path>: <problem>')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, o: { json?: boolean }) => {
      const loaded = await loadPlanFile(file);
      if (o.json) json(loaded.ok ? { ok: true, planId: loaded.plan.id, tasks: loaded.plan.tasks.length } : { ok: false, errors: loaded.errors });
      if (!loaded.ok) {
        if (!o.json) for (const e of loaded.errors) process.stderr.write(`${e}\n`);
        process.exitCode = 1;
        return;
      }
      if (!o.json) out(`${file}: valid plan ${loaded.plan.id} (${loaded.plan.tasks.length} tasks, ${loaded.plan.units.length} units, ${loaded.plan.start} to ${loaded.plan.end})`);
    });

  plan
    .command('init [file]')
    .description('write a commented starter plan (never over an existing file)')
    .action(async (file = 'plan.yaml') => {
      const { writeStarterPlan } = await import('./plan-starter.js');
      await writeStarterPlan(file);
      out(`wrote a starter plan to ${file}: edit it, then check it with review-cycles plan validate ${file}`);
    });

  plan
    .command('start <file>')
    .description('start a plan (a second start of the same plan changes nothing)')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, o: { json?: boolean }) => {
      const p = await planOrFail(file);
      const { taskQueue } = loadWorkerConfig();
      const { outcome, recorded } = await withEngine(async ({ client, db }) => {
        const outcome = await startPlan(client, p, taskQueue);
        // Reads come from the database: wait (briefly) until the workflow has recorded the plan there.
        return { outcome, recorded: await awaitRecordedPlan(db, p.id) };
      });
      if (o.json) { json({ planId: p.id, ...outcome, recorded }); return; }
      if (!recorded) process.stderr.write(`review-cycles: plan ${p.id} is started, but no worker has recorded it yet: its status appears once a worker runs (npm run worker)\n`);
      out(outcome.started ? `started plan ${p.id} (workflow ${outcome.workflowId})` : `plan ${p.id} is already ${outcome.state === 'RUNNING' ? 'running' : `started (${outcome.state.toLowerCase()})`}: nothing changed (workflow ${outcome.workflowId})`);
    });

  plan
    .command('status <planId>')
    .description('the state of every task, unit and quarter')
    .option('--json', 'print the status as JSON')
    .action(async (planId: string, o: { json?: boolean }) => {
      const { status, version, amended } = await withDb(async (db) => {
        const status = await planStatus(db, planId);
        const { version } = await recordedPlan(db, planId);
        return { status, version, amended: version > 1 ? await storedVersion(db, planId, version) : undefined };
      });
      if (o.json) { json({ ...status, version }); return; }
      const lines = statusTable(status);
      if (amended) lines.splice(1, 0, `version ${version} in force (amended ${amended.effectiveAt}: ${amended.reason ?? ''})`);
      for (const line of lines) out(line);
    });

  plan
    .command('amend <planId> <file>')
    .description('amend a running plan with the whole plan file, edited: prints the difference and the upcoming notices that move, then applies it (once per file and reason)')
    .requiredOption('--reason <text>', 'why the plan is amended (kept in its history)')
    .option('--by <name>', 'who amends')
    .option('--dry-run', 'print the difference and the notices that move, and apply nothing')
    .option('--json', 'print the outcome as JSON')
    .action(async (planId: string, file: string, o: { reason: string; by?: string; dryRun?: boolean; json?: boolean }) => {
      const p = await planOrFail(file);
      const { amendPlan } = await import('./amend.js');
      const options = { reason: o.reason, by: o.by, dryRun: o.dryRun === true };
      // A dry run reads the database only: it works while Temporal is down.
      const outcome = o.dryRun ? await withDb((db) => amendPlan({ db }, planId, p, options)) : await withEngine((engine) => amendPlan(engine, planId, p, options));
      if (o.json) { json(outcome); return; }
      if (outcome.duplicate) { out(`amendment already applied as version ${outcome.version}: nothing changed`); return; }
      out(`amending plan ${planId} (version ${outcome.previousVersion} in force):`);
      for (const line of outcome.lines) out(`  ${line}`);
      if (!outcome.moved.length) out('no upcoming notice moves');
      else {
        out('upcoming notices that move:');
        for (const m of outcome.moved) out(`  ${m.line}`);
      }
      out(outcome.dryRun ? `dry run: nothing applied; without --dry-run this applies as version ${outcome.previousVersion + 1}` : `applied as version ${outcome.version} at ${outcome.at}`);
    });

  plan
    .command('history <planId>')
    .description('every version of the plan: when, by whom, why, and what changed')
    .option('--json', 'print as JSON')
    .action(async (planId: string, o: { json?: boolean }) => {
      const history = await withDb(async (db) => {
        await recordedPlan(db, planId);
        return planHistory(db, planId);
      });
      const { differenceLines } = await import('../workflows/amend/diff.js');
      const entries = history.map((h) => ({ ...h, lines: h.difference ? differenceLines(h.difference as Parameters<typeof differenceLines>[0]) : [] }));
      if (o.json) { json(entries); return; }
      for (const h of entries) {
        out(`version ${h.version} at ${h.effectiveAt}${h.by ? ` by ${h.by}` : ''}: ${h.version === 1 ? 'the plan as started' : (h.reason ?? '')}`);
        for (const line of h.lines) out(`  ${line}`);
      }
    });

  const report = cli.command('report').description('submit and read reports');
  report
    .command('submit <planId>')
    .description("submit (or revise) a unit's report for one task and quarter")
    .requiredOption('--task <taskId>', 'the task')
    .requiredOption('--unit <unitId>', 'the reporting unit')
    .requiredOption('--period <quarter>', 'the quarter, e.g. 2027-Q1')
    .addOption(new Option('--status <status>', 'progress status').choices([...REPORT_STATUSES]).makeOptionMandatory())
    .option('--summary <text>', 'what was done (or --summary-file)')
    .option('--summary-file <file>', 'read the summary from a file')
    .option('--progress <number>', 'cumulative progress figure', number)
    .option('--problems <text>', 'problems met')
    .option('--next-steps <text>', 'next steps')
    .option('--submitted-by <name>', 'who submits')
    .option('--request-id <id>', 'idempotency key: the same id is applied once (default: a new one)')
    .option('--json', 'print the receipt as JSON')
    .action(async (planId: string, o: Record<string, string | number | boolean | undefined>) => {
      const summary = o.summaryFile ? await readSummary(String(o.summaryFile)) : o.summary;
      const input = {
        requestId: (o.requestId as string) ?? randomUUID(),
        taskId: o.task,
        unitId: o.unit,
        period: o.period,
        status: o.status,
        summary: summary ?? '',
        ...(o.progress !== undefined ? { progress: o.progress } : {}),
        ...(o.problems !== undefined ? { problems: o.problems } : {}),
        ...(o.nextSteps !== undefined ? { nextSteps: o.nextSteps } : {}),
        ...(o.submittedBy !== undefined ? { submittedBy: o.submittedBy } : {}),
      };
      const receipt = await withEngine(async (engine) => {
        const r = await submitReport(engine, planId, input);
        await awaitRecordedRevision(engine.db, planId, r); // what is read next shows it
        return r;
      });
      if (o.json) { json(receipt); return; }
      const timing = (receipt.onTime ? 'on time' : `${receipt.daysLate} day${receipt.daysLate === 1 ? '' : 's'} late`) + (receipt.answersReturn ? ' for the revision asked for' : '');
      out(`${receipt.duplicate ? 'already received' : 'received'}: ${receipt.taskId}/${receipt.unitId}/${receipt.period} revision ${receipt.revision}, first arrived ${receipt.firstArrivedAt} (${timing})`);
    });

  const decisionOptions = (c: Command) =>
    c
      .requiredOption('--task <taskId>', 'the task')
      .requiredOption('--unit <unitId>', 'the unit')
      .requiredOption('--period <quarter>', 'the quarter')
      .option('--by <name>', 'who decides')
      .option('--request-id <id>', 'idempotency key: the same id is applied once')
      .option('--json', 'print the receipt as JSON');
  const printDecision = (receipt: DecisionReceipt, asJson?: boolean) => {
    if (asJson) return json(receipt);
    const what = `${receipt.taskId}/${receipt.unitId}/${receipt.period}`;
    out(
      receipt.decision === 'accept'
        ? `${receipt.duplicate ? 'already accepted' : 'accepted'}: ${what} (locked)`
        : `${receipt.duplicate ? 'already returned' : 'returned'}: ${what} for revision by ${receipt.revisionDueDay} (round ${receipt.round})`,
    );
  };
  decisionOptions(report.command('accept <planId>').description('accept a report: it is then locked')).action(
    async (planId: string, o: { task: string; unit: string; period: string; by?: string; requestId?: string; json?: boolean }) => {
      const receipt = await withEngine((engine) => acceptReport(engine, planId, { taskId: o.task, unitId: o.unit, period: o.period, by: o.by, requestId: o.requestId }));
      printDecision(receipt, o.json);
    },
  );
  decisionOptions(report.command('return <planId>').description('return a report for revision: the unit gets a new due day and reminders'))
    .requiredOption('--comment <text>', 'what to revise')
    .action(async (planId: string, o: { task: string; unit: string; period: string; comment: string; by?: string; requestId?: string; json?: boolean }) => {
      const receipt = await withEngine((engine) =>
        returnReport(engine, planId, { taskId: o.task, unitId: o.unit, period: o.period, comment: o.comment, by: o.by, requestId: o.requestId }),
      );
      printDecision(receipt, o.json);
    });

  decisionOptions(report.command('extend <planId>').description('give one report a new due day (moved to a working day): its notices still to come and its lateness count from it'))
    .requiredOption('--until <day>', 'the new due day, YYYY-MM-DD (moved forward to a working day)')
    .requiredOption('--reason <text>', 'why the report is given more time (the unit is told)')
    .action(async (planId: string, o: { task: string; unit: string; period: string; until: string; reason: string; by?: string; requestId?: string; json?: boolean }) => {
      const receipt = await withEngine((engine) =>
        extendReport(engine, planId, { taskId: o.task, unitId: o.unit, period: o.period, until: o.until, reason: o.reason, by: o.by, requestId: o.requestId }),
      );
      if (o.json) { json(receipt); return; }
      const moved = receipt.dueDay === receipt.until ? '' : ` (${receipt.until} is not a working day)`;
      out(`${receipt.duplicate ? 'already extended' : 'extended'}: ${receipt.taskId}/${receipt.unitId}/${receipt.period} now due ${receipt.dueDay}${moved}, was ${receipt.previousDueDay} (extension ${receipt.extension})`);
    });

  report
    .command('revisions <planId>')
    .description('every revision of one report')
    .requiredOption('--task <taskId>', 'the task')
    .requiredOption('--unit <unitId>', 'the unit')
    .requiredOption('--period <quarter>', 'the quarter')
    .option('--json', 'print as JSON')
    .action(async (planId: string, o: { task: string; unit: string; period: string; json?: boolean }) => {
      const revisions = await withDb((db) => reportRevisions(db, planId, o.task, o.unit, o.period));
      if (o.json) { json(revisions); return; }
      if (!revisions.length) out('no report yet');
      revisions.forEach((r, i) => out(`revision ${i + 1} at ${new Date(r.arrivedAt).toISOString()}: ${r.status}${r.progress !== undefined ? ` progress ${r.progress}` : ''}\n  ${r.summary}`));
    });

  const findings = cli.command('findings').description('inspection findings');
  findings
    .command('list <planId>')
    .description('every finding of the plan with its state, round and deadline')
    .option('--unit <unitId>', 'only the findings of this unit')
    .option('--state <state>', `only findings in this state (${FINDING_STATES.join(', ')})`)
    .option('--json', 'print as JSON')
    .action(async (planId: string, o: { unit?: string; state?: string; json?: boolean }) => {
      const list = await withDb(async (db) => findingsOf(db, await runningPlan(db, planId), { unitId: o.unit, state: o.state }));
      if (o.json) { json(list); return; }
      if (!list.length) out('no findings');
      for (const f of list) out(findingLine(f));
    });

  const finding = cli.command('finding').description('act on one inspection finding, or show its whole life');
  finding
    .command('show <planId> <findingId>')
    .description("a finding's whole life: its state, every action and every notice")
    .option('--json', 'print as JSON')
    .action(async (planId: string, findingId: string, o: { json?: boolean }) => {
      const life = await withDb((db) => findingLife(db, planId, findingId));
      if (o.json) { json(life); return; }
      out(findingLine(life.status));
      out(`  ${life.status.title}${life.description ? `: ${life.description}` : ''}`);
      const events = [
        ...life.actions.map((a) => ({ at: a.at, text: `${a.action}${a.claim ? ` (claim ${a.claim})` : ''}${a.result ? ` ${a.result}` : ''} by ${a.actor}${a.by ? ` (${a.by})` : ''}, round ${a.round}${a.text ? `: ${oneLine(a.text)}` : ''}` })),
        ...life.notices.map((n) => ({ at: n.at, text: `notice ${n.kind} (round ${n.round}${n.number && n.number > 1 ? `, ${n.number}` : ''}) to ${n.to.join(', ')}: ${n.status}` })),
        ...life.extensions.map((x) => ({ at: x.at, text: `extended (extension ${x.extension}) by headquarters${x.by ? ` (${x.by})` : ''}, round ${x.round}: due ${x.dueDay}, was ${x.previousDueDay}: ${oneLine(x.reason)}` })),
      ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
      for (const e of events) out(`  ${e.at} ${e.text}`);
    });

  const act = (c: Command) => c.option('--by <name>', 'who acts').option('--request-id <id>', 'idempotency key: the same id is applied once (default: a new one)').option('--json', 'print the receipt as JSON');
  const sendAction = async (planId: string, input: Record<string, unknown>, asJson?: boolean) => {
    const receipt = await withEngine((engine) => actOnFinding(engine, planId, { ...input, ...(input.requestId === undefined ? { requestId: randomUUID() } : {}) }));
    if (asJson) { json(receipt); return; }
    const what = receipt.claim ? ` claim ${receipt.claim}` : '';
    out(`${receipt.duplicate ? 'already applied' : 'applied'}: ${receipt.action}${what} on finding ${receipt.findingId}, now ${receipt.state} (round ${receipt.round}${receipt.deadlineDay ? `, due ${receipt.deadlineDay}` : ''})`);
  };
  const common = (o: { by?: string; requestId?: string }) => ({ ...(o.by !== undefined ? { by: o.by } : {}), ...(o.requestId !== undefined ? { requestId: o.requestId } : {}) });
  act(finding.command('claim <planId> <findingId>').description('the responsible unit claims the finding rectified, with its evidence'))
    .requiredOption('--unit <unitId>', 'the responsible unit')
    .option('--evidence <text>', 'the evidence of the rectification (or --evidence-file)')
    .option('--evidence-file <file>', 'read the evidence from a file')
    .option('--link <url>', 'a link to evidence (repeat for more)', (v: string, all: string[] = []) => [...all, v])
    .action(async (planId: string, findingId: string, o: { unit: string; evidence?: string; evidenceFile?: string; link?: string[]; by?: string; requestId?: string; json?: boolean }) => {
      const evidence = o.evidenceFile ? await readText(o.evidenceFile, '--evidence-file') : (o.evidence ?? '');
      await sendAction(planId, { action: 'claim', findingId, actor: o.unit, evidence, links: o.link ?? [], ...common(o) }, o.json);
    });
  act(finding.command('progress <planId> <findingId>').description('the responsible unit notes progress on the rectification'))
    .requiredOption('--unit <unitId>', 'the responsible unit')
    .requiredOption('--note <text>', 'what was done')
    .action(async (planId: string, findingId: string, o: { unit: string; note: string; by?: string; requestId?: string; json?: boolean }) => {
      await sendAction(planId, { action: 'progress', findingId, actor: o.unit, note: o.note, ...common(o) }, o.json);
    });
  const verifierOption = (c: Command) => c.option('--as <verifier>', 'who decides: headquarters (the default) or the verifier unit', 'headquarters');
  act(verifierOption(finding.command('accept <planId> <findingId>').description('accept the claim awaiting a decision: the finding is closed')))
    .option('--comment <text>', 'a comment')
    .action(async (planId: string, findingId: string, o: { as: string; comment?: string; by?: string; requestId?: string; json?: boolean }) => {
      await sendAction(planId, { action: 'accept', findingId, actor: o.as, ...(o.comment !== undefined ? { comment: o.comment } : {}), ...common(o) }, o.json);
    });
  act(verifierOption(finding.command('reject <planId> <findingId>').description('reject the claim awaiting a decision: a new round starts')))
    .requiredOption('--reason <text>', 'why the claim is rejected')
    .action(async (planId: string, findingId: string, o: { as: string; reason: string; by?: string; requestId?: string; json?: boolean }) => {
      await sendAction(planId, { action: 'reject', findingId, actor: o.as, reason: o.reason, ...common(o) }, o.json);
    });
  act(verifierOption(finding.command('recheck <planId> <findingId>').description('answer the re-check of a closed finding: pass, or reopen')))
    .addOption(new Option('--result <result>', 'the answer').choices(['pass', 'reopen']).makeOptionMandatory())
    .option('--comment <text>', 'a comment')
    .action(async (planId: string, findingId: string, o: { as: string; result: string; comment?: string; by?: string; requestId?: string; json?: boolean }) => {
      await sendAction(planId, { action: 'recheck', findingId, actor: o.as, result: o.result, ...(o.comment !== undefined ? { comment: o.comment } : {}), ...common(o) }, o.json);
    });
  act(finding.command('extend <planId> <findingId>').description("headquarters gives the finding's current round a new deadline day (moved to a working day): its reminders, escalations and lateness count from it"))
    .requiredOption('--until <day>', 'the new deadline day, YYYY-MM-DD (moved forward to a working day)')
    .requiredOption('--reason <text>', 'why the finding is given more time (the unit is told)')
    .action(async (planId: string, findingId: string, o: { until: string; reason: string; by?: string; requestId?: string; json?: boolean }) => {
      const receipt = await withEngine((engine) => extendFinding(engine, planId, { findingId, until: o.until, reason: o.reason, ...common(o) }));
      if (o.json) { json(receipt); return; }
      const moved = receipt.dueDay === receipt.until ? '' : ` (${receipt.until} is not a working day)`;
      out(`${receipt.duplicate ? 'already extended' : 'extended'}: finding ${receipt.findingId} now due ${receipt.dueDay}${moved}, was ${receipt.previousDueDay} (extension ${receipt.extension}, round ${receipt.round}, now ${receipt.state})`);
    });

  const ledger = cli.command('ledger').description('the work ledger: one row per aspect, task, unit and quarter');
  ledger
    .command('export <planId>')
    .description('write the ledger as CSV (UTF-8 with BOM, opens in Excel), XLSX or JSON')
    .addOption(new Option('--format <format>', 'file format').choices(['csv', 'xlsx', 'json']).makeOptionMandatory())
    .requiredOption('--out <file>', 'the file to write')
    .option('--json', 'print the result as JSON')
    .action(async (planId: string, o: { format: 'csv' | 'xlsx' | 'json'; out: string; json?: boolean }) => {
      const { plan: p, status, details } = await withDb(async (db) => ({ plan: await shownPlan(db, planId), status: await planStatus(db, planId), details: await ledgerDetails(db, planId) }));
      await writeLedger(p, status, o.format, o.out, details);
      const rows = status.tasks.reduce((n, t) => n + t.units.reduce((m, u) => m + u.periods.length, 0), 0);
      if (o.json) json({ planId, format: o.format, out: o.out, rows });
      else out(`wrote ${rows} ledger rows of plan ${planId} to ${o.out} (${o.format})`);
    });

  plan
    .command('reviews <planId>')
    .description('the reviews and summaries made so far, with their documents')
    .option('--json', 'print as JSON')
    .action(async (planId: string, o: { json?: boolean }) => {
      const reviews = await withDb((db) => planReviews(db, planId));
      if (o.json) {
        json(reviews);
        return;
      }
      if (!reviews.length) out('no review made yet');
      for (const r of reviews) {
        out(`${r.window} (${r.kind}, ${r.at}): advanced ${r.advanced.join(', ') || '-'}; backward ${r.backward.join(', ') || '-'}; behind plan ${r.behindPlan.join(', ') || '-'}`);
        out(`  ${r.documents.html}`);
      }
    });

  const db = cli.command('db').description('the system of record');
  db.command('sync <planId>')
    .description("re-project what the running workflows know into the database (after restoring an older backup); idempotent")
    .option('--json', 'print the result as JSON')
    .action(async (planId: string, o: { json?: boolean }) => {
      const result = await withEngine(({ client, db: pool }) => syncPlan(client, pool, planId));
      if (o.json) json({ planId, ...result });
      else out(`synced plan ${planId}: ${result.records} records from ${result.groups} group workflow${result.groups === 1 ? '' : 's'}`);
    });
  db.command('migrate')
    .description('apply pending migrations to the configured database and say which')
    .action(async () => {
      await withDb(async () => undefined); // connecting migrates
      out('database schema is up to date');
    });

  cli
    .command('rehearse <planFile>')
    .description('run the whole plan on the time-skipping test server and write notices.jsonl and status.json')
    .option('--behaviour <file>', 'how units answer (default: nobody answers)')
    .requiredOption('--out <dir>', 'output folder')
    .option('--json', 'print the summary as JSON')
    .action(async (planFile: string, o: { behaviour?: string; out: string; json?: boolean }) => {
      const p = await planOrFail(planFile);
      let behaviour = SILENT;
      if (o.behaviour) {
        const loaded = await loadBehaviourFile(o.behaviour, p);
        if (!loaded.ok) throw new UserError(loaded.errors.join('\n'), 'EBEHAVIOUR');
        behaviour = loaded.behaviour;
      }
      const { rehearse } = await import('./rehearse/run.js');
      const log = o.json ? () => {} : (line: string) => process.stderr.write(`${line}\n`);
      const result = await rehearse({ plan: p, behaviour, outDir: o.out, log });
      for (const r of result.rejected) log(`refused: ${r}`);
      if (o.json) json({ summary: result.summary, notices: result.notices.length, rejected: result.rejected, out: o.out });
      else out(result.summary);
    });

  return cli;
}

/** Runs the CLI; expected failures print one clear message to stderr and exit non-zero. */
export async function run(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    const known = err instanceof UserError || err instanceof ConfigError || err instanceof MissingBinaryError || err instanceof StoreError || err instanceof EmbeddedPostgresError;
    process.stderr.write(`review-cycles: ${known ? (err as Error).message : ((err as Error).stack ?? String(err))}\n`);
    process.exitCode = 1;
  }
}

// Runs when started as the CLI (bin/review-cycles.js or `tsx client/cli.ts`), not when a test imports `run`.
if (/(^|[\\/])(review-cycles(\.js)?|cli\.ts)$/.test(process.argv[1] ?? '')) await run(process.argv);

/**
 * Tests against a real Temporal dev server: one per test file, on free ports with a temporary data folder, and plans
 * whose current quarter is already due to be requested by the real clock.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { stringify } from 'yaml';
import { DevServerError, PortInUseError, freePorts, startDevServer, type DevServer, type DevServerOptions } from '../../client/dev-server.js';

export interface TestDevServer {
  /** The running server (available from the file's beforeAll hooks on). */
  readonly server: DevServer;
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  /** The temporary folder the server persists to. */
  readonly dataDir: string;
}

/** Starts a dev server before the file's tests and stops it (and removes its data) after them. */
export function useDevServer(options: { headless?: boolean; dynamicConfig?: DevServerOptions['dynamicConfig'] } = {}): TestDevServer {
  let server: DevServer | undefined;
  let dataDir: string | undefined;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rc-dev-server-'));
    // Free ports can be taken between the check and the spawn: try again with new ones.
    for (let attempt = 1; ; attempt++) {
      const [port, uiPort] = await freePorts(2);
      try {
        server = await startDevServer({ dataDir, port, uiPort, headless: options.headless ?? true, ownProcessGroup: false, dynamicConfig: options.dynamicConfig });
        return;
      } catch (err) {
        if (attempt >= 3 || !(err instanceof PortInUseError || err instanceof DevServerError)) throw err;
      }
    }
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);
  const need = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the dev server is not running (use it inside tests or hooks)');
    return value;
  };
  return {
    get server() {
      return need(server);
    },
    get address() {
      return need(server).address;
    },
    get dataDir() {
      return need(dataDir);
    },
  };
}

const DAY = 86_400_000;
const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export interface PlanAroundNow {
  /** The plan as written in a file. */
  plan: Record<string, unknown>;
  /** The quarter of `now`: its request moment has passed, its due day has not ended. */
  current: string;
  /** The next quarter: its request moment is still weeks away. */
  next: string;
}

/**
 * A two-quarter plan (UTC, no calendar) from the first day of the current quarter to the last day of the next one.
 * The request goes out the day before `now` relative to the current quarter's last day, so starting the plan sends the
 * current quarter's request at once, while the next quarter's request is about three months away. Due 5 days after
 * the quarter; no reminders or escalations. Task t1 is alpha's, task t2 is beta's.
 */
export function planAroundNow(id: string, now = Date.now()): PlanAroundNow {
  const today = new Date(now);
  const year = today.getUTCFullYear();
  const q = Math.floor(today.getUTCMonth() / 3);
  const first = Date.UTC(year, 3 * q, 1);
  const last = Date.UTC(year, 3 * q + 3, 0);
  const nextLast = Date.UTC(year, 3 * q + 6, 0);
  const todayStart = Date.UTC(year, today.getUTCMonth(), today.getUTCDate());
  const daysToLast = Math.round((last - todayStart) / DAY);
  const quarter = (ms: number) => `${new Date(ms).getUTCFullYear()}-Q${Math.floor(new Date(ms).getUTCMonth() / 3) + 1}`;
  return {
    current: quarter(last),
    next: quarter(nextLast),
    plan: {
      id,
      title: `Live test plan ${id}`,
      timezone: 'UTC',
      start: ymd(first),
      end: ymd(nextLast),
      headquarters: { name: 'Headquarters', email: 'hq@example.org' },
      units: [
        { id: 'alpha', name: 'Alpha Office', email: 'alpha@example.org' },
        { id: 'beta', name: 'Beta Office', email: ['beta@example.org', 'beta-desk@example.org'] },
      ],
      aspects: [{ id: 'a', title: 'Aspect A' }],
      tasks: [
        { id: 't1', aspect: 'a', title: 'Task One', units: ['alpha'] },
        { id: 't2', aspect: 'a', title: 'Task Two', units: ['beta'] },
      ],
      cadence: { sendTime: '09:00', requestOffsetDays: -(daysToLast + 1), dueOffsetDays: 5 },
    },
  };
}

/** Writes a plan as YAML into `dir`; returns the file's path. */
export function writePlan(dir: string, plan: Record<string, unknown>, name = 'plan.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, stringify(plan));
  return file;
}

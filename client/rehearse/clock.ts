/**
 * Moving the time-skipping test server's clock to an instant, exactly once.
 *
 * `TestWorkflowEnvironment.sleep` sends one `unlockTimeSkippingWithSleep(duration)` on the environment's connection.
 * That connection pings every 30 s, which the test server takes as excess pings: after about a minute and a half it
 * closes the connection (GOAWAY, too many pings), failing every call in flight, and the connection's retry
 * interceptor sends a failed call again. A sleep is not safe to send twice: its duration counts from whenever the
 * server receives it, so the second copy stops the clock up to a whole duration past the instant asked for. A sleep is
 * in flight for real seconds whenever workflow tasks hold the clock (a run with many notices, or a killed worker's
 * task waiting for its timeout); a sleep of 65 days sent twice moved the next reports 65 days late.
 *
 * This clock talks to the test service on a connection of its own that never pings (no GOAWAY) and never retries (a
 * failed sleep fails the rehearsal, with the reason, instead of running the clock on), and it checks where the clock
 * stopped. A move that takes longer than its deadline fails the rehearsal too, saying so, rather than waiting for good.
 */
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { InternalConnectionOptionsSymbol } from '@temporalio/client/lib/connection.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { msToTs, tsToMs } from '@temporalio/common/lib/time.js';

/** How far past the instant asked for the clock may be read (it runs at real speed once it stopped there). */
export const CLOCK_OVERSHOOT_MS = 60_000;
/** The longest real time one move may take (workflow tasks hold the clock while they run); then the rehearsal fails. */
const MOVE_DEADLINE_MS = 15 * 60_000;
/** The longest a read of the clock may take. */
const READ_DEADLINE_MS = 30_000;

export interface SkippingClock {
  /** The server's clock. */
  now(): Promise<number>;
  /** Lets the clock skip to `at` (nothing when it is already there or past it), and checks that it stopped there. */
  advanceTo(at: number): Promise<void>;
  close(): Promise<void>;
}

/** A clock for `env` when it skips time; otherwise the environment's own sleep (a real clock cannot run past). */
export async function skippingClock(env: TestWorkflowEnvironment): Promise<SkippingClock> {
  if (!env.supportsTimeSkipping) {
    return {
      now: () => env.currentTimeMs(),
      advanceTo: async (at) => {
        const now = await env.currentTimeMs();
        if (at > now) await env.sleep(at - now);
      },
      close: async () => {},
    };
  }
  const options = {
    address: env.address,
    interceptors: [],
    channelArgs: { 'grpc.keepalive_time_ms': -1, 'grpc.keepalive_permit_without_calls': 0 },
    [InternalConnectionOptionsSymbol]: { supportsTestService: true },
  } as ConnectionOptions;
  const connection = await Connection.connect(options);
  const service = connection.testService!;
  const now = async () => tsToMs((await connection.withDeadline(Date.now() + READ_DEADLINE_MS, () => service.getCurrentTime({}))).time);
  return {
    now,
    async advanceTo(at) {
      const from = await now();
      if (at <= from) return;
      try {
        await connection.withDeadline(Date.now() + MOVE_DEADLINE_MS, () => service.unlockTimeSkippingWithSleep({ duration: msToTs(at - from) }));
      } catch (err) {
        throw new Error(`the test server's clock could not be moved to ${new Date(at).toISOString()} (from ${new Date(from).toISOString()}): ${(err as Error).message}`);
      }
      const reached = await now();
      if (reached > at + CLOCK_OVERSHOOT_MS) {
        throw new Error(`the test server's clock ran on to ${new Date(reached).toISOString()}, ${((reached - at) / 1000).toFixed(0)} s past ${new Date(at).toISOString()} (a sleep was applied twice)`);
      }
    },
    close: () => connection.close(),
  };
}

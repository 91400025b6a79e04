/**
 * The client's gRPC retry (client/grpc-retry.ts) keeps the SDK's rules but stops at the call's deadline and when the
 * caller aborts, even asleep between attempts. The dev server is killed with SIGKILL, as in the fault suite's
 * server-crashes. With the SDK's interceptor in its place these tests fail: the 2 s deadline ended after 3.2 s, the
 * call aborted at 2 s and the 6 s write went on retrying (20.0 s, 18.3 s) until the attempts ran out, and the call
 * whose connection closed while it slept never ended.
 */
import * as grpc from '@grpc/grpc-js';
import { Client, Connection, isGrpcCancelledError, isGrpcDeadlineError, type GrpcRetryOptions } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectTemporal, retryOptions } from '../../client/connection.js';
import { afterAttempt, deadlineMs, makeRetryInterceptor } from '../../client/grpc-retry.js';
import { update, UserError, type Engine } from '../../client/plans.js';
import { useDevServer } from '../helpers/dev-server.js';

const { UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, NOT_FOUND } = grpc.status;
const status = (code: grpc.status, details = 'x'): grpc.StatusObject => ({ code, details, metadata: new grpc.Metadata() });
const rootStatus = (err: unknown): { code?: number; details?: string } => {
  let e = err as { code?: number; details?: string; cause?: unknown } | undefined;
  while (e && e.code === undefined && e.cause) e = e.cause as typeof e;
  return e ?? {};
};

describe('the arithmetic of one step', () => {
  // The SDK's back-off without jitter: 100 ms x 1.7^attempt, at most 5 s, 10 attempts.
  const rules: GrpcRetryOptions = retryOptions(() => 0);
  const fixed: GrpcRetryOptions = { retryableDecider: rules.retryableDecider, delayFunction: () => 1_000 };

  test('an attempt that would start before the deadline is made after the SDK\'s delay', () => {
    expect(afterAttempt(fixed, 1, status(UNAVAILABLE), 10_000, 8_999)).toEqual({ retryInMs: 1_000 });
    expect(afterAttempt(fixed, 1, status(UNAVAILABLE), Infinity, 8_999)).toEqual({ retryInMs: 1_000 });
  });

  test('one that would start at or after it is not: the call ends now with DEADLINE_EXCEEDED naming the last status', () => {
    for (const now of [9_000, 9_500, 12_000]) {
      const step = afterAttempt(fixed, 1, status(UNAVAILABLE, 'No connection established'), 10_000, now);
      expect(step).toMatchObject({ end: { code: DEADLINE_EXCEEDED } });
      expect((step as { end: grpc.StatusObject }).end.details).toContain('UNAVAILABLE: No connection established');
    }
  });

  test('what the SDK does not retry, or retries no more, ends with its own status', () => {
    const notFound = status(NOT_FOUND);
    expect(afterAttempt(rules, 1, notFound, Infinity, 0)).toEqual({ end: notFound });
    const tenth = status(UNAVAILABLE);
    expect(afterAttempt(rules, 10, tenth, Infinity, 0)).toEqual({ end: tenth });
    expect(afterAttempt(rules, 9, tenth, Infinity, 0)).toHaveProperty('retryInMs');
  });

  test('deadlines come as dates, epoch ms or none', () => {
    expect(deadlineMs(new Date(1_234))).toBe(1_234);
    expect(deadlineMs(5_678)).toBe(5_678);
    expect(deadlineMs(undefined)).toBe(Infinity);
  });
});

describe('on a real gRPC server', () => {
  const echo = {
    echo: {
      path: '/test.Echo/echo',
      requestStream: false,
      responseStream: false,
      requestSerialize: (b: Buffer) => b,
      requestDeserialize: (b: Buffer) => b,
      responseSerialize: (b: Buffer) => b,
      responseDeserialize: (b: Buffer) => b,
    },
  } as const;
  const EchoClient = grpc.makeGenericClientConstructor(echo as never, 'Echo');
  type EchoCall = (req: Buffer, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Buffer) => void) => grpc.ClientUnaryCall;
  let server: grpc.Server;
  let address: string;
  let calls = 0;

  beforeAll(async () => {
    server = new grpc.Server();
    // Two refusals, then the answer: every third attempt succeeds.
    server.addService(echo as never, {
      echo: (call: { request: Buffer }, cb: (err: Partial<grpc.StatusObject> | null, res?: Buffer) => void) =>
        ++calls % 3 ? cb({ code: UNAVAILABLE, details: 'not yet' }) : cb(null, Buffer.concat([Buffer.from('echo '), call.request])),
    });
    const port = await new Promise<number>((ok, ko) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? ko(e) : ok(p))));
    address = `127.0.0.1:${port}`;
  });
  afterAll(() => server?.forceShutdown());

  const call = (client: grpc.Client, opts: grpc.CallOptions = {}) =>
    new Promise<Buffer>((ok, ko) =>
      ((client as unknown as { echo: EchoCall }).echo)(Buffer.from('hi'), new grpc.Metadata(), { interceptors: [makeRetryInterceptor(retryOptions())], ...opts }, (err, res) => (err ? ko(err) : ok(res!))),
    );

  test('refused attempts are retried and the answer of the third is handed over', async () => {
    const client = new EchoClient(address, grpc.credentials.createInsecure());
    calls = 0;
    expect((await call(client)).toString()).toBe('echo hi');
    expect(calls).toBe(3);
    client.close();
  });

  test('a call whose connection is closed while it waits to retry ends with an error instead of throwing from a timer', async () => {
    const unreachable = new EchoClient('127.0.0.1:1', grpc.credentials.createInsecure());
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      const pending = call(unreachable).catch((e: grpc.ServiceError) => e);
      await new Promise((r) => setTimeout(r, 300));
      unreachable.close();
      const err = (await pending) as grpc.ServiceError;
      expect(err.code).toBe(UNAVAILABLE);
      await new Promise((r) => setTimeout(r, 100));
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  }, 10_000);
});

describe('while the Temporal server is killed', () => {
  const dev = useDevServer();
  let connection: Connection;
  let client: Client;

  beforeAll(async () => {
    connection = await connectTemporal({ address: dev.address });
    client = new Client({ connection, namespace: 'default' });
    await connection.workflowService.getSystemInfo({}); // reachable before the kill
    process.kill(dev.server.pid, 'SIGKILL');
    expect((await dev.server.exited).signal).toBe('SIGKILL');
  });
  afterAll(async () => {
    await connection?.close();
  });

  const describeSome = () => client.workflow.getHandle('no-such-workflow').describe();
  const timed = async (run: () => Promise<unknown>) => {
    const t0 = Date.now();
    const err = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    return { err, ms: Date.now() - t0 };
  };

  test('a call with a 2 s deadline ends by its deadline with DEADLINE_EXCEEDED', async () => {
    const { err, ms } = await timed(() => connection.withDeadline(Date.now() + 2_000, describeSome));
    expect(ms).toBeLessThan(2_500);
    expect(err).toBeDefined();
    const root = rootStatus(err);
    expect(isGrpcDeadlineError(root), `${root.code} ${root.details}`).toBe(true);
    expect(root.details).toMatch(/UNAVAILABLE/);
  });

  test('a call aborted after 2 s ends at once with CANCELLED', async () => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 2_000);
    const { err, ms } = await timed(() => client.withAbortSignal(controller.signal, describeSome));
    clearTimeout(timer);
    expect(ms).toBeGreaterThanOrEqual(1_950);
    expect(ms).toBeLessThan(2_500);
    expect(err).toBeDefined();
    expect(isGrpcCancelledError(rootStatus(err))).toBe(true);
  });

  test('a write (update) answers within its 6 s wait that the engine is not running', async () => {
    const engine = { client } as Engine; // no database: update() itself never reads it
    const { err, ms } = await timed(() => update(engine, 'plan-x', 'report', (c) => c.workflow.getHandle('no-such-workflow').executeUpdate('submitReport')));
    expect(ms).toBeGreaterThanOrEqual(5_950);
    expect(ms).toBeLessThan(6_500);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe('ENOENGINE');
    expect((err as Error).message).toMatch(/the engine is not running: no worker answered within 6 s, so this report has not been recorded/);
  });
});

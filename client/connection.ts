/** Connects the CLI and portal to Temporal the way the Temporal CLI would (env variables and profiles). */
import { Client, Connection, defaultGrpcRetryOptions, type GrpcRetryOptions } from '@temporalio/client';
import { makeRetryInterceptor } from './grpc-retry.js';
import { temporalTarget } from '../worker/connection.js';
import { UserError } from './plans.js';

const RESOURCE_EXHAUSTED = 8;

/**
 * Refusals of an Update that clear within milliseconds: a group workflow rolling over to a fresh run ("workflow is
 * closing"), or one with as many Updates in flight as the server allows ("limit on number of concurrent in-flight
 * updates"), which a moment later has answered some of them. These are the server's own words (it gives no other
 * code than RESOURCE_EXHAUSTED for them).
 */
const BRIEF_REFUSAL = /workflow is closing|concurrent in-flight updates/i;

/**
 * The SDK's retry rules, except for the brief refusals above: retried after 50 ms x attempt (plus up to 50 %,
 * so that callers refused together do not come back together) instead of the default 1 s x 1.7^n.
 */
export function retryOptions(random: () => number = Math.random): GrpcRetryOptions {
  const base = defaultGrpcRetryOptions();
  return {
    retryableDecider: base.retryableDecider,
    delayFunction: (attempt, status) =>
      status.code === RESOURCE_EXHAUSTED && BRIEF_REFUSAL.test(status.details ?? '') ? Math.round(50 * attempt * (1 + random() / 2)) : base.delayFunction(attempt, status),
  };
}

/** A connection with the project's retry rules; a call stops retrying at its deadline or when its caller aborts it. */
export async function connectTemporal(options: Parameters<typeof Connection.connect>[0] = {}): Promise<Connection> {
  return Connection.connect({ ...options, interceptors: [makeRetryInterceptor(retryOptions())] });
}

/** A client on the configured Temporal namespace; a clear error when the server cannot be reached. */
export async function connectClient(overrides: { address?: string } = {}): Promise<{ client: Client; close: () => Promise<void>; address: string }> {
  const target = temporalTarget(overrides);
  let connection: Connection;
  try {
    connection = await connectTemporal({ ...target.connectionOptions, connectTimeout: '5s' } as Parameters<typeof Connection.connect>[0]);
  } catch (err) {
    throw new UserError(
      `cannot reach Temporal at ${target.address} (namespace ${target.namespace}): ${(err as Error).message}. ` +
        'Start it with "npm start", or set TEMPORAL_ADDRESS / TEMPORAL_PROFILE.',
      'ENOTEMPORAL',
    );
  }
  return { client: new Client({ connection, namespace: target.namespace }), close: () => connection.close(), address: target.address };
}

/** Connects the CLI and portal to Temporal the way the Temporal CLI would (env variables and profiles). */
import { Client, Connection } from '@temporalio/client';
import { temporalTarget } from '../worker/connection.js';
import { UserError } from './plans.js';

/** A client on the configured Temporal namespace; a clear error when the server cannot be reached. */
export async function connectClient(): Promise<{ client: Client; close: () => Promise<void>; address: string }> {
  const target = temporalTarget();
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...target.connectionOptions, connectTimeout: '5s' } as Parameters<typeof Connection.connect>[0]);
  } catch (err) {
    throw new UserError(
      `cannot reach Temporal at ${target.address} (namespace ${target.namespace}): ${(err as Error).message}. ` +
        'Start it with "npm start", or set TEMPORAL_ADDRESS / TEMPORAL_PROFILE.',
      'ENOTEMPORAL',
    );
  }
  return { client: new Client({ connection, namespace: target.namespace }), close: () => connection.close(), address: target.address };
}

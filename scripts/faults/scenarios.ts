/** The fault scenarios, in the order the suite runs them. */
import type { FaultReport } from './support.js';
import { workerCrashes } from './worker-crashes.js';
import { smtpRefusals } from './smtp-refusals.js';
import { lostAck } from './lost-ack.js';
import { smtpOutage } from './smtp-outage.js';
import { workerDown } from './worker-down.js';
import { serverCrashes } from './server-crashes.js';

/** What a scenario is given. */
export interface ScenarioContext {
  say: (line: string) => void;
  /** Seeds the random kill moments. */
  seed: number;
}

export type Scenario = (ctx: ScenarioContext) => Promise<FaultReport>;

export const SCENARIOS: Record<string, Scenario> = {
  'worker-crashes': workerCrashes,
  'server-crashes': serverCrashes,
  'smtp-outage': smtpOutage,
  'smtp-refusals': smtpRefusals,
  'lost-ack': lostAck,
  'worker-down': workerDown,
};

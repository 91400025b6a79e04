/** The fault scenarios, in the order the suite runs them. */
import type { FaultReport } from './support.js';
import { workerCrashes } from './worker-crashes.js';
import { smtpRefusals } from './smtp-refusals.js';

/** What a scenario is given. */
export interface ScenarioContext {
  say: (line: string) => void;
  /** Seeds the random kill moments. */
  seed: number;
}

export type Scenario = (ctx: ScenarioContext) => Promise<FaultReport>;

export const SCENARIOS: Record<string, Scenario> = {
  'worker-crashes': workerCrashes,
  'smtp-refusals': smtpRefusals,
};

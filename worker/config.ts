/** The worker's own settings, parsed once from the environment; Temporal's connection follows Temporal's conventions. */
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_TASK_QUEUE } from '../workflows/contract/ids.js';

/** True when `text` parses as a URL with a host and, if any, a port from 1 to 65535 (the regexes check the scheme). */
function parsesWithHost(text: string): boolean {
  try {
    const url = new URL(text);
    return url.hostname !== '' && (url.port === '' || (Number(url.port) >= 1 && Number(url.port) <= 65535));
  } catch {
    return false;
  }
}

const envSchema = z.object({
  REVIEW_CYCLES_TASK_QUEUE: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .regex(/^[^\u0000-\u001F\u007F]*$/, 'must not contain line breaks or other control characters')
    .default(DEFAULT_TASK_QUEUE),
  REVIEW_CYCLES_SMTP_URL: z
    .string()
    .refine((t) => /^smtps?:\/\/[^\s]+$/.test(t) && parsesWithHost(t), 'must be an smtp:// or smtps:// URL, e.g. smtp://user:pass@mail.example.org:587')
    .optional(),
  REVIEW_CYCLES_MAIL_FROM: z.email({ message: 'must be an e-mail address' }).default('review-cycles@localhost'),
  REVIEW_CYCLES_DATA_DIR: z.string().min(1, 'must not be empty').default('.data'),
  REVIEW_CYCLES_OUTBOX_DIR: z.string().min(1, 'must not be empty').optional(),
  REVIEW_CYCLES_DOCUMENTS_DIR: z.string().min(1, 'must not be empty').optional(),
  REVIEW_CYCLES_DATABASE_URL: z
    .string()
    .refine(
      (t) => /^postgres(ql)?:\/\/\S+$/.test(t) && parsesWithHost(t) && !/%(?![0-9A-Fa-f]{2})/.test(t),
      'must be a postgres:// or postgresql:// URL, e.g. postgres://user:pass@db.example.org:5432/review_cycles',
    )
    .optional(),
  REVIEW_CYCLES_POSTGRES_PORT: z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a port number written in digits, from 1 to 65535')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be between 1 and 65535').max(65535, 'must be between 1 and 65535'))
    .default(55432),
  REVIEW_CYCLES_PUBLIC_URL: z
    .string()
    // No credentials either: the address goes into every notice.
    .refine((t) => /^https?:\/\/[^\s/?#@]+(\/[^\s?#]*)?$/.test(t) && parsesWithHost(t), 'must be an http:// or https:// URL without query or fragment, e.g. https://review.example.org')
    .optional(),
  REVIEW_CYCLES_WORKFLOW_BUNDLE: z.string().min(1, 'must not be empty').optional(),
  REVIEW_CYCLES_WORKFLOW_CACHE: z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number of workflows, 0 or more')
    .transform(Number)
    .pipe(z.number().int().max(100_000, 'must be at most 100000'))
    .optional(),
  // Temporal's rules for a Worker Deployment's name and a build id (its own separators and its reserved "__" prefix
  // excluded), and its length limit.
  REVIEW_CYCLES_DEPLOYMENT_NAME: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(255, 'must be at most 255 characters')
    .regex(/^[^\u0000-\u001F\u007F.:]*$/, 'must not contain ".", ":", line breaks or other control characters')
    .refine((t) => !t.startsWith('__'), 'must not start with "__" (reserved by Temporal)')
    .optional(),
  REVIEW_CYCLES_BUILD_ID: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(255, 'must be at most 255 characters')
    .regex(/^[^\u0000-\u001F\u007F]*$/, 'must not contain line breaks or other control characters')
    .refine((t) => !t.startsWith('__'), 'must not start with "__" (reserved by Temporal)')
    .optional(),
});

/** The Worker Deployment a worker joins when REVIEW_CYCLES_BUILD_ID is set and REVIEW_CYCLES_DEPLOYMENT_NAME is not. */
export const DEFAULT_DEPLOYMENT_NAME = 'review-cycles';

/** Variables whose blank value is reported rather than treated as unset. */
const BLANK_IS_AN_ERROR = new Set(['REVIEW_CYCLES_TASK_QUEUE']);

export interface WorkerConfig {
  taskQueue: string;
  smtpUrl?: string;
  mailFrom: string;
  dataDir: string;
  outboxDir: string;
  /** Reviews and summaries go to `<documentsDir>/<planId>/`. */
  documentsDir: string;
  /**
   * The portal's address the links in notices point to (REVIEW_CYCLES_PUBLIC_URL, without a trailing "/"); without it
   * a stand-alone worker sends notices without links (`npm start` supplies its own portal's address).
   */
  publicUrl?: string;
  /** The keyring signing the links, when REVIEW_CYCLES_LINK_KEYS is not set (created on first use). */
  linkKeysFile: string;
  /** The system of record (REVIEW_CYCLES_DATABASE_URL); without it the embedded server of the data folder. */
  databaseUrl?: string;
  /** Port of the embedded PostgreSQL. */
  postgresPort: number;
  /**
   * A workflow bundle built beforehand (REVIEW_CYCLES_WORKFLOW_BUNDLE, from `bundleWorkflowCode`), so that a restarted
   * worker polls in about a second instead of bundling again; it must be built from this release's workflows.
   */
  workflowBundle?: string;
  /**
   * How many workflows the worker keeps in memory between tasks (REVIEW_CYCLES_WORKFLOW_CACHE; the SDK's default
   * when unset). 0 turns sticky execution off: every task replays its history, and a task never waits for a dead
   * worker's sticky queue (the fault suite sets it on the time-skipping test server, which can leave such a task there).
   */
  workflowCache?: number;
  /**
   * The Worker Deployment Version this worker polls as (REVIEW_CYCLES_BUILD_ID, and REVIEW_CYCLES_DEPLOYMENT_NAME or
   * "review-cycles"): set, the worker uses Worker Versioning and takes only the tasks the server routes to its build;
   * unset, it is an unversioned worker. See docs/DEPLOY.md, "Rolling upgrades with Worker Versioning".
   */
  deployment?: { deploymentName: string; buildId: string };
}

/** Thrown when a variable breaks its rule; the message names every such variable. */
export class ConfigError extends Error {
  readonly code = 'ECONFIG';
}

/** Parses the environment; throws a ConfigError naming each bad variable and its rule. */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): WorkerConfig {
  // A blank setting counts as unset, except the task queue: a blank one is a mistake, not a wish for the default queue.
  const blanksRemoved = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => v !== undefined && (v !== '' || BLANK_IS_AN_ERROR.has(k))),
  );
  const parsed = envSchema.safeParse(blanksRemoved);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = String(i.path[0]);
      return `${name}=${JSON.stringify(env[name] ?? '')}: ${i.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  // A deployment name alone would leave the worker unversioned while its operator believes it versioned.
  if (e.REVIEW_CYCLES_DEPLOYMENT_NAME !== undefined && e.REVIEW_CYCLES_BUILD_ID === undefined) {
    throw new ConfigError(
      `invalid configuration:\n  REVIEW_CYCLES_DEPLOYMENT_NAME=${JSON.stringify(env.REVIEW_CYCLES_DEPLOYMENT_NAME)}: needs REVIEW_CYCLES_BUILD_ID, the build this worker runs (without both the worker is unversioned)`,
    );
  }
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  const dataDir = abs(e.REVIEW_CYCLES_DATA_DIR);
  return {
    taskQueue: e.REVIEW_CYCLES_TASK_QUEUE,
    smtpUrl: e.REVIEW_CYCLES_SMTP_URL,
    mailFrom: e.REVIEW_CYCLES_MAIL_FROM,
    dataDir,
    outboxDir: e.REVIEW_CYCLES_OUTBOX_DIR ? abs(e.REVIEW_CYCLES_OUTBOX_DIR) : resolve(dataDir, 'outbox'),
    documentsDir: e.REVIEW_CYCLES_DOCUMENTS_DIR ? abs(e.REVIEW_CYCLES_DOCUMENTS_DIR) : resolve(dataDir, 'documents'),
    publicUrl: e.REVIEW_CYCLES_PUBLIC_URL?.replace(/\/+$/, ''),
    linkKeysFile: resolve(dataDir, 'link-keys'),
    databaseUrl: e.REVIEW_CYCLES_DATABASE_URL,
    postgresPort: e.REVIEW_CYCLES_POSTGRES_PORT,
    workflowBundle: e.REVIEW_CYCLES_WORKFLOW_BUNDLE ? abs(e.REVIEW_CYCLES_WORKFLOW_BUNDLE) : undefined,
    workflowCache: e.REVIEW_CYCLES_WORKFLOW_CACHE,
    ...(e.REVIEW_CYCLES_BUILD_ID !== undefined
      ? { deployment: { deploymentName: e.REVIEW_CYCLES_DEPLOYMENT_NAME ?? DEFAULT_DEPLOYMENT_NAME, buildId: e.REVIEW_CYCLES_BUILD_ID } }
      : {}),
  };
}

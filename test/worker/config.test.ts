/** The worker's settings from the environment: defaults, paths, and a ConfigError naming every bad variable. */
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadWorkerConfig } from '../../worker/config.js';

const cwd = resolve('/srv/review-cycles');

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadWorkerConfig(env, cwd);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('ECONFIG');
    return err as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('loadWorkerConfig: defaults', () => {
  test('an empty environment: the default queue, no SMTP (outbox), data under ./.data', () => {
    // toMatchObject: settings added later may join these.
    expect(loadWorkerConfig({}, cwd)).toMatchObject({
      taskQueue: 'review-cycles-v1',
      mailFrom: 'review-cycles@localhost',
      dataDir: join(cwd, '.data'),
      outboxDir: join(cwd, '.data', 'outbox'),
      postgresPort: 55432,
      linkKeysFile: join(cwd, '.data', 'link-keys'),
    });
    expect(loadWorkerConfig({}, cwd).smtpUrl).toBeUndefined();
    expect(loadWorkerConfig({}, cwd).publicUrl).toBeUndefined();
  });

  test('the public URL of the portal, for the links in notices: without a trailing "/"', () => {
    expect(loadWorkerConfig({ REVIEW_CYCLES_PUBLIC_URL: 'https://review.example.org/' }, cwd).publicUrl).toBe('https://review.example.org');
    expect(loadWorkerConfig({ REVIEW_CYCLES_PUBLIC_URL: 'http://127.0.0.1:8080' }, cwd).publicUrl).toBe('http://127.0.0.1:8080');
    expect(loadWorkerConfig({ REVIEW_CYCLES_PUBLIC_URL: 'https://intranet.example.org/review-cycles' }, cwd).publicUrl).toBe('https://intranet.example.org/review-cycles');
    expect(loadWorkerConfig({ REVIEW_CYCLES_PUBLIC_URL: '' }, cwd).publicUrl).toBeUndefined();
    expect(loadWorkerConfig({ REVIEW_CYCLES_DATA_DIR: '/data' }, cwd).linkKeysFile).toBe('/data/link-keys');
  });

  test('unrelated variables are ignored', () => {
    expect(loadWorkerConfig({ PATH: '/usr/bin', HOME: '/root', TEMPORAL_ADDRESS: 'x:1' }, cwd).taskQueue).toBe('review-cycles-v1');
  });

  test('blank optional settings count as unset', () => {
    const c = loadWorkerConfig({ REVIEW_CYCLES_SMTP_URL: '', REVIEW_CYCLES_MAIL_FROM: '', REVIEW_CYCLES_DATA_DIR: '', REVIEW_CYCLES_OUTBOX_DIR: '' }, cwd);
    expect(c).toMatchObject({ smtpUrl: undefined, mailFrom: 'review-cycles@localhost', dataDir: join(cwd, '.data'), outboxDir: join(cwd, '.data', 'outbox') });
  });

  test('every setting given: relative folders resolve against the working folder, absolute ones stay', () => {
    const c = loadWorkerConfig(
      {
        REVIEW_CYCLES_TASK_QUEUE: 'staging-queue',
        REVIEW_CYCLES_SMTP_URL: 'smtps://user:secret@mail.example.org:465',
        REVIEW_CYCLES_MAIL_FROM: 'office@example.org',
        REVIEW_CYCLES_DATA_DIR: 'var/data',
        REVIEW_CYCLES_OUTBOX_DIR: '/var/mail/outbox',
      },
      cwd,
    );
    expect(c).toMatchObject({
      taskQueue: 'staging-queue',
      smtpUrl: 'smtps://user:secret@mail.example.org:465',
      mailFrom: 'office@example.org',
      dataDir: join(cwd, 'var', 'data'),
      outboxDir: '/var/mail/outbox',
      postgresPort: 55432,
    });
    expect(loadWorkerConfig({ REVIEW_CYCLES_DATA_DIR: '/data' }, cwd)).toMatchObject({ dataDir: '/data', outboxDir: '/data/outbox' });
    expect(loadWorkerConfig({ REVIEW_CYCLES_SMTP_URL: 'smtp://127.0.0.1:2525' }, cwd).smtpUrl).toBe('smtp://127.0.0.1:2525');
  });
});

describe('loadWorkerConfig: bad values', () => {
  test.each([
    ['http://mail.example.org'],
    ['mail.example.org:587'],
    ['smtp://'],
    ['smtp://mail example.org'],
  ])('SMTP URL %j', (url) => {
    expect(configError({ REVIEW_CYCLES_SMTP_URL: url }).message).toBe(
      `invalid configuration:\n  REVIEW_CYCLES_SMTP_URL=${JSON.stringify(url)}: must be an smtp:// or smtps:// URL, e.g. smtp://user:pass@mail.example.org:587`,
    );
  });

  test.each([['review.example.org'], ['ftp://review.example.org'], ['https://review.example.org/?x=1'], ['https://review.example.org/#top'], ['https://'], ['https://a b']])(
    'public URL %j',
    (url) => {
      expect(configError({ REVIEW_CYCLES_PUBLIC_URL: url }).message).toBe(
        `invalid configuration:\n  REVIEW_CYCLES_PUBLIC_URL=${JSON.stringify(url)}: must be an http:// or https:// URL without query or fragment, e.g. https://review.example.org`,
      );
    },
  );

  test.each([['nobody'], ['hq@'], ['Head Office <hq@example.org>']])('from address %j', (from) => {
    expect(configError({ REVIEW_CYCLES_MAIL_FROM: from }).message).toBe(
      `invalid configuration:\n  REVIEW_CYCLES_MAIL_FROM=${JSON.stringify(from)}: must be an e-mail address`,
    );
  });

  test.each([[''], ['   ']])('task queue %j: set but empty is a mistake, not the default queue', (queue) => {
    expect(configError({ REVIEW_CYCLES_TASK_QUEUE: queue }).message).toBe(
      `invalid configuration:\n  REVIEW_CYCLES_TASK_QUEUE=${JSON.stringify(queue)}: must not be empty`,
    );
  });

  test('several at once: one line per variable, each with its rule', () => {
    const message = configError({
      REVIEW_CYCLES_TASK_QUEUE: '',
      REVIEW_CYCLES_SMTP_URL: 'http://x',
      REVIEW_CYCLES_MAIL_FROM: 'nobody',
    }).message;
    const lines = message.split('\n');
    expect(lines[0]).toBe('invalid configuration:');
    expect(lines.slice(1).sort()).toEqual([
      '  REVIEW_CYCLES_MAIL_FROM="nobody": must be an e-mail address',
      '  REVIEW_CYCLES_SMTP_URL="http://x": must be an smtp:// or smtps:// URL, e.g. smtp://user:pass@mail.example.org:587',
      '  REVIEW_CYCLES_TASK_QUEUE="": must not be empty',
    ]);
  });
});

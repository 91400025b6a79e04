import { testActivities } from '../helpers/activities.js';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { createFileSentLog } from '../../activities/mail/sent-log.js';
import { createActivities, type Mailer } from '../../activities/index.js';
import type { NoticeSpec } from '../../workflows/contract/notice.js';

const spec = (unitId: string): NoticeSpec => ({
  key: { planId: 'p', taskId: 't', unitId, period: '2030-Q1', kind: 'request', number: 1 },
  at: '2030-03-21T01:00:00.000Z',
  to: [`${unitId}@example.org`],
  cc: [],
  locale: 'en',
  timezone: 'Asia/Shanghai',
  planTitle: 'Plan',
  taskTitle: 'Task',
  unitName: unitId,
  dueDay: '2030-04-08',
  deadline: '2030-04-08T16:00:00.000Z',
  next: null,
});

test('a worker restarted over the same sent log does not send again what the crashed one sent', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'rc-sentlog-')), 'sent.jsonl');
  const delivered: string[] = [];
  const mailer: Mailer = { send: async (m) => (delivered.push(m.messageId), { rejected: [] }), close: async () => {} };
  const first = testActivities({ mailer, sentLog: createFileSentLog(file), from: 'hq@example.org' });
  await first.sendNotices({ at: spec('a').at, notices: [spec('a'), spec('b')] });
  // The crash cut the log's last line short: that line is ignored, the rest stands.
  appendFileSync(file, '{"messageId":"<cut');
  const second = testActivities({ mailer, sentLog: createFileSentLog(file), from: 'hq@example.org' });
  const outcomes = await second.sendNotices({ at: spec('a').at, notices: [spec('a'), spec('b'), spec('c')] });
  expect(delivered).toHaveLength(3);
  expect(new Set(delivered).size).toBe(3);
  expect(outcomes.map((o) => o.status)).toEqual(['sent', 'sent', 'sent']);
  // And a third worker still sees everything the second one sent after the cut line.
  const third = testActivities({ mailer, sentLog: createFileSentLog(file), from: 'hq@example.org' });
  await third.sendNotices({ at: spec('a').at, notices: [spec('c')] });
  expect(delivered).toHaveLength(3);
  expect(readFileSync(file, 'utf8')).toContain('"status":"sent"');
});

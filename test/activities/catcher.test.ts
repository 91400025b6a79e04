/** The mail catcher: a real SMTP server that keeps each message as an .eml file and lists them back, newest first. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { createSmtpMailer, type Mailer } from '../../activities/index.js';
import { INDEX_FILE, kindOf, linksIn, startMailCatcher, type MailCatcher } from '../../activities/mail/catcher.js';
import type { OutgoingMessage } from '../../activities/mail/mailer.js';

const dirs: string[] = [];
const open: { catcher?: MailCatcher; mailer?: Mailer }[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'rc-catcher-'));
  dirs.push(d);
  return d;
}

async function started(dir: string, port = 0) {
  const catcher = await startMailCatcher({ dir, port });
  const mailer = createSmtpMailer(catcher.url);
  open.push({ catcher, mailer });
  return { catcher, mailer };
}

function message(over: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    messageId: `<rc.request.${Math.random().toString(16).slice(2)}@review-cycles.invalid>`,
    from: 'review-cycles@localhost',
    to: ['alpha@example.org'],
    cc: [],
    subject: 'A subject',
    text: 'Hello.\n',
    html: '<p>Hello.</p>',
    headers: {},
    ...over,
  };
}

afterEach(async () => {
  for (const { catcher, mailer } of open.splice(0)) {
    await mailer?.close();
    await catcher?.close();
  }
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('mail catcher', () => {
  test('keeps what a real SMTP client sends and lists it back, newest first, with kind, addresses and links', async () => {
    const dir = tempDir();
    const { catcher, mailer } = await started(dir);
    expect(catcher.url).toBe(`smtp://127.0.0.1:${catcher.port}`);
    expect(catcher.port).toBeGreaterThan(0);

    const first = message({
      to: ['beta@example.org', 'beta-desk@example.org'],
      cc: ['leader@example.org'],
      subject: '[demo] Report request: Task One (2027-Q1), due 2027-04-05',
      text: 'Submit your report: http://127.0.0.1:8080/r/a2V5.eyJwIjoi.c2ln\nLeader view: https://portal.example.org/l/x.y.z.\nNot a link: ftp://x\n',
      headers: { 'X-Review-Cycles-Kind': 'request' },
    });
    await mailer.send(first);
    // No kind header: the kind comes from the Message-ID.
    const second = message({ messageId: '<rc.escalation.abc123@review-cycles.invalid>', subject: '升级通知：任务一', text: '提交报告：http://127.0.0.1:8080/r/t.u.v\n' });
    await mailer.send(second);
    const third = message({ messageId: '<plain-123@example.org>', subject: 'Something else', text: 'no links here' });
    await mailer.send(third);

    const list = await catcher.list();
    expect(list.map((m) => m.messageId)).toEqual([third.messageId, second.messageId, first.messageId]);
    const [c, b, a] = list;
    expect(a).toMatchObject({
      kind: 'request',
      to: ['beta@example.org', 'beta-desk@example.org'],
      cc: ['leader@example.org'],
      subject: first.subject,
      links: ['http://127.0.0.1:8080/r/a2V5.eyJwIjoi.c2ln', 'https://portal.example.org/l/x.y.z'],
    });
    expect(a.text).toContain('Submit your report:');
    expect(a.html).toBe('<p>Hello.</p>');
    expect(Date.parse(a.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(a.at <= b.at && b.at <= c.at).toBe(true);
    expect(b).toMatchObject({ kind: 'escalation', subject: '升级通知：任务一', links: ['http://127.0.0.1:8080/r/t.u.v'] });
    expect(c).toMatchObject({ kind: 'other', links: [] });

    // On disk: one .eml per message (no temporary files left) and one index line each.
    const files = readdirSync(dir);
    expect(files.filter((f) => f.endsWith('.eml'))).toHaveLength(3);
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const index = readFileSync(join(dir, INDEX_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { file: string; messageId: string; rcptTo: string[] });
    expect(index.map((e) => e.messageId)).toEqual([first.messageId, second.messageId, third.messageId]);
    expect(index[0].rcptTo.sort()).toEqual(['beta-desk@example.org', 'beta@example.org', 'leader@example.org']);
    expect(readFileSync(join(dir, index[0].file), 'utf8')).toContain('X-Review-Cycles-Kind: request');
  });

  test('survives a restart: a catcher over the same folder lists the earlier messages and adds new ones on top', async () => {
    const dir = tempDir();
    const one = await started(dir);
    const early = message({ subject: 'before the restart' });
    await one.mailer.send(early);
    await one.mailer.close();
    await one.catcher.close();
    await one.catcher.close(); // twice is fine

    const two = await started(dir);
    expect((await two.catcher.list()).map((m) => m.subject)).toEqual(['before the restart']);
    await two.mailer.send(message({ subject: 'after the restart' }));
    expect((await two.catcher.list()).map((m) => m.subject)).toEqual(['after the restart', 'before the restart']);
  });

  test('a message without its index line (cut off by a crash) is still listed; a torn index line is skipped', async () => {
    const dir = tempDir();
    const { catcher, mailer } = await started(dir);
    await mailer.send(message({ subject: 'indexed' }));
    const raw = readFileSync(join(dir, readdirSync(dir).find((f) => f.endsWith('.eml'))!));
    writeFileSync(join(dir, '29990101T000000000Z-orphan.eml'), Buffer.from(raw.toString('utf8').replace('Subject: indexed', 'Subject: orphan')));
    appendFileSync(join(dir, INDEX_FILE), '{"file":"torn');
    const list = await catcher.list();
    expect(list.map((m) => m.subject).sort()).toEqual(['indexed', 'orphan']);
  });

  test('a port already in use: the listen error, with code EADDRINUSE', async () => {
    const { catcher } = await started(tempDir());
    await expect(startMailCatcher({ dir: tempDir(), port: catcher.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});

describe('helpers', () => {
  test('linksIn: http(s) only, in order, once each, without the sentence punctuation around them', () => {
    expect(linksIn('see http://a.example/x. And (https://b.example/y?q=1&r=2), again http://a.example/x\nftp://c.example')).toEqual([
      'http://a.example/x',
      'https://b.example/y?q=1&r=2',
    ]);
    expect(linksIn('提交报告：http://127.0.0.1:8080/r/k.p.s。谢谢')).toEqual(['http://127.0.0.1:8080/r/k.p.s']);
    expect(linksIn('http://w.example/wiki/A_(b)')).toEqual(['http://w.example/wiki/A_(b)']);
  });

  test('kindOf: the header first, else the Message-ID, else other', () => {
    expect(kindOf('returned', '<rc.request.x@d>')).toBe('returned');
    expect(kindOf(undefined, '<rc.lagging.abc@review-cycles.invalid>')).toBe('lagging');
    expect(kindOf(undefined, '<abc@example.org>')).toBe('other');
    expect(kindOf(undefined, undefined)).toBe('other');
  });
});

/** Tokens verify only in their one canonical encoding: a sibling that decodes to the same bytes is a different string, and refused. */
import { describe, expect, test } from 'vitest';
import { newKeyring } from '../../security/keyring.js';
import { decodeBase64url, signToken, verifyToken } from '../../security/tokens.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** The same final character with its unused low bit flipped: Buffer.from decodes both to the same bytes. */
const sibling = (part: string) => `${part.slice(0, -1)}${ALPHABET[ALPHABET.indexOf(part.at(-1)!) ^ 1]}`;

describe('base64url', () => {
  test('canonical strings decode; non-canonical, padded or stray-character ones do not', () => {
    expect(decodeBase64url('aGk')?.toString()).toBe('hi');
    expect(decodeBase64url('')?.length).toBe(0);
    expect(Buffer.from('aGl', 'base64url').toString()).toBe('hi'); // what Buffer alone would accept
    for (const bad of ['aGl', 'aGk=', 'aG k', 'aGk.', 'aGk+', 'aG/k', 'a']) expect(decodeBase64url(bad), bad).toBeNull();
  });
});

describe('verifyToken', () => {
  const ring = newKeyring('ktest');
  // A plan id of a length whose JSON leaves unused bits in the payload's last character too.
  const token = signToken(ring, { p: 'report-link', plan: 'p1', task: 't1', unit: 'alpha', period: '2027-Q1', exp: Math.floor(Date.now() / 1000) + 3600 });
  const [head, body, sig] = token.split('.');

  test('the token as signed verifies', () => {
    expect(verifyToken(ring, token, 'report-link')).toMatchObject({ ok: true });
    // Each part's last character has unused bits, so each has siblings that Buffer.from decodes identically.
    for (const part of [head, body, sig]) expect(Buffer.from(sibling(part), 'base64url')).toEqual(Buffer.from(part, 'base64url'));
  });

  test('a sibling encoding of any part is refused as malformed', () => {
    expect(verifyToken(ring, `${head}.${body}.${sibling(sig)}`, 'report-link')).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyToken(ring, `${head}.${sibling(body)}.${sig}`, 'report-link')).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyToken(ring, `${sibling(head)}.${body}.${sig}`, 'report-link')).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyToken(ring, `${head}.${body}.${sig}=`, 'report-link')).toEqual({ ok: false, reason: 'malformed' });
  });
});

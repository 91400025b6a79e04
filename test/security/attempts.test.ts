/** The failed-attempt limiter as a plain function of its clock: the window, the wait it names, and its bounded memory. */
import { describe, expect, test } from 'vitest';
import { addressKey, AttemptLimiter } from '../../security/attempts.js';

describe('AttemptLimiter', () => {
  test('blocks an address after maxFailures in the window, for as long as its oldest failure stays in it', () => {
    let now = 1_000_000;
    const l = new AttemptLimiter({ maxFailures: 3, windowMs: 60_000, maxAddresses: 100 }, () => now);
    l.fail('a');
    now += 10_000;
    l.fail('a');
    expect(l.retryAfter('a')).toBe(0);
    l.fail('a');
    expect(l.retryAfter('a')).toBe(50); // the first failure leaves the window 50 s from now
    expect(l.retryAfter('b')).toBe(0); // other addresses are not touched
    now += 50_000;
    expect(l.retryAfter('a')).toBe(0);
    l.fail('a');
    expect(l.retryAfter('a')).toBe(10); // the second failure is now the oldest of three
  });

  test('keeps at most maxAddresses: expired ones are swept first, then the least recently failed go', () => {
    let now = 0;
    const l = new AttemptLimiter({ maxFailures: 1, windowMs: 1_000, maxAddresses: 3 }, () => now);
    l.fail('old');
    now = 5_000;
    l.fail('a');
    l.fail('b');
    l.fail('c'); // full: "old" has expired and goes
    expect(l.size).toBe(3);
    expect(['a', 'b', 'c'].map((x) => l.retryAfter(x) > 0)).toEqual([true, true, true]);
    l.fail('a'); // a is now the most recent
    l.fail('d'); // full of live entries: b, the least recently failed, goes
    expect(l.size).toBe(3);
    expect(l.retryAfter('b')).toBe(0);
    expect(['a', 'c', 'd'].map((x) => l.retryAfter(x) > 0)).toEqual([true, true, true]);
    for (let i = 0; i < 1000; i++) l.fail(`x${i}`);
    expect(l.size).toBe(3);
  });
});

describe('addressKey', () => {
  test('IPv4 as is (also mapped), IPv6 by its /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2::99')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey(undefined)).toBe('unknown');
  });
});

/**
 * Failed credential attempts per client address, in a sliding window: past the limit the address is refused (even
 * with the right credential) until its oldest failure in the window has aged out. Memory stays bounded: at most
 * `maxAddresses` are kept, expired ones are swept first and then the least recently failed are dropped.
 */

/** How many failures an address may have in the window, how long the window is, and how many addresses are kept. */
export interface AttemptLimits {
  maxFailures: number;
  windowMs: number;
  maxAddresses: number;
}

/** Headquarters' sign-in: 20 failures a minute per address, 10,000 addresses remembered. */
export const HQ_ATTEMPT_LIMITS: AttemptLimits = { maxFailures: 20, windowMs: 60_000, maxAddresses: 10_000 };

/** Counts failures per address and says how long a blocked address must wait. */
export class AttemptLimiter {
  /** Address -> the instants of its failures within the window, oldest first; Map order is least recently failed first. */
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limits: AttemptLimits = HQ_ATTEMPT_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until `address` may try again (at least 1), or 0 when it is not blocked. */
  retryAfter(address: string): number {
    const recent = this.recent(address, this.now());
    if (recent.length < this.limits.maxFailures) return 0;
    const freeAt = recent[recent.length - this.limits.maxFailures] + this.limits.windowMs;
    return Math.max(1, Math.ceil((freeAt - this.now()) / 1000));
  }

  /** Records one failed attempt from `address`. */
  fail(address: string): void {
    const at = this.now();
    const recent = this.recent(address, at);
    recent.push(at);
    // Only the newest maxFailures matter to the decision.
    if (recent.length > this.limits.maxFailures) recent.splice(0, recent.length - this.limits.maxFailures);
    this.failures.delete(address);
    if (this.failures.size >= this.limits.maxAddresses) this.evict(at);
    this.failures.set(address, recent);
  }

  /** How many addresses are remembered (for tests of the bound). */
  get size(): number {
    return this.failures.size;
  }

  private recent(address: string, at: number): number[] {
    const kept = this.failures.get(address);
    if (!kept) return [];
    const from = kept.findIndex((t) => t > at - this.limits.windowMs);
    return from < 0 ? [] : kept.slice(from);
  }

  private evict(at: number): void {
    for (const [address, times] of this.failures) {
      if (times[times.length - 1] <= at - this.limits.windowMs) this.failures.delete(address);
    }
    // Still full: the least recently failed addresses go.
    for (const address of this.failures.keys()) {
      if (this.failures.size < this.limits.maxAddresses) break;
      this.failures.delete(address);
    }
  }
}

/**
 * The key an address is counted under: IPv4 (also when mapped into IPv6) as is, IPv6 by its /64 prefix, since one
 * host commonly holds a whole /64 and could otherwise rotate through it.
 */
export function addressKey(remote: string | undefined): string {
  if (!remote) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote);
  if (mapped) return mapped[1];
  if (!remote.includes(':')) return remote;
  const [left, right = ''] = remote.toLowerCase().split('%')[0].split('::');
  const head = left ? left.split(':') : [];
  const tail = remote.includes('::') && right ? right.split(':') : [];
  const groups = remote.includes('::') ? [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail] : head;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

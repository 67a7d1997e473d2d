// Failed sign-ins are limited per (user, address), per user and per address over a
// sliding window. Limits lift on their own when the window passes, so an attacker
// can slow a real user down for a while but never lock them out for good, and a
// user signing in from their own address is held back only by their own failures
// or by a flood aimed at their account.
import { LRUCache } from 'lru-cache';

export interface LimitRule {
  max: number;
  windowMs: number;
}

export interface SignInLimits {
  perUserAndAddress: LimitRule;
  perUser: LimitRule;
  perAddress: LimitRule;
}

export const defaultSignInLimits: SignInLimits = {
  perUserAndAddress: { max: 10, windowMs: 15 * 60_000 },
  perUser: { max: 100, windowMs: 15 * 60_000 },
  perAddress: { max: 50, windowMs: 15 * 60_000 },
};

/** How many keys each window remembers in each of its two tiers (bounded memory under a flood). */
export const MAX_KEYS = 100_000;

// A window remembers failures per key in two bounded caches. Keys still under the
// limit are cheap to make (one failure each), so a flood of them only pushes out the
// oldest such keys. Keys at the limit, the ones currently refusing someone, live apart:
// pushing one out would take MAX_KEYS other keys at the limit, `max` failures each, so
// a flood of one-off failures from many addresses cannot lift a limit that holds.
class Window {
  private readonly counting: LRUCache<string, number[]>;
  private readonly limited: LRUCache<string, number[]>;

  constructor(private readonly rule: LimitRule) {
    this.counting = new LRUCache({ max: MAX_KEYS });
    this.limited = new LRUCache({ max: MAX_KEYS });
  }

  /** The key's failures still inside the window, filed in the tier they belong to. */
  private live(key: string, now: number, added?: number): number[] {
    const list = (this.limited.get(key) ?? this.counting.get(key) ?? []).filter((t) => now - t < this.rule.windowMs);
    if (added !== undefined) list.push(added);
    if (list.length > this.rule.max) list.splice(0, list.length - this.rule.max); // only the last `max` decide
    this.limited.delete(key);
    this.counting.delete(key);
    if (list.length >= this.rule.max) this.limited.set(key, list);
    else if (list.length > 0) this.counting.set(key, list);
    return list;
  }

  /** Milliseconds until the key may try again, or 0. */
  retryAfter(key: string, now: number): number {
    const list = this.live(key, now);
    if (list.length < this.rule.max) return 0;
    return (list[list.length - this.rule.max] as number) + this.rule.windowMs - now;
  }

  record(key: string, now: number): void {
    this.live(key, now, now);
  }
}

export class SignInLimiter {
  private readonly userAddr: Window;
  private readonly user: Window;
  private readonly addr: Window;

  constructor(
    limits: SignInLimits = defaultSignInLimits,
    private readonly clock: () => number = Date.now,
  ) {
    this.userAddr = new Window(limits.perUserAndAddress);
    this.user = new Window(limits.perUser);
    this.addr = new Window(limits.perAddress);
  }

  /** Seconds to wait before another attempt, or 0 when allowed now. */
  blockedFor(username: string | null, address: string): number {
    const now = this.clock();
    const u = username ?? '';
    const ms = Math.max(
      this.userAddr.retryAfter(`${u}\0${address}`, now),
      this.user.retryAfter(u, now),
      this.addr.retryAfter(address, now),
    );
    return Math.ceil(ms / 1000);
  }

  recordFailure(username: string | null, address: string): void {
    const now = this.clock();
    const u = username ?? '';
    this.userAddr.record(`${u}\0${address}`, now);
    if (username) this.user.record(u, now);
    this.addr.record(address, now);
  }
}

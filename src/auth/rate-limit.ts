// Failed sign-ins are limited per (user, address), per user and per address over a
// sliding window. Limits lift on their own when the window passes, so an attacker
// can slow a real user down for a while but never lock them out for good, and a
// user signing in from their own address is held back only by their own failures
// or by a flood aimed at their account.
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

class Window {
  private readonly hits = new Map<string, number[]>();
  constructor(private readonly rule: LimitRule) {}

  private live(key: string, now: number): number[] {
    const list = (this.hits.get(key) ?? []).filter((t) => now - t < this.rule.windowMs);
    if (list.length === 0) this.hits.delete(key);
    else this.hits.set(key, list);
    return list;
  }

  /** Milliseconds until the key may try again, or 0. */
  retryAfter(key: string, now: number): number {
    const list = this.live(key, now);
    if (list.length < this.rule.max) return 0;
    return (list[list.length - this.rule.max] as number) + this.rule.windowMs - now;
  }

  record(key: string, now: number): void {
    const list = this.live(key, now);
    list.push(now);
    this.hits.set(key, list);
    if (this.hits.size > 100_000) this.hits.clear(); // bounded memory under a flood
  }
}

export class SignInLimiter {
  private readonly userAddr: Window;
  private readonly user: Window;
  private readonly addr: Window;

  constructor(limits: SignInLimits = defaultSignInLimits, private readonly clock: () => number = Date.now) {
    this.userAddr = new Window(limits.perUserAndAddress);
    this.user = new Window(limits.perUser);
    this.addr = new Window(limits.perAddress);
  }

  /** Seconds to wait before another attempt, or 0 when allowed now. */
  blockedFor(username: string | null, address: string): number {
    const now = this.clock();
    const u = username ?? '';
    const ms = Math.max(this.userAddr.retryAfter(`${u}\0${address}`, now), this.user.retryAfter(u, now), this.addr.retryAfter(address, now));
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

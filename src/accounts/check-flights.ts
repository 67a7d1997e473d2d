// Password checks under way in this process. The sign-in limits count a failure once it
// is recorded, after its check (scrypt, about 300 ms at production cost), so a burst of
// guesses sent at once would all be checked before the first of them counted. Here the
// same attempt asked for at once (a client's parallel requests with one set of
// credentials) shares one check, and each limit key (user and address, user, address)
// may have at most CHECKS_PER_KEY different checks under way; beyond that the attempt is
// refused at once (429, Retry-After 1) and costs nothing. Entries live only while their
// check runs, so memory stays bounded by the checks in flight.

/** Different password checks one limit key may have under way at once. */
export const CHECKS_PER_KEY = 8;

export class CheckFlights<T> {
  private readonly shared = new Map<string, Promise<T>>();
  private readonly perKey = new Map<string, number>();

  constructor(private readonly perKeyMax = CHECKS_PER_KEY) {}

  /**
   * Runs `check` for the attempt (a digest naming it whole, secret included), or joins
   * the same attempt under way (`joined`: its result is another request's, and anything
   * each request must do, such as counting its failure, is the caller's); null when one
   * of its limit keys has no room.
   */
  run(
    attempt: string,
    keys: readonly string[],
    check: () => Promise<T>,
  ): { result: Promise<T>; joined: boolean } | null {
    const under = this.shared.get(attempt);
    if (under) return { result: under, joined: true };
    if (keys.some((k) => (this.perKey.get(k) ?? 0) >= this.perKeyMax)) return null;
    for (const k of keys) this.perKey.set(k, (this.perKey.get(k) ?? 0) + 1);
    const running = check().finally(() => {
      this.shared.delete(attempt);
      for (const k of keys) {
        const n = (this.perKey.get(k) ?? 1) - 1;
        if (n > 0) this.perKey.set(k, n);
        else this.perKey.delete(k);
      }
    });
    this.shared.set(attempt, running);
    return { result: running, joined: false };
  }

  /** Checks under way (tests). */
  get size(): number {
    return this.shared.size;
  }
}

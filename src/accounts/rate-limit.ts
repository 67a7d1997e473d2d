// Failed sign-ins are limited per (user, address), per user and per address over a
// sliding window. Limits lift on their own when the window passes, so an attacker
// can slow a real user down for a while but never lock them out for good, and a
// user signing in from their own address is held back only by their own failures
// or by a flood aimed at their account.
//
// The failures live in the database (sign_in_failures, sql/007), so the limits hold
// for the whole deployment: N replicas behind a load balancer allow `max` guesses,
// not N × `max`. One row per key holds the key's failures inside its window (at most
// `max` of them) and, once it holds `max`, when the oldest leaves the window
// (blocked_until, which is what Retry-After counts down to). Recording a failure is
// one statement that rewrites the rows of the attempt's keys under their row locks,
// so failures made at once on several replicas are all counted.
//
// Checking is the hot path (Helm sends Basic credentials on every request), so it
// costs no round trip of its own on a sign-in: `blockedUntilOf` rides along with the
// user lookup in src/accounts/principal.ts, and that read is memoised until the
// credential tables change (Database.cachedCredentials; a failure recorded is such a
// change, so the memo is not kept past it).
// What is read is when a limit lifts, not whether it holds now; the clock is compared
// in JS, so a memoised blocked_until stays right as time passes.
import { createHash } from 'node:crypto';
import type { Queryable } from '../db/database.js';

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

/** How many keys each of the two tiers keeps (bounded storage under a flood); see pruneSignInFailures. */
export const MAX_KEYS = 100_000;

type Kind = 'user-address' | 'user' | 'address';

interface LimitKey {
  /** A digest of the kind and what it counts: fixed size, and nothing stored in the clear. */
  key: string;
  kind: Kind;
  rule: LimitRule;
}

const digest = (...parts: string[]): string => createHash('sha256').update(JSON.stringify(parts)).digest('base64url');

/**
 * A derived table of one row whose one column, blocked_until, is when the latest of the
 * given keys' limits lifts (null when none holds); `keysParam` names a text[] parameter
 * holding SignInLimiter.keys(). Other queries of src/accounts join it, so that a check
 * costs no round trip of its own.
 */
export const blockedUntilOf = (keysParam: string): string =>
  `(SELECT max(blocked_until) AS blocked_until FROM sign_in_failures WHERE key = ANY(${keysParam}::text[]))`;

/** When the latest of the keys' limits lifts, or null when none holds. */
export async function signInBlockedUntil(q: Queryable, keys: string[]): Promise<Date | null> {
  const rows = await q.query<{ blocked_until: Date | null }>(`SELECT blocked_until FROM ${blockedUntilOf('$1')} l`, [
    keys,
  ]);
  return rows[0]?.blocked_until ?? null;
}

// The failures of each key stay in the window; the newest `max` of them are kept (only
// they can decide), and the row is blocked once it holds `max`. The new row's values
// come from the attempt, the old row's from its latest version, read under the row
// lock the upsert takes, so concurrent failures on other replicas are never lost.
// Rows are locked in the order given (user-address, user, address), the same order
// in every statement, so two failures cannot deadlock on each other's rows.
const RECORD_FAILURE = `WITH attempt AS (
    SELECT key, kind, max_failures, window_ms * interval '1 millisecond' AS window_len, n
    FROM unnest($1::text[], $2::text[], $3::int[], $4::int[]) WITH ORDINALITY AS a (key, kind, max_failures, window_ms, n)
  )
  INSERT INTO sign_in_failures AS f (key, kind, failed_at, blocked_until, expires_at)
  SELECT key, kind, ARRAY[$5::timestamptz],
    CASE WHEN max_failures <= 1 THEN $5::timestamptz + window_len END, $5::timestamptz + window_len
  FROM attempt ORDER BY n
  ON CONFLICT (key) DO UPDATE SET (failed_at, blocked_until, expires_at) = (
    SELECT kept.failed_at,
      CASE WHEN cardinality(kept.failed_at) >= a.max_failures THEN kept.failed_at[1] + a.window_len END,
      EXCLUDED.expires_at
    FROM attempt a CROSS JOIN LATERAL (
      SELECT ARRAY(
        SELECT t FROM (
          SELECT t FROM unnest(f.failed_at || EXCLUDED.failed_at) AS t
          WHERE t > $5::timestamptz - a.window_len ORDER BY t DESC LIMIT a.max_failures
        ) AS recent ORDER BY t
      ) AS failed_at
    ) AS kept
    WHERE a.key = EXCLUDED.key
  )`;

// Bounded storage. Rows whose window has passed go. Beyond that, the table keeps two
// tiers, like two bounded caches: keys still under their limit ("counting") and keys
// at it (blocked, the ones refusing someone now). Counting keys are cheap to make (one
// failure each), so a flood of them pushes out only the least recently failed counting
// keys. Blocked keys are capped apart, soonest to lift first: pushing one out would
// take MAX_KEYS other blocked keys, `max` failures each, so a flood of one-off failures
// from many addresses cannot lift a limit that holds. Rows another statement holds are
// skipped (never waited for), so pruning cannot deadlock with a failure being recorded.
const PRUNE = `WITH gone AS (
  DELETE FROM sign_in_failures WHERE key IN (
    SELECT key FROM sign_in_failures
    WHERE expires_at <= $1
      OR ((blocked_until IS NULL OR blocked_until <= $1) AND (expires_at, key) <= (
        SELECT expires_at, key FROM sign_in_failures WHERE blocked_until IS NULL OR blocked_until <= $1
        ORDER BY expires_at DESC, key DESC OFFSET $2 LIMIT 1))
      OR (blocked_until > $1 AND (blocked_until, key) <= (
        SELECT blocked_until, key FROM sign_in_failures WHERE blocked_until > $1
        ORDER BY blocked_until DESC, key DESC OFFSET $2 LIMIT 1))
    FOR UPDATE SKIP LOCKED
  ) RETURNING 1
) SELECT count(*)::int AS n FROM gone`;

/**
 * Deletes the failures whose window has passed and, beyond `maxKeys` keys in a tier, the
 * oldest (see above); returns how many rows went. Sign-ins call it every tenth of
 * `maxKeys` failures, and the sweeper (src/plugins/sweeper.ts) hourly for quiet times.
 */
export async function pruneSignInFailures(q: Queryable, now = Date.now(), maxKeys = MAX_KEYS): Promise<number> {
  // OFFSET maxKeys names a tier's first row beyond the cap, in an order with no ties
  // (failures made in the same millisecond are told apart by their key).
  const [row] = await q.query<{ n: number }>(PRUNE, [new Date(now), maxKeys]);
  return row?.n ?? 0;
}

export interface SignInLimiterOptions {
  /** Milliseconds since the epoch (tests move it). */
  clock?: () => number;
  /** Keys each tier keeps (tests lower it); MAX_KEYS by default. */
  maxKeys?: number;
}

export class SignInLimiter {
  private readonly clock: () => number;
  private readonly maxKeys: number;
  /** Failures recorded here since this instance last pruned. */
  private sincePrune = 0;

  constructor(
    private readonly db: Queryable,
    private readonly limits: SignInLimits = defaultSignInLimits,
    opts: SignInLimiterOptions = {},
  ) {
    this.clock = opts.clock ?? Date.now;
    this.maxKeys = opts.maxKeys ?? MAX_KEYS;
  }

  private limitKeys(username: string | null, address: string): LimitKey[] {
    const u = username ?? '';
    const keys: LimitKey[] = [
      { key: digest('user-address', u, address), kind: 'user-address', rule: this.limits.perUserAndAddress },
    ];
    // No username (a Bearer token) counts per address only.
    if (username) keys.push({ key: digest('user', u), kind: 'user', rule: this.limits.perUser });
    keys.push({ key: digest('address', address), kind: 'address', rule: this.limits.perAddress });
    return keys;
  }

  /** The keys an attempt is checked against, for blockedUntilOf and signInBlockedUntil. */
  keys(username: string | null, address: string): string[] {
    return this.limitKeys(username, address).map((k) => k.key);
  }

  /** Seconds to wait until `blockedUntil` (as read for an attempt's keys), or 0 when it has passed. */
  secondsUntil(blockedUntil: Date | null): number {
    if (!blockedUntil) return 0;
    return Math.max(0, Math.ceil((blockedUntil.getTime() - this.clock()) / 1000));
  }

  /** Seconds to wait before another attempt, or 0 when allowed now. */
  async blockedFor(username: string | null, address: string): Promise<number> {
    return this.secondsUntil(await signInBlockedUntil(this.db, this.keys(username, address)));
  }

  async recordFailure(username: string | null, address: string): Promise<void> {
    const now = this.clock();
    const keys = this.limitKeys(username, address);
    await this.db.query(RECORD_FAILURE, [
      keys.map((k) => k.key),
      keys.map((k) => k.kind),
      keys.map((k) => k.rule.max),
      keys.map((k) => k.rule.windowMs),
      new Date(now),
    ]);
    // Each failure adds at most three rows: pruning every tenth of the cap keeps the
    // table within a few tenths of it per replica, at one statement per many failures.
    if (++this.sincePrune >= Math.ceil(this.maxKeys / 10)) {
      this.sincePrune = 0;
      await pruneSignInFailures(this.db, now, this.maxKeys);
    }
  }
}

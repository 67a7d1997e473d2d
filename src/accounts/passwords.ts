// Password hashing with scrypt from node:crypto. The stored form carries its own
// parameters so they can be raised later without breaking existing hashes:
//   scrypt$N$r$p$<salt base64>$<hash base64>
// A hash made with weaker parameters than today's is replaced at the owner's next
// successful sign-in (see needsRehash and src/accounts/principal.ts).
import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';

export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/** OWASP's current minimum for scrypt (Password Storage Cheat Sheet): N=2^17, r=8, p=1.
 * Production always uses it; only tests pass a lower cost (BuildOptions.scryptCost). */
export const DEFAULT_SCRYPT_COST: ScryptCost = { N: 2 ** 17, r: 8, p: 1 };

const KEY_LENGTH = 32;
// scrypt needs 128 * N * r bytes: 128 MiB at the default cost; node refuses above maxmem.
const MAX_MEM = 256 * 1024 * 1024;

function scrypt(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, KEY_LENGTH, { ...cost, maxmem: MAX_MEM }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** The cost and the base64 salt and hash of a stored hash, or null when it is not ours. */
function fields(stored: string): { cost: ScryptCost; salt: string; hash: string } | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  if (![cost.N, cost.r, cost.p].every((v) => Number.isSafeInteger(v) && v > 0)) return null;
  return { cost, salt, hash };
}

function parse(stored: string): { cost: ScryptCost; salt: Buffer; hash: Buffer } | null {
  const f = fields(stored);
  return f && { cost: f.cost, salt: Buffer.from(f.salt, 'base64'), hash: Buffer.from(f.hash, 'base64') };
}

export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, cost);
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const actual = await scrypt(password, parsed.salt, parsed.cost);
  return actual.length === parsed.hash.length && timingSafeEqual(actual, parsed.hash);
}

/** True when the stored hash was made with any parameter below `cost` (or is not ours). */
export function needsRehash(stored: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): boolean {
  // Asked on every authenticated request: the cost only, no base64 decoding.
  const parsed = fields(stored);
  if (!parsed) return true;
  return parsed.cost.N < cost.N || parsed.cost.r < cost.r || parsed.cost.p < cost.p;
}

/** A hash of a random password at the given cost, compared against when a user does
 * not exist, so that unknown and known usernames take the same time to refuse. */
const dummyHashes = new Map<string, Promise<string>>();
export function dummyPasswordHash(cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  const key = `${cost.N}$${cost.r}$${cost.p}`;
  let hash = dummyHashes.get(key);
  if (!hash) {
    hash = hashPassword(randomBytes(16).toString('hex'), cost);
    dummyHashes.set(key, hash);
  }
  return hash;
}

export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

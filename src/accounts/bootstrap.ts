// The first start on an empty database creates the platform admin.
import type { Database } from '../db/database.js';
import { DEFAULT_SCRYPT_COST, generatePassword, hashPassword, type ScryptCost } from './passwords.js';

export interface BootstrapResult {
  created: boolean;
  /** Set only when the password was generated and must be shown once. */
  generatedPassword: string | null;
}

export async function ensureAdmin(
  db: Database,
  configuredPassword: string | null,
  cost: ScryptCost = DEFAULT_SCRYPT_COST,
): Promise<BootstrapResult> {
  const existing = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
  if ((existing[0]?.n ?? 0) > 0) return { created: false, generatedPassword: null };
  const password = configuredPassword ?? generatePassword();
  const hash = await hashPassword(password, cost);
  const inserted = await db.query<{ id: number }>(
    `INSERT INTO users (username, display_name, password_hash, platform_role)
     SELECT 'admin', 'Platform administrator', $1, 'platform-admin'
      WHERE NOT EXISTS (SELECT 1 FROM users)
     ON CONFLICT (username) DO NOTHING RETURNING id`, // two replicas starting at once: one inserts
    [hash],
  );
  if (inserted.length === 0) return { created: false, generatedPassword: null }; // another replica won
  return { created: true, generatedPassword: configuredPassword ? null : password };
}

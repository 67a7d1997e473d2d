// What the test runner (scripts/test.sh) found on this machine. A suite that needs a
// missing service fails loudly in CI (CHARTROOM_REQUIRE_ALL=1) instead of skipping.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const requireAll = process.env.CHARTROOM_REQUIRE_ALL === '1';

export function need(name: string, why: string): string {
  const v = process.env[name];
  if (!v) {
    throw new Error(
      `${name} is not set: ${why}. Run the tests through "npm test" (scripts/test.sh), which sets it up.`,
    );
  }
  return v;
}

export type Engine = 'pglite' | 'postgres';
export type Store = 'disk' | 's3';

/** Engines to run engine-parametrised suites on; Postgres only when the runner found it. */
export function engines(): Engine[] {
  if (process.env.CHARTROOM_TEST_PG_URL) return ['pglite', 'postgres'];
  if (requireAll) throw new Error('CHARTROOM_TEST_PG_URL is not set but CHARTROOM_REQUIRE_ALL=1: Postgres is required');
  return ['pglite'];
}

export function stores(): Store[] {
  if (process.env.CHARTROOM_TEST_S3_ENDPOINT) return ['disk', 's3'];
  if (requireAll) {
    throw new Error('CHARTROOM_TEST_S3_ENDPOINT is not set but CHARTROOM_REQUIRE_ALL=1: MinIO is required');
  }
  return ['disk'];
}

export function corpusDir(): string {
  return process.env.CHARTROOM_CORPUS ?? path.resolve(repoRoot, '../shared/corpus');
}

// Package file names, "<name>-<version>.tgz" (or ".tgz.prov"), read back into the
// chart name and version they can stand for. URLs and provenance files carry them, so
// they come from anyone: a name that no chart could have (too long, odd characters) is
// refused here, before any lookup, and the work per name is bounded by the limits.
import { CHART_NAME_RE, MAX_CHART_NAME_LENGTH, MAX_CHART_VERSION_LENGTH, STRICT_SEMVER_RE } from './metadata.js';

const MAX_BASE_LENGTH = MAX_CHART_NAME_LENGTH + 1 + MAX_CHART_VERSION_LENGTH;
// Name characters, plus "+" which only a version's build metadata may hold.
const BASE_RE = /^[a-zA-Z0-9._+-]+$/;

export interface PackageFileName {
  /** Every (name, version) the file name can stand for, shortest name first. */
  candidates: Array<{ name: string; version: string }>;
  prov: boolean;
}

/**
 * Splits a package file name at each "-" that leaves a valid chart name and a strict
 * SemVer version. Usually there is one split; "a-1.0.0-1.0.0" has two (a 1.0.0-1.0.0,
 * and a-1.0.0 1.0.0), which a caller resolves with one lookup of all candidates.
 * Returns null when the name cannot be a chart package's.
 */
export function parsePackageFileName(file: string): PackageFileName | null {
  const prov = file.endsWith('.tgz.prov');
  const base = prov ? file.slice(0, -'.tgz.prov'.length) : file.endsWith('.tgz') ? file.slice(0, -'.tgz'.length) : null;
  if (base === null || base.length > MAX_BASE_LENGTH || !BASE_RE.test(base)) return null;
  const candidates: Array<{ name: string; version: string }> = [];
  // Only the last MAX_CHART_VERSION_LENGTH + 1 characters can hold the split, so at
  // most that many short suffixes are tested, whatever the input.
  const from = Math.max(1, base.length - MAX_CHART_VERSION_LENGTH - 1);
  for (let i = base.indexOf('-', from); i > 0 && i <= MAX_CHART_NAME_LENGTH; i = base.indexOf('-', i + 1)) {
    const name = base.slice(0, i);
    const version = base.slice(i + 1);
    if (name !== '.' && name !== '..' && CHART_NAME_RE.test(name) && STRICT_SEMVER_RE.test(version)) {
      candidates.push({ name, version });
    }
  }
  return candidates.length > 0 ? { candidates, prov } : null;
}

/** A key for one (name, version) pair; "\0" cannot occur in either. */
export function pairKey(name: string, version: string): string {
  return `${name}\0${version}`;
}

/** All candidates of some parsed names as two parallel arrays, for one `unnest($1, $2)` lookup. */
export function candidateColumns(parsed: Iterable<PackageFileName>): { names: string[]; versions: string[] } {
  const names: string[] = [];
  const versions: string[] = [];
  for (const p of parsed) {
    for (const c of p.candidates) {
      names.push(c.name);
      versions.push(c.version);
    }
  }
  return { names, versions };
}

/** The row of the first candidate (shortest name) that the lookup found, if any. */
export function firstFound<T>(parsed: PackageFileName, found: ReadonlyMap<string, T>): T | undefined {
  for (const c of parsed.candidates) {
    const hit = found.get(pairKey(c.name, c.version));
    if (hit !== undefined) return hit;
  }
  return undefined;
}

// Text Chartroom stores must be valid Unicode. JSON ("\ud800") and YAML escapes can
// spell a lone UTF-16 surrogate, which no UTF-8 text can hold: Postgres refuses it in
// JSON (and the driver would quietly turn it into U+FFFD in plain text). Such input is
// refused where it enters, with the place it was found.

// With the u flag a class of surrogates matches only unpaired ones: a valid pair is
// read as one code point above U+FFFF.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s);
}

/** Arrays and plain objects (what JSON and YAML parsers make), not streams or buffers. */
function isPlainContainer(v: unknown): v is Record<string, unknown> | unknown[] {
  if (Array.isArray(v)) return true;
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

interface Visit {
  value: unknown;
  parent: Visit | null;
  key: string | number | null;
}

/** The path of a visited value, built only when something was found. */
function pathOf(item: Visit, base: string): string {
  const parts: Array<string | number> = [];
  for (let at: Visit | null = item; at && at.key !== null; at = at.parent) parts.unshift(at.key);
  let path = base;
  for (const k of parts) path = typeof k === 'number' ? `${path}[${k}]` : path ? `${path}.${k}` : k;
  return path;
}

/**
 * The path (like "maintainers[0].name", or "" for the value itself) of the first
 * string or mapping key in a parsed JSON or YAML value that holds a lone surrogate,
 * or null when there is none. Anything but plain data (a stream body) is not looked into.
 * Every request body passes through here, so paths are built only for a hit.
 */
export function findLoneSurrogate(value: unknown, path = ''): string | null {
  const stack: Visit[] = [{ value, parent: null, key: null }];
  while (stack.length > 0) {
    const item = stack.pop() as Visit;
    const v = item.value;
    if (typeof v === 'string') {
      if (hasLoneSurrogate(v)) return pathOf(item, path);
    } else if (!isPlainContainer(v)) {
      continue;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], parent: item, key: i });
    } else {
      const keys = Object.keys(v);
      for (const k of keys) {
        if (!hasLoneSurrogate(k)) continue;
        const at = pathOf(item, path);
        return at ? `${at} (a key)` : '(a key)';
      }
      // Pushed last to first, so that the first bad value in document order is named.
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i] as string;
        stack.push({ value: v[k], parent: item, key: k });
      }
    }
  }
  return null;
}

// A line diff for the review's "values diff": Myers' O(ND) algorithm over lines, after
// trimming the common head and tail. Work is capped: files over MAX_LINES lines are not
// compared at all, and when the middle needs more than MAX_EDITS edits the answer is the
// plain "old lines out, new lines in" (still correct, only not minimal).

export interface DiffLine {
  kind: 'same' | 'add' | 'del';
  text: string;
}

export const MAX_LINES = 5000;
const MAX_EDITS = 2000;

/** Lines of a text file; a final newline does not make an extra empty line. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The edit script between two line lists, or null when they are too large to compare. */
export function diffLines(before: string[], after: string[]): DiffLine[] | null {
  if (before.length > MAX_LINES || after.length > MAX_LINES) return null;
  let head = 0;
  while (head < before.length && head < after.length && before[head] === after[head]) head++;
  let tail = 0;
  while (
    tail < before.length - head &&
    tail < after.length - head &&
    before[before.length - 1 - tail] === after[after.length - 1 - tail]
  ) {
    tail++;
  }
  const a = before.slice(head, before.length - tail);
  const b = after.slice(head, after.length - tail);
  const middle = myers(a, b) ?? [
    ...a.map((text): DiffLine => ({ kind: 'del', text })),
    ...b.map((text): DiffLine => ({ kind: 'add', text })),
  ];
  return [
    ...before.slice(0, head).map((text): DiffLine => ({ kind: 'same', text })),
    ...middle,
    ...before.slice(before.length - tail).map((text): DiffLine => ({ kind: 'same', text })),
  ];
}

/** Myers' greedy shortest edit script; null past MAX_EDITS edits. */
function myers(a: string[], b: string[]): DiffLine[] | null {
  const n = a.length;
  const m = b.length;
  if (n === 0 && m === 0) return [];
  const max = n + m;
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  // trace[d] holds v[-d..d] as it was after round d (index k + d).
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    if (d > MAX_EDITS) return null;
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) return backtrack(a, b, trace, d);
    }
    trace.push(v.slice(off - d, off + d + 1));
  }
  return null;
}

function backtrack(a: string[], b: string[], trace: Int32Array[], last: number): DiffLine[] {
  const out: DiffLine[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = last; d > 0; d--) {
    const prev = trace[d - 1]!;
    const at = (k: number): number => prev[k + d - 1]!;
    const k = x - y;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      out.push({ kind: 'same', text: a[x - 1]! });
      x--;
      y--;
    }
    if (down) out.push({ kind: 'add', text: b[y - 1]! });
    else out.push({ kind: 'del', text: a[x - 1]! });
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    out.push({ kind: 'same', text: a[x - 1]! });
    x--;
    y--;
  }
  return out.reverse();
}

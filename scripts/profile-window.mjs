// Reads a V8 .cpuprofile (from BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR") and shows
// where a window of it went, to profile one row of a bench run out of the whole server's life.
//   node scripts/profile-window.mjs FILE              one line per second: busy share, top function
//   node scripts/profile-window.mjs FILE FROM TO      self and inclusive shares within FROM..TO s
import fs from 'node:fs';

const [file, from, to] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/profile-window.mjs FILE.cpuprofile [FROM_S TO_S]');
  process.exit(2);
}
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
const label = (n) =>
  `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`;
let clock = 0;
const at = profile.timeDeltas.map((d) => (clock += d) / 1e6);

const add = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);
const top = (map, n) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n);

if (from === undefined) {
  const seconds = new Map();
  profile.samples.forEach((id, i) => {
    const s = Math.floor(at[i]);
    const e = seconds.get(s) ?? { busy: 0, all: 0, fns: new Map() };
    e.all++;
    const n = nodes.get(id);
    if (n.callFrame.functionName !== '(idle)') {
      e.busy++;
      add(e.fns, label(n));
    }
    seconds.set(s, e);
  });
  for (const [s, e] of [...seconds].sort((a, b) => a[0] - b[0])) {
    console.log(`${String(s).padStart(5)} s  busy ${(e.busy / e.all).toFixed(2)}  ${top(e.fns, 1)[0]?.[0] ?? ''}`);
  }
} else {
  const self = new Map();
  const inclusive = new Map();
  let count = 0;
  profile.samples.forEach((id, i) => {
    if (at[i] < Number(from) || at[i] >= Number(to)) return;
    count++;
    add(self, label(nodes.get(id)));
    const seen = new Set();
    for (let p = id; p !== undefined; p = parentOf.get(p)) seen.add(label(nodes.get(p)));
    for (const k of seen) add(inclusive, k);
  });
  const pct = (v) => `${((100 * v) / count).toFixed(1).padStart(5)}%`;
  console.log(`${count} samples from ${from} s to ${to} s\n-- self`);
  for (const [k, v] of top(self, 30)) console.log(pct(v), k);
  console.log('-- inclusive');
  for (const [k, v] of top(inclusive, 40)) console.log(pct(v), k);
}

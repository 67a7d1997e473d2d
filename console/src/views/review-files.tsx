// A version's chart files as a reviewer reads them (README rendered, YAML as text) and
// its values.yaml diffed against the previous version.
import { useState } from 'preact/hooks';
import { api, ApiError, path, text, type VersionList } from '../api.ts';
import { Loaded, useAsync } from '../components.tsx';
import { diffLines, splitLines, type DiffLine } from '../diff.ts';
import { Markdown } from '../markdown.tsx';

/** Compares strict SemVer 2 versions (build metadata ignored); negative when a < b. */
export function compareSemver(a: string, b: string): number {
  const parse = (v: string) => {
    const [main = '', pre] = v.split('+', 1)[0]!.split(/-(.*)/s, 2);
    return { nums: main.split('.').map((n) => Number(n)), pre: pre ? pre.split('.') : [] };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d) return d;
  }
  if (!x.pre.length || !y.pre.length) return y.pre.length - x.pre.length;
  for (let i = 0; i < Math.max(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i];
    const q = y.pre[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    if (p === q) continue;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn) return Number(p) - Number(q);
    if (pn) return -1;
    if (qn) return 1;
    return p < q ? -1 : 1;
  }
  return 0;
}

/** A chart file as text; null when the chart has none (404). */
async function chartFile(ws: string, app: string, version: string, name: string): Promise<string | null> {
  try {
    return await text(path`/api/v1/workspaces/${ws}/apps/${app}/versions/${version}/files/${name}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

export function ChartFile({ ws, app, version, name }: { ws: string; app: string; version: string; name: string }) {
  const file = useAsync(() => chartFile(ws, app, version, name), [ws, app, version, name]);
  return (
    <Loaded state={file}>
      {(content) =>
        content === null ? (
          <p class="muted">This chart has no {name}.</p>
        ) : name === 'README.md' ? (
          <div class="panel">
            <Markdown source={content} />
          </div>
        ) : (
          <pre tabIndex={0} aria-label={name}>
            {content}
          </pre>
        )
      }
    </Loaded>
  );
}

const CONTEXT = 3;

function DiffView({ lines }: { lines: DiffLine[] }) {
  const [all, setAll] = useState(false);
  const changed = lines.filter((l) => l.kind !== 'same').length;
  // Long unchanged runs fold to a few lines of context around each change.
  const shown: (DiffLine | { kind: 'skip'; count: number })[] = [];
  for (let i = 0; i < lines.length;) {
    if (lines[i]!.kind !== 'same' || all) {
      shown.push(lines[i]!);
      i++;
      continue;
    }
    let j = i;
    while (j < lines.length && lines[j]!.kind === 'same') j++;
    const keepHead = i === 0 ? 0 : CONTEXT;
    const keepTail = j === lines.length ? 0 : CONTEXT;
    if (j - i > keepHead + keepTail + 1) {
      shown.push(...lines.slice(i, i + keepHead));
      shown.push({ kind: 'skip', count: j - i - keepHead - keepTail });
      shown.push(...lines.slice(j - keepTail, j));
    } else {
      shown.push(...lines.slice(i, j));
    }
    i = j;
  }
  const folded = shown.some((l) => l.kind === 'skip');
  return (
    <>
      <p class="muted">
        {changed === 0
          ? 'values.yaml is unchanged.'
          : `${lines.filter((l) => l.kind === 'add').length} lines added, ${lines.filter((l) => l.kind === 'del').length} removed.`}{' '}
        {(folded || all) && (
          <button type="button" class="secondary small" onClick={() => setAll(!all)} aria-pressed={all}>
            Show unchanged lines
          </button>
        )}
      </p>
      <pre class="diff" tabIndex={0} aria-label="Values diff">
        {shown.map((l, i) =>
          l.kind === 'skip' ? (
            <span key={i} class="same fold">
              {`  ⋯ ${l.count} unchanged line${l.count === 1 ? '' : 's'}\n`}
            </span>
          ) : (
            <span key={i} class={l.kind}>
              {l.kind === 'add' ? '+ ' : l.kind === 'del' ? '- ' : '  '}
              {l.text}
              {'\n'}
            </span>
          ),
        )}
      </pre>
    </>
  );
}

export function ValuesDiff({ ws, app, version }: { ws: string; app: string; version: string }) {
  const state = useAsync(async () => {
    const versions = await api<VersionList>(path`/api/v1/workspaces/${ws}/apps/${app}/versions`);
    const previous = versions.items
      .filter((v) => compareSemver(v.version, version) < 0)
      .sort((a, b) => compareSemver(b.version, a.version))[0];
    if (!previous) return { previous: null };
    const [before, after] = await Promise.all([
      chartFile(ws, app, previous.version, 'values.yaml'),
      chartFile(ws, app, version, 'values.yaml'),
    ]);
    return { previous: previous.version, lines: diffLines(splitLines(before ?? ''), splitLines(after ?? '')) };
  }, [ws, app, version]);
  return (
    <Loaded state={state}>
      {(d) =>
        d.previous === null ? (
          <p class="muted">This is the first version.</p>
        ) : (
          <>
            <p>
              Against the previous version, <strong>{d.previous}</strong>.
            </p>
            {d.lines ? (
              <DiffView lines={d.lines} />
            ) : (
              <p class="muted">The files are too large to compare (over 5,000 lines).</p>
            )}
          </>
        )
      }
    </Loaded>
  );
}

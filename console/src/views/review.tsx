// App review: the unprocessed and processed queues, and one version as a reviewer sees it
// (info, chart files, update log, history, the values diff against the previous version)
// with exactly the decisions the API allows the caller.
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  api,
  ApiError,
  path,
  text,
  type AppDetail,
  type EventList,
  type Review,
  type ReviewPage,
  type Version,
  type VersionList,
} from '../api.ts';
import {
  ErrorMessage,
  Field,
  formatTime,
  Icon,
  Loaded,
  PageTitle,
  StateBadge,
  useAction,
  useAsync,
} from '../components.tsx';
import { diffLines, splitLines, type DiffLine } from '../diff.ts';
import { Markdown } from '../markdown.tsx';
import { href, hrefWith, navigate } from '../router.ts';

export function Reviews({ status, q }: { status: string; q: string }) {
  const which = status === 'processed' ? 'processed' : 'unprocessed';
  const [search, setSearch] = useState(q);
  useEffect(() => setSearch(q), [q]);
  const [more, setMore] = useState<{ items: Review[]; next: string | null }>({ items: [], next: null });
  const loadMore = useAction();
  const page = useAsync(async () => {
    const params = new URLSearchParams({ status: which, limit: '50' });
    if (q) params.set('q', q);
    const first = await api<ReviewPage>(`/api/v1/reviews?${params}`);
    setMore({ items: [], next: first.nextCursor });
    return first;
  }, [which, q]);
  const tab = (to: 'unprocessed' | 'processed', label: string) => (
    <li>
      <a href={hrefWith({ status: to, q }, 'reviews')} aria-current={which === to ? 'page' : undefined}>
        {label}
      </a>
    </li>
  );
  return (
    <section>
      <PageTitle title="App Review">App Review</PageTitle>
      <nav aria-label="Review queues">
        <ul class="tabs">
          {tab('unprocessed', 'Unprocessed')}
          {tab('processed', 'Processed')}
        </ul>
      </nav>
      <form
        class="search"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(hrefWith({ status: which, q: search.trim() || undefined }, 'reviews'));
        }}
      >
        <label class="visually-hidden" for="review-search">
          Search the queue
        </label>
        <input
          id="review-search"
          type="search"
          placeholder="App, workspace or version"
          value={search}
          onInput={(e) => setSearch(e.currentTarget.value)}
        />
        <button type="submit">Search</button>
      </form>
      <Loaded state={page}>
        {(data) => {
          const items = [...data.items, ...more.items];
          if (items.length === 0) {
            return (
              <p class="muted" role="status">
                {which === 'unprocessed' ? 'No versions are waiting for review' : 'No versions were reviewed yet'}
                {q ? ` matching “${q}”` : ''}.
              </p>
            );
          }
          return (
            <>
              <div class="table-wrap">
                <table class="review-queue stack-table">
                  <thead>
                    <tr>
                      <th scope="col">App</th>
                      <th scope="col">Version</th>
                      <th scope="col">Workspace</th>
                      <th scope="col">{which === 'unprocessed' ? 'Submitted' : 'Reviewed'}</th>
                      <th scope="col">State</th>
                      <th scope="col">
                        <span class="visually-hidden">Open</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((r) => (
                      <tr key={`${r.app.workspace}/${r.app.name}/${r.version.version}`}>
                        <td data-label="App">
                          <span class="app-cell">
                            <Icon src={r.app.icon} name={r.app.name} size={28} />
                            <span>{r.app.name}</span>
                          </span>
                        </td>
                        <td data-label="Version">{r.version.version}</td>
                        <td data-label="Workspace">{r.app.workspace}</td>
                        <td data-label={which === 'unprocessed' ? 'Submitted' : 'Reviewed'}>
                          {formatTime(
                            which === 'unprocessed'
                              ? r.version.submittedAt
                              : (r.version.reviewedAt ?? r.version.updatedAt),
                          )}
                        </td>
                        <td data-label="State">
                          <StateBadge state={r.version.state} />
                        </td>
                        <td>
                          <a
                            href={href('reviews', r.app.workspace, r.app.name, r.version.version)}
                            aria-label={`Review ${r.app.name} ${r.version.version}`}
                          >
                            Review
                          </a>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <ErrorMessage error={loadMore.error} />
              {more.next && (
                <p>
                  <button
                    type="button"
                    class="secondary"
                    disabled={loadMore.busy}
                    onClick={() =>
                      loadMore.run(async () => {
                        const params = new URLSearchParams({ status: which, limit: '50', cursor: more.next! });
                        if (q) params.set('q', q);
                        const next = await api<ReviewPage>(`/api/v1/reviews?${params}`);
                        setMore((m) => ({ items: [...m.items, ...next.items], next: next.nextCursor }));
                      })
                    }
                  >
                    {loadMore.busy ? 'Loading…' : 'Show more'}
                  </button>
                </p>
              )}
            </>
          );
        }}
      </Loaded>
    </section>
  );
}

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

function ChartFile({ ws, app, version, name }: { ws: string; app: string; version: string; name: string }) {
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

function ValuesDiff({ ws, app, version }: { ws: string; app: string; version: string }) {
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

function History({ ws, app, version, stamp }: { ws: string; app: string; version: string; stamp: string }) {
  const events = useAsync(
    () => api<EventList>(path`/api/v1/workspaces/${ws}/apps/${app}/versions/${version}/events?limit=50`),
    [ws, app, version, stamp],
  );
  return (
    <Loaded state={events}>
      {(data) =>
        data.items.length === 0 ? (
          <p class="muted">No events.</p>
        ) : (
          <ol class="timeline">
            {data.items.map((e) => (
              <li key={e.id}>
                <strong>{e.action}</strong> by {e.actor}
                {e.from && e.to ? ` (${e.from} → ${e.to})` : ''} <span class="muted">{formatTime(e.at)}</span>
                {e.message && <p class="event-message">{e.message}</p>}
              </li>
            ))}
          </ol>
        )
      }
    </Loaded>
  );
}

function Decision({
  ws,
  app,
  version,
  onDone,
}: {
  ws: string;
  app: string;
  version: Version;
  onDone: (v: Version) => void;
}) {
  const action = useAction();
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (rejecting) reasonRef.current?.focus();
  }, [rejecting]);
  const act = (body: { action: 'pass' | 'reject'; message?: string }) =>
    action.run(async () => {
      try {
        const v = await api<Version>(path`/api/v1/workspaces/${ws}/apps/${app}/versions/${version.version}/actions`, {
          method: 'POST',
          json: body,
        });
        setDone(body.action === 'pass' ? 'passed' : 'rejected');
        setRejecting(false);
        setReason('');
        onDone(v);
      } catch (err) {
        // A 409 means the version moved on meanwhile: show its state as it is now.
        if (err instanceof ApiError && err.status === 409) {
          void api<Version>(path`/api/v1/workspaces/${ws}/apps/${app}/versions/${version.version}`).then(
            onDone,
            () => undefined,
          );
        }
        throw err;
      }
    });
  const canPass = version.allowedActions.includes('pass');
  const canReject = version.allowedActions.includes('reject');
  return (
    <div class="decision">
      {done && (
        <p class="notice" role="status">
          Version {version.version} {done}; it is now <StateBadge state={version.state} />.{' '}
          <a href={href('reviews')}>Back to the queue</a>
        </p>
      )}
      <ErrorMessage error={action.error} />
      {!canPass && !canReject ? (
        !done && <p class="muted">There is no decision to take on this version now.</p>
      ) : (
        <div class="actions">
          {canPass && (
            <button type="button" disabled={action.busy} onClick={() => void act({ action: 'pass' })}>
              {action.busy && !rejecting ? 'Passing…' : 'Pass'}
            </button>
          )}
          {canReject && !rejecting && (
            <button type="button" class="danger" disabled={action.busy} onClick={() => setRejecting(true)}>
              Reject
            </button>
          )}
        </div>
      )}
      {canReject && rejecting && (
        <form
          class="panel"
          onSubmit={(e) => {
            e.preventDefault();
            if (reason.trim()) void act({ action: 'reject', message: reason.trim() });
          }}
        >
          <Field
            id="reject-reason"
            label="Reason"
            hint="Tell the publisher what to fix; it is recorded with the rejection."
          >
            <textarea
              id="reject-reason"
              required
              aria-describedby="reject-reason-hint"
              maxLength={5000}
              value={reason}
              onInput={(e) => setReason(e.currentTarget.value)}
              ref={reasonRef}
            />
          </Field>
          <div class="actions">
            <button type="submit" class="danger" disabled={action.busy || !reason.trim()}>
              {action.busy ? 'Rejecting…' : 'Confirm Rejection'}
            </button>
            <button
              type="button"
              class="secondary"
              disabled={action.busy}
              onClick={() => {
                setRejecting(false);
                action.clear();
              }}
            >
              Cancel
            </button>
          </div>
        </form>
      )}
    </div>
  );
}

function Metadata({ version }: { version: Version }) {
  const m = version.metadata;
  const row = (label: string, value: string | undefined | null) =>
    value ? (
      <>
        <dt>{label}</dt>
        <dd>{value}</dd>
      </>
    ) : null;
  return (
    <dl class="facts">
      {row('Chart name', m.name)}
      {row('Version', m.version)}
      {row('App version', m.appVersion)}
      {row('Chart API', m.apiVersion)}
      {row('Type', m.type)}
      {row('Kubernetes', m.kubeVersion)}
      {row('Description', m.description)}
      {row('Home', m.home)}
      {row('Sources', m.sources?.join(', '))}
      {row('Keywords', m.keywords?.join(', '))}
      {row(
        'Maintainers',
        m.maintainers?.map((p) => [p.name, p.email && `<${p.email}>`].filter(Boolean).join(' ')).join(', '),
      )}
      {row('Dependencies', m.dependencies?.map((d) => (d.version ? `${d.name} ${d.version}` : d.name)).join(', '))}
      {m.deprecated ? row('Deprecated', 'yes') : null}
    </dl>
  );
}

export function ReviewVersion({ ws, app, version }: { ws: string; app: string; version: string }) {
  const state = useAsync(
    () =>
      Promise.all([
        api<AppDetail>(path`/api/v1/workspaces/${ws}/apps/${app}`),
        api<Version>(path`/api/v1/workspaces/${ws}/apps/${app}/versions/${version}`),
      ]),
    [ws, app, version],
  );
  const [current, setCurrent] = useState<Version | null>(null);
  useEffect(() => setCurrent(null), [ws, app, version]);
  return (
    <article>
      <p>
        <a href={href('reviews')}>← App Review</a>
      </p>
      <Loaded state={state}>
        {([info, loaded]) => {
          const v = current ?? loaded;
          return (
            <>
              <div class="app-head">
                <Icon src={info.icon} name={info.name} size={72} />
                <div>
                  <PageTitle title={`Review ${info.name} ${v.version}`}>
                    {info.name} {v.version}
                  </PageTitle>
                  <p class="muted">
                    Workspace {info.workspace} · <StateBadge state={v.state} />
                    {info.suspended ? ' · app suspended' : ''}
                  </p>
                </div>
              </div>
              <h2>Decision</h2>
              <Decision key={`${ws}/${app}/${version}`} ws={ws} app={app} version={v} onDone={setCurrent} />
              <h2>Info</h2>
              {info.abstraction && <p>{info.abstraction}</p>}
              {info.description && <p class="prewrap">{info.description}</p>}
              <dl class="facts">
                <dt>State</dt>
                <dd>
                  <StateBadge state={v.state} />
                </dd>
                <dt>Category</dt>
                <dd>{info.category?.name ?? 'None chosen'}</dd>
                {info.home && (
                  <>
                    <dt>Home</dt>
                    <dd>{info.home}</dd>
                  </>
                )}
                <dt>Uploaded by</dt>
                <dd>{v.uploadedBy ?? 'a deleted user'}</dd>
                <dt>Uploaded</dt>
                <dd>{formatTime(v.createdAt)}</dd>
                <dt>Submitted</dt>
                <dd>{formatTime(v.submittedAt)}</dd>
                {v.reviewedAt && (
                  <>
                    <dt>Reviewed</dt>
                    <dd>{formatTime(v.reviewedAt)}</dd>
                  </>
                )}
                <dt>Digest</dt>
                <dd>
                  <code>sha256:{v.digest}</code>
                </dd>
                <dt>Size</dt>
                <dd>{v.size.toLocaleString()} bytes</dd>
                <dt>Provenance</dt>
                <dd>{v.hasProvenance ? 'Signed (.prov uploaded)' : 'None'}</dd>
              </dl>
              <h3>Chart metadata</h3>
              <Metadata version={v} />
              <h2>Update log</h2>
              {v.updateLog ? <p class="prewrap">{v.updateLog}</p> : <p class="muted">No update log was given.</p>}
              <h2>Values diff</h2>
              <ValuesDiff ws={ws} app={app} version={v.version} />
              <h2>README</h2>
              <ChartFile ws={ws} app={app} version={v.version} name="README.md" />
              <h2>values.yaml</h2>
              <ChartFile ws={ws} app={app} version={v.version} name="values.yaml" />
              <h2>Chart.yaml</h2>
              <ChartFile ws={ws} app={app} version={v.version} name="Chart.yaml" />
              <h2>History</h2>
              <History ws={ws} app={app} version={v.version} stamp={v.updatedAt + v.state} />
            </>
          );
        }}
      </Loaded>
    </article>
  );
}

// One version as a reviewer sees it: info, chart metadata, update log, the values diff,
// chart files and history, with exactly the decisions the API allows the caller.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, path, type AppDetail, type EventList, type Version } from '../api.ts';
import {
  ErrorMessage,
  Field,
  formatTime,
  Icon,
  Loaded,
  Notice,
  PageTitle,
  StateBadge,
  useAction,
  useAsync,
} from '../components.tsx';
import { href } from '../router.ts';
import { ChartFile, ValuesDiff } from './review-files.tsx';

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
        <Notice>
          Version {version.version} {done}; it is now <StateBadge state={version.state} />.{' '}
          <a href={href('reviews')}>Back to the queue</a>
        </Notice>
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

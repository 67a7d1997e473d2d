// One version of an app template: its facts and chart metadata, its actions, Replace
// Package, the update log, the chart's own files and the version's events.
import { useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { api, ApiError, text, type Version } from '../api.ts';
import { formatTime, Loaded, PageTitle, StateBadge, useAsync } from '../components.tsx';
import { Markdown } from '../markdown.tsx';
import { href, navigate } from '../router.ts';
import { TestInstall, Timeline } from './app-template.tsx';
import { ChartUpload, formatSize } from './chart-upload.tsx';
import { VersionActions, versionPath } from './version-actions.tsx';

export function AppVersion({ ws, app, version }: { ws: string; app: string; version: string }) {
  const v = useAsync(() => api<Version>(versionPath(ws, app, version)), [ws, app, version]);
  const [eventsKey, setEventsKey] = useState(0);
  const afterChange = (): void => {
    v.reload();
    setEventsKey((k) => k + 1);
  };
  return (
    <article>
      <p>
        <a href={href('workspaces', ws)}>{ws}</a> / <a href={href('workspaces', ws, 'apps', app)}>{app}</a>
      </p>
      <Loaded state={v}>
        {(data) => (
          <>
            <div class="app-head">
              <div>
                <PageTitle title={`${app} ${data.version}`}>
                  {app} {data.version}
                </PageTitle>
                <p>
                  <StateBadge state={data.state} />
                  {data.metadata.description && <span class="muted"> {data.metadata.description}</span>}
                </p>
              </div>
            </div>
            <VersionActions
              ws={ws}
              app={app}
              version={data}
              onDone={afterChange}
              onDeleted={() => navigate(href('workspaces', ws, 'apps', app))}
            />
            {(data.allowedActions as string[]).includes('replace') && (
              <details class="replace">
                <summary>Replace Package</summary>
                <p class="muted">
                  A package of the same chart name and version. The version becomes a draft again; its update log is
                  kept unless you give a new one.
                </p>
                <ChartUpload
                  idPrefix="replace-package"
                  url={`${versionPath(ws, app, version)}/package`}
                  method="PUT"
                  submitLabel="Replace Package"
                  onUploaded={(_r, _i, setNote) => {
                    setNote(
                      <p class="notice" role="status">
                        Package replaced.
                      </p>,
                    );
                    afterChange();
                  }}
                />
              </details>
            )}
            <VersionFacts version={data} />
            <h2>Update log</h2>
            {data.updateLog ? (
              <pre class="update-log" tabIndex={0}>
                {data.updateLog}
              </pre>
            ) : (
              <p class="muted">No update log.</p>
            )}
            <h2>Test-install</h2>
            <TestInstall ws={ws} app={app} version={data.version} />
          </>
        )}
      </Loaded>
      <h2>README</h2>
      <ChartFile
        ws={ws}
        app={app}
        version={version}
        name="README.md"
        render={(s) => (
          <div class="file-box" tabIndex={0} role="region" aria-label="README">
            <Markdown source={s} />
          </div>
        )}
      />
      <h2>values.yaml</h2>
      <ChartFile ws={ws} app={app} version={version} name="values.yaml" />
      <h2>Chart.yaml</h2>
      <ChartFile ws={ws} app={app} version={version} name="Chart.yaml" />
      <details class="schema">
        <summary>values.schema.json</summary>
        <ChartFile ws={ws} app={app} version={version} name="values.schema.json" />
      </details>
      <h2>Events</h2>
      <Timeline key={eventsKey} url={`${versionPath(ws, app, version)}/events`} />
    </article>
  );
}

function VersionFacts({ version: v }: { version: Version }) {
  const m = v.metadata;
  return (
    <dl class="facts">
      <dt>State</dt>
      <dd>
        <StateBadge state={v.state} />
      </dd>
      <dt>Chart version</dt>
      <dd>{v.version}</dd>
      <dt>App version</dt>
      <dd>{v.appVersion || '—'}</dd>
      <dt>Digest</dt>
      <dd>
        <code class="digest">sha256:{v.digest}</code>
      </dd>
      <dt>Size</dt>
      <dd>{formatSize(v.size)}</dd>
      <dt>Provenance</dt>
      <dd>{v.hasProvenance ? 'Signed (.prov uploaded)' : 'None'}</dd>
      <dt>Uploaded by</dt>
      <dd>{v.uploadedBy ?? <span class="muted">a deleted user</span>}</dd>
      <dt>Created</dt>
      <dd>{formatTime(v.createdAt)}</dd>
      <dt>Updated</dt>
      <dd>{formatTime(v.updatedAt)}</dd>
      <dt>Submitted</dt>
      <dd>{formatTime(v.submittedAt)}</dd>
      <dt>Reviewed</dt>
      <dd>{formatTime(v.reviewedAt)}</dd>
      <dt>Released</dt>
      <dd>{formatTime(v.releasedAt)}</dd>
      <dt>Chart API</dt>
      <dd>
        {m.apiVersion}
        {m.type ? ` · ${m.type}` : ''}
        {m.deprecated ? ' · deprecated' : ''}
      </dd>
      {m.kubeVersion && (
        <>
          <dt>Kubernetes</dt>
          <dd>{m.kubeVersion}</dd>
        </>
      )}
      {m.home && (
        <>
          <dt>Home</dt>
          <dd>
            <ExternalLink url={m.home} />
          </dd>
        </>
      )}
      {m.keywords && m.keywords.length > 0 && (
        <>
          <dt>Keywords</dt>
          <dd>{m.keywords.join(', ')}</dd>
        </>
      )}
      {m.maintainers && m.maintainers.length > 0 && (
        <>
          <dt>Maintainers</dt>
          <dd>{m.maintainers.map((x) => x.name + (x.email ? ` <${x.email}>` : '')).join(', ')}</dd>
        </>
      )}
      <ListFact
        term="Sources"
        items={m.sources}
        item={(s) => (
          <li key={s}>
            <ExternalLink url={s} />
          </li>
        )}
      />
      <ListFact
        term="Dependencies"
        items={m.dependencies}
        item={(d) => (
          <li key={`${d.name}:${d.alias ?? ''}`}>
            {d.name} {d.version}
            {d.repository ? <span class="muted"> from {d.repository}</span> : null}
          </li>
        )}
      />
    </dl>
  );
}

/** A term and its list of items; nothing when there are none. */
function ListFact<T>({ term, items, item }: { term: string; items: T[] | undefined; item: (x: T) => JSX.Element }) {
  if (!items || items.length === 0) return null;
  return (
    <>
      <dt>{term}</dt>
      <dd>
        <ul class="plain">{items.map(item)}</ul>
      </dd>
    </>
  );
}

/** A link from chart metadata, followed only when it is http(s). */
function ExternalLink({ url }: { url: string }) {
  return (
    <a href={/^https?:\/\//i.test(url) ? url : undefined} rel="noopener noreferrer nofollow" target="_blank">
      {url}
    </a>
  );
}

/** One file of the chart, as text (or rendered, for the README); a 404 means the chart has none. */
function ChartFile({
  ws,
  app,
  version,
  name,
  render,
}: {
  ws: string;
  app: string;
  version: string;
  name: string;
  render?: (source: string) => JSX.Element;
}) {
  const file = useAsync(async () => {
    try {
      return { source: await text(`${versionPath(ws, app, version)}/files/${encodeURIComponent(name)}`) };
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return { source: null };
      throw err;
    }
  }, [ws, app, version, name]);
  return (
    <Loaded state={file}>
      {({ source }) =>
        source === null ? (
          <p class="muted">This chart has no {name}.</p>
        ) : render ? (
          render(source)
        ) : (
          <pre tabIndex={0} aria-label={name}>
            {source}
          </pre>
        )
      }
    </Loaded>
  );
}

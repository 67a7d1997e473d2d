// The store: apps by category with counts, search, newest first; and an app's page with
// its README (sanitized), versions, values and the commands to use it with Helm.
import { useState } from 'preact/hooks';
import { api, path, type StoreAppDetail, type StorePage } from '../api.ts';
import { CopyCommand, formatTime, Icon, Loaded, PageTitle, useAsync } from '../components.tsx';
import { Markdown } from '../markdown.tsx';
import { href, hrefWith, navigate } from '../router.ts';
import { useSession } from '../session.tsx';

export function Store({ query }: { query: URLSearchParams }) {
  const category = query.get('category') ?? '';
  const q = query.get('q') ?? '';
  const sort = query.get('sort') === 'name' ? 'name' : 'newest';
  const cursor = query.get('cursor') ?? '';
  const [search, setSearch] = useState(q);
  const page = useAsync(() => {
    const params = new URLSearchParams({ sort, limit: '48' });
    if (category) params.set('category', category);
    if (q) params.set('q', q);
    if (cursor) params.set('cursor', cursor);
    return api<StorePage>(`/api/v1/store/apps?${params}`);
  }, [category, q, sort, cursor]);
  const link = (over: Record<string, string | undefined>) =>
    hrefWith({ category, q, sort: sort === 'newest' ? undefined : sort, ...over }, 'store');
  const total = page.data?.categories.reduce((n, c) => n + c.storeApps, 0);
  return (
    <div class="store">
      <aside aria-labelledby="categories-heading">
        <h2 id="categories-heading">Categories</h2>
        <ul>
          <li>
            <a href={link({ category: undefined, cursor: undefined })} aria-current={!category ? 'page' : undefined}>
              <span>All apps</span>
              {total !== undefined && <span class="muted">{total}</span>}
            </a>
          </li>
          {page.data?.categories.map((c) => (
            <li key={c.id}>
              <a
                href={link({ category: c.name, cursor: undefined })}
                aria-current={category === c.name ? 'page' : undefined}
              >
                <span>{c.name}</span>
                <span class="muted">
                  {c.storeApps}
                  <span class="visually-hidden"> apps</span>
                </span>
              </a>
            </li>
          ))}
        </ul>
      </aside>
      <section>
        <PageTitle title="Store">{category ? `Store: ${category}` : 'Store'}</PageTitle>
        <form
          class="search"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            navigate(link({ q: search.trim() || undefined, cursor: undefined }));
          }}
        >
          <label class="visually-hidden" for="store-search">
            Search apps
          </label>
          <input
            id="store-search"
            type="search"
            placeholder="Search apps"
            value={search}
            onInput={(e) => setSearch(e.currentTarget.value)}
          />
          <button type="submit">Search</button>
          <label class="visually-hidden" for="store-sort">
            Sort
          </label>
          <select
            id="store-sort"
            value={sort}
            onChange={(e) =>
              navigate(link({ sort: e.currentTarget.value === 'name' ? 'name' : undefined, cursor: undefined }))
            }
          >
            <option value="newest">Newest first</option>
            <option value="name">By name</option>
          </select>
        </form>
        <Loaded state={page}>
          {(data) => (
            <>
              <p class="muted" role="status">
                {data.total === 1 ? '1 app' : `${data.total} apps`}
                {q ? ` matching “${q}”` : ''}
              </p>
              <ul class="grid">
                {data.items.map((app) => (
                  <li key={app.name}>
                    <a class="card" href={href('store', 'apps', app.name)}>
                      <Icon src={app.icon} name={app.name} />
                      <div>
                        <h2>{app.name}</h2>
                        <p>{app.abstraction || app.description || app.latestVersion.description}</p>
                        <p>
                          {app.latestVersion.version}
                          {app.category ? ` · ${app.category.name}` : ''}
                        </p>
                      </div>
                    </a>
                  </li>
                ))}
              </ul>
              {data.nextCursor && (
                <p>
                  <a class="button secondary" href={link({ cursor: data.nextCursor })}>
                    Next page
                  </a>
                </p>
              )}
            </>
          )}
        </Loaded>
      </section>
    </div>
  );
}

/** The commands to use a store app with Helm, for this server's address. */
export function HelmCommands({ name, version }: { name: string; version: string }) {
  const origin = location.origin;
  const host = location.host;
  return (
    <div>
      <CopyCommand label="Add the store" command={`helm repo add store ${origin}/store`} />
      <CopyCommand label="Install" command={`helm install my-${name} store/${name} --version ${version}`} />
      <CopyCommand
        label="Install from OCI"
        command={`helm install my-${name} oci://${host}/store/${name} --version ${version}`}
      />
    </div>
  );
}

export function StoreApp({ name }: { name: string }) {
  const session = useSession();
  const app = useAsync(() => api<StoreAppDetail>(path`/api/v1/store/apps/${name}`), [name]);
  return (
    <Loaded state={app}>
      {(data) => {
        const latest = data.versions[0]!;
        return (
          <article>
            <p>
              <a href={href('store')}>← Store</a>
            </p>
            <div class="app-head">
              <Icon src={data.icon} name={data.name} size={72} />
              <div>
                <PageTitle title={data.name}>{data.name}</PageTitle>
                <p class="muted">{data.abstraction || data.description}</p>
              </div>
            </div>
            <dl class="facts">
              <dt>Latest version</dt>
              <dd>{latest.version}</dd>
              {latest.appVersion && (
                <>
                  <dt>App version</dt>
                  <dd>{latest.appVersion}</dd>
                </>
              )}
              <dt>Category</dt>
              <dd>{data.category?.name ?? 'Uncategorized'}</dd>
              {data.home && (
                <>
                  <dt>Home</dt>
                  <dd>
                    <a
                      href={/^https?:\/\//i.test(data.home) ? data.home : undefined}
                      rel="noopener noreferrer nofollow"
                    >
                      {data.home}
                    </a>
                  </dd>
                </>
              )}
              <dt>Released</dt>
              <dd>{formatTime(latest.releasedAt)}</dd>
            </dl>
            {data.description && <p>{data.description}</p>}
            {session.can('app-templates.manage') && (
              <p>
                <a href={hrefWith({ q: data.name }, 'manage', 'apps')}>Manage in Store Management</a>
              </p>
            )}
            <h2>Use it</h2>
            <HelmCommands name={data.name} version={latest.version} />
            <h2>README</h2>
            {data.readme ? <Markdown source={data.readme} /> : <p class="muted">This chart has no README.</p>}
            <h2>Versions</h2>
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Version</th>
                    <th scope="col">App version</th>
                    <th scope="col">Released</th>
                    <th scope="col">Update log</th>
                  </tr>
                </thead>
                <tbody>
                  {data.versions.map((v) => (
                    <tr key={v.version}>
                      <td>{v.version}</td>
                      <td>{v.appVersion ?? ''}</td>
                      <td>{formatTime(v.releasedAt)}</td>
                      <td>{v.updateLog}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <h2>values.yaml</h2>
            {data.values ? <pre tabIndex={0}>{data.values}</pre> : <p class="muted">This chart has no values.yaml.</p>}
          </article>
        );
      }}
    </Loaded>
  );
}

// App review: the unprocessed and processed queues of versions waiting for (or past) a
// decision, searchable; one version opens in review-version.tsx.
import { useEffect, useState } from 'preact/hooks';
import { api, type Review, type ReviewPage } from '../api.ts';
import {
  DataTable,
  formatTime,
  Icon,
  Loaded,
  PageTitle,
  ShowMore,
  StateBadge,
  Tabs,
  useAsync,
  usePages,
} from '../components.tsx';
import { SearchForm } from '../forms.tsx';
import { href, hrefWith, navigate } from '../router.ts';

export function Reviews({ status, q }: { status: string; q: string }) {
  const which = status === 'processed' ? 'processed' : 'unprocessed';
  const [search, setSearch] = useState(q);
  useEffect(() => setSearch(q), [q]);
  const pages = usePages<Review>();
  /** A page of the queue: the first, or the one at `cursor`. */
  const fetch = (cursor?: string) => {
    const params = new URLSearchParams({ status: which, limit: '50' });
    if (cursor) params.set('cursor', cursor);
    if (q) params.set('q', q);
    return api<ReviewPage>(`/api/v1/reviews?${params}`);
  };
  const page = useAsync(async () => {
    const first = await fetch();
    pages.reset(first.nextCursor);
    return first;
  }, [which, q]);
  const tab = (to: 'unprocessed' | 'processed', label: string) => ({
    href: hrefWith({ status: to, q }, 'reviews'),
    label,
    current: which === to,
  });
  return (
    <section>
      <PageTitle title="App Review">App Review</PageTitle>
      <Tabs label="Review queues" tabs={[tab('unprocessed', 'Unprocessed'), tab('processed', 'Processed')]} />
      <SearchForm
        id="review-search"
        label="Search the queue"
        placeholder="App, workspace or version"
        button="Search"
        value={search}
        onValue={setSearch}
        onSubmit={() => navigate(hrefWith({ status: which, q: search.trim() || undefined }, 'reviews'))}
      />
      <Loaded state={page}>
        {(data) => {
          const items = [...data.items, ...pages.items];
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
              <DataTable
                class="review-queue stack-table"
                columns={[
                  'App',
                  'Version',
                  'Workspace',
                  which === 'unprocessed' ? 'Submitted' : 'Reviewed',
                  'State',
                  <span key="open" class="visually-hidden">
                    Open
                  </span>,
                ]}
              >
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
                        which === 'unprocessed' ? r.version.submittedAt : (r.version.reviewedAt ?? r.version.updatedAt),
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
              </DataTable>
              <ShowMore pages={pages} fetch={fetch} />
            </>
          );
        }}
      </Loaded>
    </section>
  );
}

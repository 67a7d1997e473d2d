// The console's shell: header navigation by what the caller may do, and the route table.
import { render } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';
import './styles.css';
import { SessionProvider, useSession } from './session.tsx';
import { useRoute, href, type Route } from './router.ts';
import { Loading } from './components.tsx';
import { SignIn } from './views/sign-in.tsx';
import { Store, StoreApp } from './views/store.tsx';
import { Workspaces, WorkspaceHome } from './views/workspace.tsx';
import { AppTemplate } from './views/app-template.tsx';
import { AppVersion } from './views/app-version.tsx';
import { Reviews } from './views/review.tsx';
import { ReviewVersion } from './views/review-version.tsx';
import { Categories } from './views/categories.tsx';
import { StoreManagement } from './views/store-apps.tsx';
import { Users } from './views/users.tsx';
import { Roles } from './views/roles.tsx';
import { PlatformWorkspaces, WorkspaceMembers } from './views/platform.tsx';
import { Account } from './views/account.tsx';

function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        This page does not exist. <a href={href('store')}>Go to the store</a>.
      </p>
    </section>
  );
}

/** The view for a route; views that need a signed-in caller get the sign-in form instead. */
function view(route: Route, signedIn: boolean) {
  const [a, b, c, d, e, f] = route.segments;
  if (!a || a === 'store') {
    if (!b) return <Store query={route.query} />;
    if (b === 'apps' && c && !d) return <StoreApp name={c} />;
    return <NotFound />;
  }
  if (a === 'sign-in') return <SignIn next={route.query.get('next') ?? undefined} />;
  if (!signedIn) return <SignIn next={location.hash} />;
  switch (a) {
    case 'workspaces':
      if (!b) return <Workspaces />;
      if (!c) return <WorkspaceHome ws={b} tab={route.query.get('tab') ?? 'apps'} />;
      if (c === 'apps' && d && !e) return <AppTemplate ws={b} app={d} />;
      if (c === 'apps' && d && e === 'versions' && f) return <AppVersion ws={b} app={d} version={f} />;
      return <NotFound />;
    case 'reviews':
      if (!b) return <Reviews status={route.query.get('status') ?? 'unprocessed'} q={route.query.get('q') ?? ''} />;
      if (b && c && d) return <ReviewVersion ws={b} app={c} version={d} />;
      return <NotFound />;
    case 'manage':
      if (b === 'categories') return <Categories />;
      if (b === 'apps') return <StoreManagement q={route.query.get('q') ?? ''} />;
      return <NotFound />;
    case 'platform':
      if (b === 'users') return <Users />;
      if (b === 'roles') return <Roles />;
      if (b === 'workspaces' && !c) return <PlatformWorkspaces />;
      if (b === 'workspaces' && c) return <WorkspaceMembers ws={c} />;
      return <NotFound />;
    case 'account':
      return <Account />;
    default:
      return <NotFound />;
  }
}

function Header({ route }: { route: Route }) {
  const session = useSession();
  const me = session.me;
  const here = route.segments[0] ?? 'store';
  const link = (to: string, label: string, section: string) => (
    <li>
      <a href={to} aria-current={here === section ? 'page' : undefined}>
        {label}
      </a>
    </li>
  );
  const platform = session.can('users.manage') || session.can('roles.manage') || session.can('workspaces.manage');
  return (
    <header class="top">
      <a class="brand" href={href('store')}>
        Chartroom
      </a>
      <nav aria-label="Main">
        <ul>
          {link(href('store'), 'Store', 'store')}
          {me && link(href('workspaces'), 'App Templates', 'workspaces')}
          {me && session.can('app-templates.view') && link(href('reviews'), 'App Review', 'reviews')}
          {me &&
            session.can('app-templates.manage') &&
            link(href('manage', 'categories'), 'Store Management', 'manage')}
          {me &&
            platform &&
            link(
              session.can('users.manage') ? href('platform', 'users') : href('platform', 'workspaces'),
              'Platform',
              'platform',
            )}
        </ul>
      </nav>
      <div class="who">
        {me === undefined ? null : me ? (
          <>
            <a href={href('account')} aria-current={here === 'account' ? 'page' : undefined}>
              {me.displayName || me.username}
            </a>
            <button
              type="button"
              class="secondary small"
              onClick={async () => {
                await session.signOut();
                location.hash = href('store');
              }}
            >
              Sign out
            </button>
          </>
        ) : (
          <a class="button small" href={href('sign-in')}>
            Sign in
          </a>
        )}
      </div>
    </header>
  );
}

function App() {
  const route = useRoute();
  const session = useSession();
  const main = useRef<HTMLElement>(null);
  // After a navigation, move focus to the new page (keyboard and screen-reader users
  // start at its heading, not at the link they left). A layout effect runs as the page
  // is drawn: a plain effect runs up to a frame later, and could pull focus back from
  // where a quick keyboard user had already moved it.
  useLayoutEffect(() => {
    const h1 = main.current?.querySelector('h1');
    if (h1 && document.activeElement !== document.body) (h1 as HTMLElement).focus();
    window.scrollTo(0, 0);
  }, [route.segments.join('/')]);
  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          // A fragment link would be taken for a console route: move focus instead.
          e.preventDefault();
          main.current?.focus();
        }}
      >
        Skip to content
      </a>
      <Header route={route} />
      <main id="main" ref={main} tabIndex={-1}>
        {session.me === undefined ? <Loading /> : view(route, !!session.me)}
      </main>
    </>
  );
}

render(
  <SessionProvider>
    <App />
  </SessionProvider>,
  document.getElementById('app')!,
);

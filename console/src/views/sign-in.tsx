// Sign in with username and password: the server sets an HttpOnly session cookie. The
// same sign-in limits as HTTP Basic apply; a refusal shows the API's message.
import { useState } from 'preact/hooks';
import { useSession } from '../session.tsx';
import { ErrorMessage, PageTitle, useAction } from '../components.tsx';
import { href, navigate } from '../router.ts';

export function SignIn({ next }: { next?: string | undefined }) {
  const session = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();
  const target = next && next.startsWith('#/') && !next.startsWith('#/sign-in') ? next : href('store');
  if (session.me) {
    return (
      <section>
        <PageTitle title="Sign in">Signed in</PageTitle>
        <p>
          You are signed in as <strong>{session.me.username}</strong>. <a href={target}>Continue</a>.
        </p>
      </section>
    );
  }
  return (
    <section class="narrow">
      <PageTitle title="Sign in">Sign in</PageTitle>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          if (await action.run(() => session.signIn(username, password))) navigate(target);
        }}
      >
        <div class="field">
          <label for="signin-username">Username</label>
          <input
            id="signin-username"
            name="username"
            autocomplete="username"
            required
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="signin-password">Password</label>
          <input
            id="signin-password"
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </div>
        <ErrorMessage error={action.error} />
        <div class="actions">
          <button type="submit" disabled={action.busy}>
            {action.busy ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
    </section>
  );
}

// The caller's own account: who they are, their password, and their API tokens (shown
// once when made, listed by prefix afterwards, revocable).
import { useState } from 'preact/hooks';
import { api, path, type NewToken, type Token, type TokenList } from '../api.ts';
import {
  ConfirmButton,
  CopyCommand,
  ErrorMessage,
  Field,
  formatTime,
  Loaded,
  Notice,
  PageTitle,
  useAction,
  useAsync,
} from '../components.tsx';
import { href } from '../router.ts';
import { useSession } from '../session.tsx';

function ChangePassword() {
  const action = useAction();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [notice, setNotice] = useState('');
  return (
    <form
      class="panel narrow-form"
      aria-labelledby="password-heading"
      onSubmit={async (e) => {
        e.preventDefault();
        setNotice('');
        const ok = await action.run(() => api('/api/v1/me/password', { method: 'PUT', json: { current, new: next } }));
        if (ok) {
          setCurrent('');
          setNext('');
          setNotice('Password changed. Your API tokens stay valid.');
        }
      }}
    >
      <h2 id="password-heading">Change Password</h2>
      <Field id="password-current" label="Current password">
        <input
          id="password-current"
          type="password"
          required
          autocomplete="current-password"
          maxLength={1024}
          value={current}
          onInput={(e) => setCurrent(e.currentTarget.value)}
        />
      </Field>
      <Field id="password-new" label="New password" hint="At least 8 characters, different from the current one.">
        <input
          id="password-new"
          type="password"
          required
          minLength={8}
          maxLength={1024}
          autocomplete="new-password"
          aria-describedby="password-new-hint"
          value={next}
          onInput={(e) => setNext(e.currentTarget.value)}
        />
      </Field>
      <ErrorMessage error={action.error} />
      <Notice>{notice}</Notice>
      <div class="actions">
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Changing…' : 'Change Password'}
        </button>
      </div>
    </form>
  );
}

/** The end of a chosen day (local time) as an RFC 3339 instant. */
function endOfDay(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(y!, m! - 1, d!, 23, 59, 59, 999).toISOString();
}

function today(): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

function CreateToken({ onCreated }: { onCreated: () => void }) {
  const action = useAction();
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('');
  const [created, setCreated] = useState<NewToken | null>(null);
  return (
    <form
      class="panel narrow-form"
      aria-labelledby="token-heading"
      onSubmit={async (e) => {
        e.preventDefault();
        setCreated(null);
        const body: { name: string; expiresAt?: string } = { name: name.trim() };
        if (expires) body.expiresAt = endOfDay(expires);
        let token: NewToken | undefined;
        const ok = await action.run(async () => {
          token = await api<NewToken>('/api/v1/me/tokens', { method: 'POST', json: body });
        });
        if (ok && token) {
          setCreated(token);
          setName('');
          setExpires('');
          onCreated();
        }
      }}
    >
      <h3 id="token-heading">Create Token</h3>
      <Field id="token-name" label="Name" hint="What the token is for, such as ci or laptop.">
        <input
          id="token-name"
          required
          maxLength={100}
          aria-describedby="token-name-hint"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </Field>
      <Field id="token-expires" label="Expires" hint="Optional: the token stops working at the end of this day.">
        <input
          id="token-expires"
          type="date"
          min={today()}
          aria-describedby="token-expires-hint"
          value={expires}
          onInput={(e) => setExpires(e.currentTarget.value)}
        />
      </Field>
      <ErrorMessage error={action.error} />
      <div class="actions">
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Creating…' : 'Create Token'}
        </button>
      </div>
      {created && (
        <div class="new-token">
          <Notice>Token “{created.name}” created. Copy it now: it will not be shown again.</Notice>
          <CopyCommand label="Your new token" command={created.token} />
          <p class="muted">
            Use it as a Bearer token, or as the password with your username (as in helm repo add --username and
            --password).
          </p>
          <button type="button" class="secondary small" onClick={() => setCreated(null)}>
            Done, hide it
          </button>
        </div>
      )}
    </form>
  );
}

function TokenRow({ token, onChanged }: { token: Token; onChanged: () => void }) {
  const action = useAction();
  const expired = token.expiresAt !== null && new Date(token.expiresAt).getTime() <= Date.now();
  return (
    <tr>
      <th scope="row">{token.name}</th>
      <td>
        <code>{token.prefix}…</code>
      </td>
      <td>{formatTime(token.createdAt)}</td>
      <td>{token.lastUsedAt ? formatTime(token.lastUsedAt) : 'Never'}</td>
      <td>
        {token.expiresAt ? formatTime(token.expiresAt) : 'Never'}
        {expired && <span class="badge badge-rejected">Expired</span>}
      </td>
      <td>
        <ConfirmButton
          label="Revoke"
          question={`Revoke ${token.name} (${token.prefix})?`}
          confirmLabel="Yes, revoke"
          busy={action.busy}
          onConfirm={() =>
            action.run(async () => {
              await api(path`/api/v1/me/tokens/${token.id}`, { method: 'DELETE' });
              onChanged();
            })
          }
        />
        <ErrorMessage error={action.error} />
      </td>
    </tr>
  );
}

function Tokens() {
  const tokens = useAsync(() => api<TokenList>('/api/v1/me/tokens'), []);
  return (
    <>
      <h2>Access Tokens</h2>
      <p class="muted">
        Tokens let Helm and scripts act as you, with your current role and memberships, without your password.
      </p>
      <Loaded state={tokens}>
        {(data) =>
          data.items.length === 0 ? (
            <p class="muted">You have no tokens.</p>
          ) : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Prefix</th>
                    <th scope="col">Created</th>
                    <th scope="col">Last used</th>
                    <th scope="col">Expires</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((t) => (
                    <TokenRow key={t.id} token={t} onChanged={() => tokens.reload()} />
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
      <CreateToken onCreated={() => tokens.reload()} />
    </>
  );
}

export function Account() {
  const { me } = useSession();
  if (!me) return null;
  return (
    <section>
      <PageTitle title="Your Account">Your Account</PageTitle>
      <dl class="facts">
        <dt>Username</dt>
        <dd>{me.username}</dd>
        <dt>Display name</dt>
        <dd>{me.displayName || '—'}</dd>
        <dt>Email</dt>
        <dd>{me.email || '—'}</dd>
        <dt>Platform role</dt>
        <dd>{me.role}</dd>
        <dt>Permissions</dt>
        <dd>{me.permissions.length ? me.permissions.join(', ') : 'None'}</dd>
        <dt>Workspaces</dt>
        <dd>
          {me.workspaces.length ? (
            <ul class="plain">
              {me.workspaces.map((w) => (
                <li key={w.name}>
                  <a href={href('workspaces', w.name)}>{w.name}</a> <span class="muted">({w.role})</span>
                </li>
              ))}
            </ul>
          ) : (
            'None'
          )}
        </dd>
      </dl>
      <ChangePassword />
      <Tokens />
    </section>
  );
}

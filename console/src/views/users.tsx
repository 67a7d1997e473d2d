// Platform users: the list (paged), each one's role, disabling and deletion, and the
// form that creates a user.
import { useEffect, useState } from 'preact/hooks';
import { api, path, type Role, type RoleList, type User, type UserPage } from '../api.ts';
import {
  DataTable,
  ErrorMessage,
  Field,
  Loaded,
  Notice,
  ShowMore,
  useAction,
  useAsync,
  usePages,
} from '../components.tsx';
import { CreateForm, InlineForm, NameField, NameOptions, RowActions, useCreate } from '../forms.tsx';
import { useSession } from '../session.tsx';
import { PlatformPage } from './platform.tsx';

function CreateUser({ roles, onCreated }: { roles: Role[]; onCreated: () => void }) {
  const state = useCreate();
  const empty = { username: '', displayName: '', email: '', password: '', role: 'platform-regular' };
  const [form, setForm] = useState(empty);
  const set = (k: keyof typeof empty) => (e: { currentTarget: { value: string } }) =>
    setForm((f) => ({ ...f, [k]: e.currentTarget.value }));
  const role = roles.some((r) => r.name === form.role) ? form.role : (roles[0]?.name ?? '');
  return (
    <CreateForm
      headingId="create-user-heading"
      heading="Create User"
      state={state}
      onSubmit={() => {
        const body: { username: string; password: string; role: string; displayName?: string; email?: string } = {
          username: form.username.trim(),
          password: form.password,
          role,
        };
        if (form.displayName.trim()) body.displayName = form.displayName.trim();
        if (form.email.trim()) body.email = form.email.trim();
        return state.create(
          () => api<User>('/api/v1/users', { method: 'POST', json: body }),
          (created) => {
            setForm(empty);
            onCreated();
            return `User “${created.username}” created.`;
          },
        );
      }}
    >
      <NameField
        id="user-username"
        label="Username"
        autocomplete="off"
        value={form.username}
        onValue={(username) => setForm((f) => ({ ...f, username }))}
      />
      <Field id="user-display-name" label="Display name">
        <input id="user-display-name" maxLength={200} value={form.displayName} onInput={set('displayName')} />
      </Field>
      <Field id="user-email" label="Email">
        <input id="user-email" type="email" maxLength={254} value={form.email} onInput={set('email')} />
      </Field>
      <Field id="user-password" label="Password" hint="At least 8 characters.">
        <input
          id="user-password"
          type="password"
          required
          minLength={8}
          maxLength={1024}
          autocomplete="new-password"
          aria-describedby="user-password-hint"
          value={form.password}
          onInput={set('password')}
        />
      </Field>
      <Field id="user-role" label="Platform role">
        <select id="user-role" value={role} onChange={set('role')}>
          <NameOptions names={roles.map((r) => r.name)} />
        </select>
      </Field>
    </CreateForm>
  );
}

function UserRow({ user, roles, onChanged }: { user: User; roles: Role[]; onChanged: () => void }) {
  const session = useSession();
  const action = useAction();
  const [role, setRole] = useState(user.role);
  useEffect(() => setRole(user.role), [user.role]);
  const [notice, setNotice] = useState('');
  const id = `user-${user.username}`;
  const patch = (body: { role?: string; disabled?: boolean }, done: string) =>
    action.run(async () => {
      setNotice('');
      await api<User>(path`/api/v1/users/${user.username}`, { method: 'PATCH', json: body });
      setNotice(done);
      onChanged();
    });
  const remove = {
    what: `user ${user.username}`,
    url: path`/api/v1/users/${user.username}`,
    action,
    onDone: onChanged,
  };
  const self = session.me?.username === user.username;
  return (
    <tr>
      <th scope="row">
        {user.username}
        {self && <span class="muted"> (you)</span>}
      </th>
      <td>{user.displayName}</td>
      <td class="wrap-anywhere">{user.email}</td>
      <td>
        <InlineForm
          id={`${id}-role`}
          label={<>Role of {user.username}</>}
          hideLabel
          disabled={action.busy || role === user.role}
          onSubmit={() => void patch({ role }, `Role of ${user.username} set to ${role}.`)}
        >
          <select id={`${id}-role`} value={role} onChange={(e) => setRole(e.currentTarget.value)}>
            {!roles.some((r) => r.name === user.role) && <option value={user.role}>{user.role}</option>}
            <NameOptions names={roles.map((r) => r.name)} />
          </select>
        </InlineForm>
      </td>
      <td>{user.disabled ? <span class="badge badge-suspended">Disabled</span> : 'No'}</td>
      <td>
        <RowActions name={user.username} {...remove}>
          <button
            type="button"
            class="secondary small"
            disabled={action.busy}
            onClick={() =>
              void patch(
                { disabled: !user.disabled },
                user.disabled ? `${user.username} is enabled.` : `${user.username} is disabled.`,
              )
            }
          >
            {user.disabled ? 'Enable' : 'Disable'}
          </button>
        </RowActions>
        <ErrorMessage error={action.error} />
        <Notice>{notice}</Notice>
      </td>
    </tr>
  );
}

export function Users() {
  const pages = usePages<User>();
  const state = useAsync(async () => {
    const [users, roles] = await Promise.all([
      api<UserPage>('/api/v1/users?limit=200'),
      api<RoleList>('/api/v1/roles'),
    ]);
    pages.reset(users.nextCursor);
    return { users: users.items, roles: roles.items };
  }, []);
  return (
    <PlatformPage title="Users" tab="users">
      <Loaded state={state}>
        {(data) => (
          <>
            <DataTable columns={['Username', 'Display name', 'Email', 'Role', 'Disabled', 'Actions']}>
              {[...data.users, ...pages.items].map((u) => (
                <UserRow key={u.username} user={u} roles={data.roles} onChanged={() => state.reload()} />
              ))}
            </DataTable>
            <ShowMore
              pages={pages}
              fetch={(cursor) => api<UserPage>(`/api/v1/users?${new URLSearchParams({ limit: '200', cursor })}`)}
            />
            <CreateUser roles={data.roles} onCreated={() => state.reload()} />
          </>
        )}
      </Loaded>
    </PlatformPage>
  );
}

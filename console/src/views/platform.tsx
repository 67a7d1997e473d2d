// Platform administration: users, platform roles, workspaces and their members. Each
// tab shows only when the caller's permissions allow it; the API decides all the same.
import { useEffect, useState } from 'preact/hooks';
import {
  api,
  path,
  type Member,
  type MemberList,
  type Permission,
  type PermissionList,
  type Role,
  type RoleList,
  type User,
  type UserPage,
  type Workspace,
  type WorkspaceList,
  type WorkspaceRole,
} from '../api.ts';
import { ErrorMessage, Field, formatTime, Loaded, PageTitle, useAction, useAsync } from '../components.tsx';
import { href } from '../router.ts';
import { useSession } from '../session.tsx';
import { ConfirmButton, Notice } from './manage.tsx';

function PlatformTabs({ current }: { current: 'users' | 'roles' | 'workspaces' }) {
  const session = useSession();
  const tab = (name: 'users' | 'roles' | 'workspaces', label: string, permission: Permission) =>
    session.can(permission) && (
      <li>
        <a href={href('platform', name)} aria-current={current === name ? 'page' : undefined}>
          {label}
        </a>
      </li>
    );
  return (
    <nav aria-label="Platform">
      <ul class="tabs">
        {tab('users', 'Users', 'users.manage')}
        {tab('roles', 'Roles', 'roles.manage')}
        {tab('workspaces', 'Workspaces', 'workspaces.manage')}
      </ul>
    </nav>
  );
}

// ---------------------------------------------------------------- users

function CreateUser({ roles, onCreated }: { roles: Role[]; onCreated: () => void }) {
  const action = useAction();
  const empty = { username: '', displayName: '', email: '', password: '', role: 'platform-regular' };
  const [form, setForm] = useState(empty);
  const [notice, setNotice] = useState('');
  const set = (k: keyof typeof empty) => (e: { currentTarget: { value: string } }) =>
    setForm((f) => ({ ...f, [k]: e.currentTarget.value }));
  const role = roles.some((r) => r.name === form.role) ? form.role : (roles[0]?.name ?? '');
  return (
    <form
      class="panel"
      aria-labelledby="create-user-heading"
      onSubmit={async (e) => {
        e.preventDefault();
        setNotice('');
        const body: { username: string; password: string; role: string; displayName?: string; email?: string } = {
          username: form.username.trim(),
          password: form.password,
          role,
        };
        if (form.displayName.trim()) body.displayName = form.displayName.trim();
        if (form.email.trim()) body.email = form.email.trim();
        let created: User | undefined;
        const ok = await action.run(async () => {
          created = await api<User>('/api/v1/users', { method: 'POST', json: body });
        });
        if (ok && created) {
          setNotice(`User “${created.username}” created.`);
          setForm(empty);
          onCreated();
        }
      }}
    >
      <h2 id="create-user-heading">Create User</h2>
      <Field id="user-username" label="Username" hint="Lower-case letters, digits and -, as in a DNS name.">
        <input
          id="user-username"
          required
          maxLength={63}
          autocomplete="off"
          aria-describedby="user-username-hint"
          value={form.username}
          onInput={set('username')}
        />
      </Field>
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
          {roles.map((r) => (
            <option key={r.name} value={r.name}>
              {r.name}
            </option>
          ))}
        </select>
      </Field>
      <ErrorMessage error={action.error} />
      <Notice>{notice}</Notice>
      <div class="actions">
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Creating…' : 'Create User'}
        </button>
      </div>
    </form>
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
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void patch({ role }, `Role of ${user.username} set to ${role}.`);
          }}
        >
          <label class="visually-hidden" for={`${id}-role`}>
            Role of {user.username}
          </label>
          <select id={`${id}-role`} value={role} onChange={(e) => setRole(e.currentTarget.value)}>
            {!roles.some((r) => r.name === user.role) && <option value={user.role}>{user.role}</option>}
            {roles.map((r) => (
              <option key={r.name} value={r.name}>
                {r.name}
              </option>
            ))}
          </select>
          <button type="submit" class="secondary small" disabled={action.busy || role === user.role}>
            Save
          </button>
        </form>
      </td>
      <td>{user.disabled ? <span class="badge badge-suspended">Disabled</span> : 'No'}</td>
      <td>
        <div class="actions" role="group" aria-label={`Actions for ${user.username}`}>
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
          <ConfirmButton
            label="Delete"
            question={`Delete user ${user.username}?`}
            confirmLabel="Yes, delete"
            busy={action.busy}
            onConfirm={() =>
              action.run(async () => {
                await api(path`/api/v1/users/${user.username}`, { method: 'DELETE' });
                onChanged();
              })
            }
          />
        </div>
        <ErrorMessage error={action.error} />
        <Notice>{notice}</Notice>
      </td>
    </tr>
  );
}

export function Users() {
  const [more, setMore] = useState<{ items: User[]; next: string | null }>({ items: [], next: null });
  const state = useAsync(async () => {
    const [users, roles] = await Promise.all([
      api<UserPage>('/api/v1/users?limit=200'),
      api<RoleList>('/api/v1/roles'),
    ]);
    setMore({ items: [], next: users.nextCursor });
    return { users: users.items, roles: roles.items };
  }, []);
  const loadMore = useAction();
  return (
    <section>
      <PageTitle title="Users">Users</PageTitle>
      <PlatformTabs current="users" />
      <Loaded state={state}>
        {(data) => (
          <>
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Username</th>
                    <th scope="col">Display name</th>
                    <th scope="col">Email</th>
                    <th scope="col">Role</th>
                    <th scope="col">Disabled</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {[...data.users, ...more.items].map((u) => (
                    <UserRow key={u.username} user={u} roles={data.roles} onChanged={() => state.reload()} />
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
                      const page = await api<UserPage>(
                        `/api/v1/users?${new URLSearchParams({ limit: '200', cursor: more.next! })}`,
                      );
                      setMore((m) => ({ items: [...m.items, ...page.items], next: page.nextCursor }));
                    })
                  }
                >
                  {loadMore.busy ? 'Loading…' : 'Show more'}
                </button>
              </p>
            )}
            <CreateUser roles={data.roles} onCreated={() => state.reload()} />
          </>
        )}
      </Loaded>
    </section>
  );
}

// ---------------------------------------------------------------- roles

type Catalogue = PermissionList['items'];

function PermissionBoxes({
  idPrefix,
  catalogue,
  chosen,
  onChange,
}: {
  idPrefix: string;
  catalogue: Catalogue;
  chosen: Permission[];
  onChange: (next: Permission[]) => void;
}) {
  return (
    <fieldset class="checks">
      <legend>Permissions</legend>
      {catalogue.map((p) => {
        const id = `${idPrefix}-${p.name}`;
        return (
          <div class="check" key={p.name}>
            <input
              id={id}
              type="checkbox"
              checked={chosen.includes(p.name)}
              aria-describedby={`${id}-hint`}
              onChange={(e) =>
                onChange(
                  e.currentTarget.checked
                    ? catalogue.map((c) => c.name).filter((n) => n === p.name || chosen.includes(n))
                    : chosen.filter((n) => n !== p.name),
                )
              }
            />
            <label for={id}>{p.name}</label>
            <small id={`${id}-hint`} class="muted">
              {p.description}
            </small>
          </div>
        );
      })}
    </fieldset>
  );
}

function CreateRole({ catalogue, onCreated }: { catalogue: Catalogue; onCreated: () => void }) {
  const action = useAction();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [permissions, setPermissions] = useState<Permission[]>([]);
  const [notice, setNotice] = useState('');
  return (
    <form
      class="panel"
      aria-labelledby="create-role-heading"
      onSubmit={async (e) => {
        e.preventDefault();
        setNotice('');
        let created: Role | undefined;
        const body: { name: string; permissions: Permission[]; description?: string } = {
          name: name.trim(),
          permissions,
        };
        if (description.trim()) body.description = description.trim();
        const ok = await action.run(async () => {
          created = await api<Role>('/api/v1/roles', { method: 'POST', json: body });
        });
        if (ok && created) {
          setNotice(`Role “${created.name}” created.`);
          setName('');
          setDescription('');
          setPermissions([]);
          onCreated();
        }
      }}
    >
      <h2 id="create-role-heading">Create Role</h2>
      <Field id="role-name" label="Name" hint="Lower-case letters, digits and -, as in a DNS name.">
        <input
          id="role-name"
          required
          maxLength={63}
          aria-describedby="role-name-hint"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </Field>
      <Field id="role-description" label="Description">
        <input
          id="role-description"
          maxLength={500}
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
      </Field>
      <PermissionBoxes idPrefix="role-new" catalogue={catalogue} chosen={permissions} onChange={setPermissions} />
      <ErrorMessage error={action.error} />
      <Notice>{notice}</Notice>
      <div class="actions">
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Creating…' : 'Create Role'}
        </button>
      </div>
    </form>
  );
}

function RoleRow({ role, catalogue, onChanged }: { role: Role; catalogue: Catalogue; onChanged: () => void }) {
  const action = useAction();
  const [editing, setEditing] = useState(false);
  const [permissions, setPermissions] = useState<Permission[]>(role.permissions);
  const [description, setDescription] = useState(role.description);
  const [notice, setNotice] = useState('');
  const id = `role-${role.name}`;
  return (
    <>
      <tr>
        <th scope="row">{role.name}</th>
        <td>{role.description}</td>
        <td>
          {role.permissions.length ? (
            <ul class="plain">
              {role.permissions.map((p) => (
                <li key={p}>
                  <code>{p}</code>
                </li>
              ))}
            </ul>
          ) : (
            <span class="muted">None</span>
          )}
        </td>
        <td>{role.users}</td>
        <td>{role.builtin ? 'Yes' : 'No'}</td>
        <td>
          {role.builtin ? (
            <span class="muted">Cannot be changed</span>
          ) : (
            <div class="actions" role="group" aria-label={`Actions for ${role.name}`}>
              <button
                type="button"
                class="secondary small"
                aria-expanded={editing}
                aria-controls={`${id}-edit`}
                onClick={() => {
                  action.clear();
                  setNotice('');
                  setPermissions(role.permissions);
                  setDescription(role.description);
                  setEditing(!editing);
                }}
              >
                Edit
              </button>
              <ConfirmButton
                label="Delete"
                question={`Delete role ${role.name}?`}
                confirmLabel="Yes, delete"
                busy={action.busy}
                onConfirm={() =>
                  action.run(async () => {
                    await api(path`/api/v1/roles/${role.name}`, { method: 'DELETE' });
                    onChanged();
                  })
                }
              />
            </div>
          )}
          {!editing && <ErrorMessage error={action.error} />}
          <Notice>{editing ? '' : notice}</Notice>
        </td>
      </tr>
      {editing && (
        <tr id={`${id}-edit`} class="row-form">
          <td colSpan={6}>
            <form
              aria-label={`Edit role ${role.name}`}
              onSubmit={async (e) => {
                e.preventDefault();
                const ok = await action.run(() =>
                  api<Role>(path`/api/v1/roles/${role.name}`, {
                    method: 'PATCH',
                    json: { permissions, description: description.trim() },
                  }),
                );
                if (ok) {
                  setNotice('Saved.');
                  setEditing(false);
                  onChanged();
                }
              }}
            >
              <Field id={`${id}-description`} label="Description">
                <input
                  id={`${id}-description`}
                  maxLength={500}
                  value={description}
                  onInput={(e) => setDescription(e.currentTarget.value)}
                />
              </Field>
              <PermissionBoxes idPrefix={id} catalogue={catalogue} chosen={permissions} onChange={setPermissions} />
              <ErrorMessage error={action.error} />
              <div class="actions">
                <button type="submit" disabled={action.busy}>
                  {action.busy ? 'Saving…' : 'Save'}
                </button>
                <button type="button" class="secondary" onClick={() => setEditing(false)}>
                  Cancel
                </button>
              </div>
            </form>
          </td>
        </tr>
      )}
    </>
  );
}

export function Roles() {
  const state = useAsync(
    () =>
      Promise.all([api<RoleList>('/api/v1/roles'), api<PermissionList>('/api/v1/permissions')]).then(
        ([roles, perms]) => ({ roles: roles.items, catalogue: perms.items }),
      ),
    [],
  );
  return (
    <section>
      <PageTitle title="Roles">Roles</PageTitle>
      <PlatformTabs current="roles" />
      <Loaded state={state}>
        {(data) => (
          <>
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Description</th>
                    <th scope="col">Permissions</th>
                    <th scope="col">Users</th>
                    <th scope="col">Built-in</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {data.roles.map((r) => (
                    <RoleRow key={r.name} role={r} catalogue={data.catalogue} onChanged={() => state.reload()} />
                  ))}
                </tbody>
              </table>
            </div>
            <CreateRole catalogue={data.catalogue} onCreated={() => state.reload()} />
          </>
        )}
      </Loaded>
    </section>
  );
}

// ---------------------------------------------------------------- workspaces

function CreateWorkspace({ onCreated }: { onCreated: () => void }) {
  const action = useAction();
  const [name, setName] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [created, setCreated] = useState<Workspace | null>(null);
  return (
    <form
      class="panel"
      aria-labelledby="create-workspace-heading"
      onSubmit={async (e) => {
        e.preventDefault();
        setCreated(null);
        const body: { name: string; displayName?: string } = { name: name.trim() };
        if (displayName.trim()) body.displayName = displayName.trim();
        let ws: Workspace | undefined;
        const ok = await action.run(async () => {
          ws = await api<Workspace>('/api/v1/workspaces', { method: 'POST', json: body });
        });
        if (ok && ws) {
          setCreated(ws);
          setName('');
          setDisplayName('');
          onCreated();
        }
      }}
    >
      <h2 id="create-workspace-heading">Create Workspace</h2>
      <Field id="workspace-name" label="Name" hint="Lower-case letters, digits and -, as in a DNS name.">
        <input
          id="workspace-name"
          required
          maxLength={63}
          aria-describedby="workspace-name-hint"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </Field>
      <Field id="workspace-display-name" label="Display name">
        <input
          id="workspace-display-name"
          maxLength={200}
          value={displayName}
          onInput={(e) => setDisplayName(e.currentTarget.value)}
        />
      </Field>
      <ErrorMessage error={action.error} />
      {created && (
        <Notice>
          Workspace “{created.name}” created. <a href={href('platform', 'workspaces', created.name)}>Add its members</a>
          .
        </Notice>
      )}
      <div class="actions">
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Creating…' : 'Create Workspace'}
        </button>
      </div>
    </form>
  );
}

function WorkspaceRow({ ws, onChanged }: { ws: Workspace; onChanged: () => void }) {
  const action = useAction();
  return (
    <tr>
      <th scope="row">
        <a href={href('platform', 'workspaces', ws.name)}>{ws.name}</a>
      </th>
      <td>{ws.displayName}</td>
      <td>{formatTime(ws.createdAt)}</td>
      <td>
        <div class="actions" role="group" aria-label={`Actions for ${ws.name}`}>
          <a class="button secondary small" href={href('workspaces', ws.name)}>
            Apps
          </a>
          <ConfirmButton
            label="Delete"
            question={`Delete workspace ${ws.name}?`}
            confirmLabel="Yes, delete"
            busy={action.busy}
            onConfirm={() =>
              action.run(async () => {
                await api(path`/api/v1/workspaces/${ws.name}`, { method: 'DELETE' });
                onChanged();
              })
            }
          />
        </div>
        <ErrorMessage error={action.error} />
      </td>
    </tr>
  );
}

export function PlatformWorkspaces() {
  const list = useAsync(() => api<WorkspaceList>('/api/v1/workspaces'), []);
  const session = useSession();
  return (
    <section>
      <PageTitle title="Workspaces">Workspaces</PageTitle>
      <PlatformTabs current="workspaces" />
      <Loaded state={list}>
        {(data) =>
          data.items.length === 0 ? (
            <p class="muted">There are no workspaces yet.</p>
          ) : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Display name</th>
                    <th scope="col">Created</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((ws) => (
                    <WorkspaceRow key={ws.name} ws={ws} onChanged={() => list.reload()} />
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
      {session.can('workspaces.manage') && <CreateWorkspace onCreated={() => list.reload()} />}
    </section>
  );
}

// ---------------------------------------------------------------- members

const WORKSPACE_ROLES: WorkspaceRole[] = ['workspace-admin', 'workspace-regular', 'workspace-viewer'];

function RoleSelect({
  id,
  value,
  onChange,
}: {
  id: string;
  value: WorkspaceRole;
  onChange: (r: WorkspaceRole) => void;
}) {
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value as WorkspaceRole)}>
      {WORKSPACE_ROLES.map((r) => (
        <option key={r} value={r}>
          {r}
        </option>
      ))}
    </select>
  );
}

function MemberRow({ ws, member, onChanged }: { ws: string; member: Member; onChanged: () => void }) {
  const action = useAction();
  const [role, setRole] = useState<WorkspaceRole>(member.role);
  useEffect(() => setRole(member.role), [member.role]);
  const [notice, setNotice] = useState('');
  const id = `member-${member.username}`;
  return (
    <tr>
      <th scope="row">{member.username}</th>
      <td>{member.displayName}</td>
      <td>
        <form
          class="inline-form"
          onSubmit={async (e) => {
            e.preventDefault();
            setNotice('');
            const ok = await action.run(() =>
              api<Member>(path`/api/v1/workspaces/${ws}/members/${member.username}`, { method: 'PUT', json: { role } }),
            );
            if (ok) {
              setNotice(`${member.username} is now ${role}.`);
              onChanged();
            }
          }}
        >
          <label class="visually-hidden" for={`${id}-role`}>
            Role of {member.username}
          </label>
          <RoleSelect id={`${id}-role`} value={role} onChange={setRole} />
          <button type="submit" class="secondary small" disabled={action.busy || role === member.role}>
            Save
          </button>
        </form>
      </td>
      <td>{formatTime(member.joinedAt)}</td>
      <td>
        <ConfirmButton
          label="Remove"
          question={`Remove ${member.username} from ${ws}?`}
          confirmLabel="Yes, remove"
          busy={action.busy}
          onConfirm={() =>
            action.run(async () => {
              await api(path`/api/v1/workspaces/${ws}/members/${member.username}`, { method: 'DELETE' });
              onChanged();
            })
          }
        />
        <ErrorMessage error={action.error} />
        <Notice>{notice}</Notice>
      </td>
    </tr>
  );
}

function InviteMember({ ws, onAdded }: { ws: string; onAdded: () => void }) {
  const action = useAction();
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<WorkspaceRole>('workspace-regular');
  const [notice, setNotice] = useState('');
  return (
    <form
      class="panel"
      aria-labelledby="invite-heading"
      onSubmit={async (e) => {
        e.preventDefault();
        setNotice('');
        const name = username.trim();
        let member: Member | undefined;
        const ok = await action.run(async () => {
          member = await api<Member>(path`/api/v1/workspaces/${ws}/members/${name}`, { method: 'PUT', json: { role } });
        });
        if (ok && member) {
          setNotice(`${member.username} is a member of ${ws} as ${member.role}.`);
          setUsername('');
          onAdded();
        }
      }}
    >
      <h2 id="invite-heading">Invite Member</h2>
      <Field id="invite-username" label="Username">
        <input
          id="invite-username"
          required
          maxLength={63}
          autocomplete="off"
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
        />
      </Field>
      <Field id="invite-role" label="Role">
        <RoleSelect id="invite-role" value={role} onChange={setRole} />
      </Field>
      <ErrorMessage error={action.error} />
      <Notice>{notice}</Notice>
      <div class="actions">
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Inviting…' : 'Invite Member'}
        </button>
      </div>
    </form>
  );
}

export function WorkspaceMembers({ ws }: { ws: string }) {
  const members = useAsync(() => api<MemberList>(path`/api/v1/workspaces/${ws}/members`), [ws]);
  return (
    <section>
      <PageTitle title={`Members of ${ws}`}>Members of {ws}</PageTitle>
      <PlatformTabs current="workspaces" />
      <p class="actions">
        <a href={href('platform', 'workspaces')}>← All workspaces</a>
        <a href={href('workspaces', ws)}>Apps of {ws}</a>
      </p>
      <Loaded state={members}>
        {(data) =>
          data.items.length === 0 ? (
            <p class="muted">This workspace has no members yet.</p>
          ) : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Username</th>
                    <th scope="col">Display name</th>
                    <th scope="col">Role</th>
                    <th scope="col">Joined</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((m) => (
                    <MemberRow key={m.username} ws={ws} member={m} onChanged={() => members.reload()} />
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
      <InviteMember ws={ws} onAdded={() => members.reload()} />
    </section>
  );
}

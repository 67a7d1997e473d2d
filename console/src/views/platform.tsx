// Platform administration: the tab bar of its pages, the workspaces and their members.
// Each tab shows only when the caller's permissions allow it; the API decides all the same.
import { useEffect, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { allPages, api, path, type Member, type Permission, type Workspace, type WorkspaceRole } from '../api.ts';
import {
  DataTable,
  ErrorMessage,
  Field,
  formatTime,
  Loaded,
  Notice,
  PageTitle,
  Tabs,
  useAction,
  useAsync,
} from '../components.tsx';
import { CreateForm, DeleteButton, InlineForm, NameField, NameOptions, RowActions, useCreate } from '../forms.tsx';
import { href } from '../router.ts';
import { useSession } from '../session.tsx';

type PlatformTab = 'users' | 'roles' | 'workspaces';

function PlatformTabs({ current }: { current: PlatformTab }) {
  const session = useSession();
  const tab = (name: PlatformTab, label: string, permission: Permission) =>
    session.can(permission) && { href: href('platform', name), label, current: current === name };
  return (
    <Tabs
      label="Platform"
      tabs={[
        tab('users', 'Users', 'users.manage'),
        tab('roles', 'Roles', 'roles.manage'),
        tab('workspaces', 'Workspaces', 'workspaces.manage'),
      ]}
    />
  );
}

/** A platform page: its title and the tab bar over the content. */
export function PlatformPage({
  title,
  tab,
  children,
}: {
  title: string;
  tab: PlatformTab;
  children: ComponentChildren;
}) {
  return (
    <section>
      <PageTitle title={title}>{title}</PageTitle>
      <PlatformTabs current={tab} />
      {children}
    </section>
  );
}

// ---------------------------------------------------------------- workspaces

function CreateWorkspace({ onCreated }: { onCreated: () => void }) {
  const state = useCreate();
  const [name, setName] = useState('');
  const [displayName, setDisplayName] = useState('');
  return (
    <CreateForm
      headingId="create-workspace-heading"
      heading="Create Workspace"
      state={state}
      onSubmit={() => {
        const body: { name: string; displayName?: string } = { name: name.trim() };
        if (displayName.trim()) body.displayName = displayName.trim();
        return state.create(
          () => api<Workspace>('/api/v1/workspaces', { method: 'POST', json: body }),
          (created) => {
            setName('');
            setDisplayName('');
            onCreated();
            return (
              <>
                Workspace “{created.name}” created.{' '}
                <a href={href('platform', 'workspaces', created.name)}>Add its members</a>.
              </>
            );
          },
        );
      }}
    >
      <NameField id="workspace-name" value={name} onValue={setName} />
      <Field id="workspace-display-name" label="Display name">
        <input
          id="workspace-display-name"
          maxLength={200}
          value={displayName}
          onInput={(e) => setDisplayName(e.currentTarget.value)}
        />
      </Field>
    </CreateForm>
  );
}

function WorkspaceRow({ ws, onChanged }: { ws: Workspace; onChanged: () => void }) {
  const action = useAction();
  const remove = { what: `workspace ${ws.name}`, url: path`/api/v1/workspaces/${ws.name}`, action, onDone: onChanged };
  return (
    <tr>
      <th scope="row">
        <a href={href('platform', 'workspaces', ws.name)}>{ws.name}</a>
      </th>
      <td>{ws.displayName}</td>
      <td>{formatTime(ws.createdAt)}</td>
      <td>
        <RowActions name={ws.name} {...remove}>
          <a class="button secondary small" href={href('workspaces', ws.name)}>
            Apps
          </a>
        </RowActions>
        <ErrorMessage error={action.error} />
      </td>
    </tr>
  );
}

export function PlatformWorkspaces() {
  const list = useAsync(async () => ({ items: await allPages<Workspace>('/api/v1/workspaces') }), []);
  const session = useSession();
  return (
    <PlatformPage title="Workspaces" tab="workspaces">
      <Loaded state={list}>
        {(data) =>
          data.items.length === 0 ? (
            <p class="muted">There are no workspaces yet.</p>
          ) : (
            <DataTable columns={['Name', 'Display name', 'Created', 'Actions']}>
              {data.items.map((ws) => (
                <WorkspaceRow key={ws.name} ws={ws} onChanged={() => list.reload()} />
              ))}
            </DataTable>
          )
        }
      </Loaded>
      {session.can('workspaces.manage') && <CreateWorkspace onCreated={() => list.reload()} />}
    </PlatformPage>
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
      <NameOptions names={WORKSPACE_ROLES} />
    </select>
  );
}

function MemberRow({ ws, member, onChanged }: { ws: string; member: Member; onChanged: () => void }) {
  const action = useAction();
  const [role, setRole] = useState<WorkspaceRole>(member.role);
  useEffect(() => setRole(member.role), [member.role]);
  const [notice, setNotice] = useState('');
  const id = `member-${member.username}`;
  const url = path`/api/v1/workspaces/${ws}/members/${member.username}`;
  return (
    <tr>
      <th scope="row">{member.username}</th>
      <td>{member.displayName}</td>
      <td>
        <InlineForm
          id={`${id}-role`}
          label={<>Role of {member.username}</>}
          hideLabel
          disabled={action.busy || role === member.role}
          onSubmit={async () => {
            setNotice('');
            const ok = await action.run(() => api<Member>(url, { method: 'PUT', json: { role } }));
            if (ok) {
              setNotice(`${member.username} is now ${role}.`);
              onChanged();
            }
          }}
        >
          <RoleSelect id={`${id}-role`} value={role} onChange={setRole} />
        </InlineForm>
      </td>
      <td>{formatTime(member.joinedAt)}</td>
      <td>
        <DeleteButton
          label="Remove"
          what={`${member.username} from ${ws}`}
          url={url}
          action={action}
          onDone={onChanged}
        />
        <ErrorMessage error={action.error} />
        <Notice>{notice}</Notice>
      </td>
    </tr>
  );
}

function InviteMember({ ws, onAdded }: { ws: string; onAdded: () => void }) {
  const state = useCreate();
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<WorkspaceRole>('workspace-regular');
  return (
    <CreateForm
      headingId="invite-heading"
      heading="Invite Member"
      busyLabel="Inviting…"
      state={state}
      onSubmit={() => {
        const name = username.trim();
        return state.create(
          () => api<Member>(path`/api/v1/workspaces/${ws}/members/${name}`, { method: 'PUT', json: { role } }),
          (member) => {
            setUsername('');
            onAdded();
            return `${member.username} is a member of ${ws} as ${member.role}.`;
          },
        );
      }}
    >
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
    </CreateForm>
  );
}

export function WorkspaceMembers({ ws }: { ws: string }) {
  const members = useAsync(
    async () => ({ items: await allPages<Member>(path`/api/v1/workspaces/${ws}/members`) }),
    [ws],
  );
  return (
    <PlatformPage title={`Members of ${ws}`} tab="workspaces">
      <p class="actions">
        <a href={href('platform', 'workspaces')}>← All workspaces</a>
        <a href={href('workspaces', ws)}>Apps of {ws}</a>
      </p>
      <Loaded state={members}>
        {(data) =>
          data.items.length === 0 ? (
            <p class="muted">This workspace has no members yet.</p>
          ) : (
            <DataTable columns={['Username', 'Display name', 'Role', 'Joined', 'Actions']}>
              {data.items.map((m) => (
                <MemberRow key={m.username} ws={ws} member={m} onChanged={() => members.reload()} />
              ))}
            </DataTable>
          )
        }
      </Loaded>
      <InviteMember ws={ws} onAdded={() => members.reload()} />
    </PlatformPage>
  );
}

// Platform roles: the permission catalogue as checkboxes, the roles with their
// permissions (edited in a row form), and the form that creates a role.
import { useState } from 'preact/hooks';
import { api, path, type Permission, type PermissionList, type Role, type RoleList } from '../api.ts';
import { DataTable, ErrorMessage, Field, Loaded, Notice, useAction, useAsync } from '../components.tsx';
import { CreateForm, NameField, RowActions, RowForm, useCreate, type DraftProps } from '../forms.tsx';
import { PlatformPage } from './platform.tsx';

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

type RoleDraft = { description: string; permissions: Permission[] };

/** A role's description and permissions, as the create and edit forms ask for them. */
function RoleFields({
  id,
  idPrefix,
  catalogue,
  draft,
  onChange,
}: DraftProps<RoleDraft> & { idPrefix: string; catalogue: Catalogue }) {
  return (
    <>
      <Field id={id} label="Description">
        <input
          id={id}
          maxLength={500}
          value={draft.description}
          onInput={(e) => onChange({ ...draft, description: e.currentTarget.value })}
        />
      </Field>
      <PermissionBoxes
        idPrefix={idPrefix}
        catalogue={catalogue}
        chosen={draft.permissions}
        onChange={(permissions) => onChange({ ...draft, permissions })}
      />
    </>
  );
}

function CreateRole({ catalogue, onCreated }: { catalogue: Catalogue; onCreated: () => void }) {
  const state = useCreate();
  const [name, setName] = useState('');
  const [draft, setDraft] = useState<RoleDraft>({ description: '', permissions: [] });
  return (
    <CreateForm
      headingId="create-role-heading"
      heading="Create Role"
      state={state}
      onSubmit={() => {
        const body: { name: string; permissions: Permission[]; description?: string } = {
          name: name.trim(),
          permissions: draft.permissions,
        };
        if (draft.description.trim()) body.description = draft.description.trim();
        return state.create(
          () => api<Role>('/api/v1/roles', { method: 'POST', json: body }),
          (created) => {
            setName('');
            setDraft({ description: '', permissions: [] });
            onCreated();
            return `Role “${created.name}” created.`;
          },
        );
      }}
    >
      <NameField id="role-name" value={name} onValue={setName} />
      <RoleFields id="role-description" idPrefix="role-new" catalogue={catalogue} draft={draft} onChange={setDraft} />
    </CreateForm>
  );
}

function RoleRow({ role, catalogue, onChanged }: { role: Role; catalogue: Catalogue; onChanged: () => void }) {
  const action = useAction();
  const [editing, setEditing] = useState(false);
  const draftOf = (r: Role): RoleDraft => ({ description: r.description, permissions: r.permissions });
  const [draft, setDraft] = useState(draftOf(role));
  const [notice, setNotice] = useState('');
  const remove = { what: `role ${role.name}`, url: path`/api/v1/roles/${role.name}`, action, onDone: onChanged };
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
            <RowActions name={role.name} {...remove}>
              <button
                type="button"
                class="secondary small"
                aria-expanded={editing}
                aria-controls={`${id}-edit`}
                onClick={() => {
                  action.clear();
                  setNotice('');
                  setDraft(draftOf(role));
                  setEditing(!editing);
                }}
              >
                Edit
              </button>
            </RowActions>
          )}
          {!editing && <ErrorMessage error={action.error} />}
          <Notice>{editing ? '' : notice}</Notice>
        </td>
      </tr>
      {editing && (
        <tr id={`${id}-edit`} class="row-form">
          <td colSpan={6}>
            <RowForm
              label={`Edit role ${role.name}`}
              action={action}
              onSubmit={async () => {
                const ok = await action.run(() =>
                  api<Role>(path`/api/v1/roles/${role.name}`, {
                    method: 'PATCH',
                    json: { permissions: draft.permissions, description: draft.description.trim() },
                  }),
                );
                if (ok) {
                  setNotice('Saved.');
                  setEditing(false);
                  onChanged();
                }
              }}
              onCancel={() => setEditing(false)}
            >
              <RoleFields
                id={`${id}-description`}
                idPrefix={id}
                catalogue={catalogue}
                draft={draft}
                onChange={setDraft}
              />
            </RowForm>
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
    <PlatformPage title="Roles" tab="roles">
      <Loaded state={state}>
        {(data) => (
          <>
            <DataTable columns={['Name', 'Description', 'Permissions', 'Users', 'Built-in', 'Actions']}>
              {data.roles.map((r) => (
                <RoleRow key={r.name} role={r} catalogue={data.catalogue} onChanged={() => state.reload()} />
              ))}
            </DataTable>
            <CreateRole catalogue={data.catalogue} onCreated={() => state.reload()} />
          </>
        )}
      </Loaded>
    </PlatformPage>
  );
}

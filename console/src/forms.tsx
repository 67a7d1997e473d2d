// Form pieces the management views share: the "create" panel with its notice, the form
// that opens under a table row, the one-select inline form, the row actions and delete button,
// name fields and options, and the search form over a list.
import { useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { api } from './api.ts';
import { ConfirmButton, ErrorMessage, Field, Notice, useAction } from './components.tsx';

type Action = ReturnType<typeof useAction>;

/** Makes something through an action; the notice says what was made. */
export function useCreate() {
  const action = useAction();
  const [notice, setNotice] = useState<ComponentChildren>('');
  /** Runs `send`; when it made something, `done` tidies up and returns the notice to show. */
  const create = async <T,>(
    send: () => Promise<T>,
    done: (made: T) => ComponentChildren | Promise<ComponentChildren>,
  ) => {
    setNotice('');
    let made: T | undefined;
    const ok = await action.run(async () => {
      made = await send();
    });
    if (ok && made) setNotice(await done(made));
  };
  return { action, notice, create };
}

/** A panel that makes something: its heading (also the submit button's label), fields, refusal and notice. */
export function CreateForm({
  headingId,
  heading,
  busyLabel = 'Creating…',
  state,
  onSubmit,
  after,
  children,
}: {
  headingId: string;
  heading: string;
  busyLabel?: string;
  state: ReturnType<typeof useCreate>;
  onSubmit: () => Promise<void>;
  /** Shown under the notice (a second refusal). */
  after?: ComponentChildren;
  children: ComponentChildren;
}) {
  const { action, notice } = state;
  return (
    <form
      class="panel"
      aria-labelledby={headingId}
      onSubmit={async (e) => {
        e.preventDefault();
        await onSubmit();
      }}
    >
      <h2 id={headingId}>{heading}</h2>
      {children}
      <ErrorMessage error={action.error} />
      <Notice>{notice}</Notice>
      {after}
      <div class="actions">
        <button type="submit" disabled={action.busy}>
          {action.busy ? busyLabel : heading}
        </button>
      </div>
    </form>
  );
}

/** A form opened under a table row, with its refusal, a submit button and Cancel. */
export function RowForm({
  label,
  action,
  submit = 'Save',
  busyLabel = 'Saving…',
  disabled = false,
  onSubmit,
  onCancel,
  children,
}: {
  label: string;
  action: Action;
  submit?: string;
  busyLabel?: string;
  disabled?: boolean;
  onSubmit: () => unknown;
  onCancel: () => void;
  children: ComponentChildren;
}) {
  return (
    <form
      aria-label={label}
      onSubmit={async (e) => {
        e.preventDefault();
        await onSubmit();
      }}
    >
      {children}
      <ErrorMessage error={action.error} />
      <div class="actions">
        <button type="submit" disabled={action.busy || disabled}>
          {action.busy ? busyLabel : submit}
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** One labelled select (or other control) and its Save button, on a line. */
export function InlineForm({
  id,
  label,
  hideLabel = false,
  disabled,
  onSubmit,
  children,
}: {
  id: string;
  label: ComponentChildren;
  hideLabel?: boolean;
  disabled: boolean;
  onSubmit: () => unknown;
  children: ComponentChildren;
}) {
  return (
    <form
      class="inline-form"
      onSubmit={async (e) => {
        e.preventDefault();
        await onSubmit();
      }}
    >
      <label class={hideLabel ? 'visually-hidden' : undefined} for={id}>
        {label}
      </label>
      {children}
      <button type="submit" class="secondary small" disabled={disabled}>
        Save
      </button>
    </form>
  );
}

/** Asks "`label` `what`?" and then deletes (or removes) through `url`; `onDone` reloads the list. */
export function DeleteButton({
  what,
  url,
  action,
  onDone,
  label = 'Delete',
}: {
  what: string;
  url: string;
  action: Action;
  onDone: () => void;
  label?: string;
}) {
  return (
    <ConfirmButton
      label={label}
      question={`${label} ${what}?`}
      confirmLabel={`Yes, ${label.toLowerCase()}`}
      busy={action.busy}
      onConfirm={() =>
        action.run(async () => {
          await api(url, { method: 'DELETE' });
          onDone();
        })
      }
    />
  );
}

/** The props of a form part that edits a draft object. */
export type DraftProps<T> = { id: string; draft: T; onChange: (draft: T) => void };

/** A table row's group of action buttons, its delete button last. */
export function RowActions({
  name,
  children,
  ...remove
}: { name: string; children?: ComponentChildren } & Parameters<typeof DeleteButton>[0]) {
  return (
    <div class="actions" role="group" aria-label={`Actions for ${name}`}>
      {children}
      <DeleteButton {...remove} />
    </div>
  );
}

/** A required name in DNS-label form (users, roles, workspaces). */
export function NameField({
  id,
  label = 'Name',
  value,
  onValue,
  autocomplete,
}: {
  id: string;
  label?: string;
  value: string;
  onValue: (value: string) => void;
  autocomplete?: string;
}) {
  return (
    <Field id={id} label={label} hint="Lower-case letters, digits and -, as in a DNS name.">
      <input
        id={id}
        required
        maxLength={63}
        autocomplete={autocomplete}
        aria-describedby={`${id}-hint`}
        value={value}
        onInput={(e) => onValue(e.currentTarget.value)}
      />
    </Field>
  );
}

/** The options of a select whose values are names shown as they are. */
export function NameOptions({ names }: { names: string[] }) {
  return (
    <>
      {names.map((n) => (
        <option key={n} value={n}>
          {n}
        </option>
      ))}
    </>
  );
}

/** A search (or filter) form over a list: a hidden label, the box and its button. */
export function SearchForm({
  id,
  label,
  placeholder = label,
  button,
  value,
  onValue,
  onSubmit,
}: {
  id: string;
  label: string;
  placeholder?: string;
  button: string;
  value: string;
  onValue: (value: string) => void;
  onSubmit: () => void;
}) {
  return (
    <form
      class="search"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      <label class="visually-hidden" for={id}>
        {label}
      </label>
      <input
        id={id}
        type="search"
        placeholder={placeholder}
        value={value}
        onInput={(e) => onValue(e.currentTarget.value)}
      />
      <button type="submit">{button}</button>
    </form>
  );
}

/** A form's last rows: the refusal, then its submit button (worded for while it is busy)
 * and any other buttons. */
export function SubmitRow({
  action,
  label,
  busyLabel,
  children,
}: {
  action: { busy: boolean; error: Error | null };
  label: string;
  busyLabel: string;
  children?: ComponentChildren;
}) {
  return (
    <>
      <ErrorMessage error={action.error} />
      <div class="actions">
        <button type="submit" disabled={action.busy}>
          {action.busy ? busyLabel : label}
        </button>
        {children}
      </div>
    </>
  );
}

// Small pieces the workspace and app template views share: a loaded list or its "none"
// line, a table's column heads, and a form's closing refusal and submit row.
import type { ComponentChildren } from 'preact';
import { ErrorMessage, Loaded } from '../components.tsx';

/** A loaded list's items, or a muted line saying there are none. */
export function ItemsOrNone<T>({
  state,
  none,
  children,
}: {
  state: { data?: { items: T[] }; error?: Error; loading: boolean };
  none: string;
  children: (items: T[]) => ComponentChildren;
}) {
  return (
    <Loaded state={state}>
      {(data) => (data.items.length === 0 ? <p class="muted">{none}</p> : children(data.items))}
    </Loaded>
  );
}

/** A table's head: column headings by name, after any given first. */
export function HeadRow({ columns, children }: { columns: string[]; children?: ComponentChildren }) {
  return (
    <thead>
      <tr>
        {children}
        {columns.map((c) => (
          <th key={c} scope="col">
            {c}
          </th>
        ))}
      </tr>
    </thead>
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

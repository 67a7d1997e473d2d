// Pieces every view uses. Text from charts and users is only ever rendered as text
// (Preact escapes it); the one place HTML is made, Markdown, sanitizes it.
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ComponentChildren, JSX } from 'preact';
import { ApiError } from './api.ts';

/** Loads data for a view; `reload` runs it again (after an action). */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const seq = useRef(0);
  const run = useCallback(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => mine === seq.current && setState({ data, loading: false }),
      (error: Error) => mine === seq.current && setState({ error, loading: false }),
    );
    // The caller lists what `load` depends on, as with useEffect.
  }, deps);
  useEffect(run, [run]);
  return { ...state, reload: run };
}

/** Runs an action, keeping its error (shown as the API's message) and a busy flag. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const run = useCallback(async (action: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (err) {
      setError(err as Error);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: () => setError(null) };
}

/** The API's refusal, as it worded it, announced to screen readers. */
export function ErrorMessage({ error }: { error: Error | null | undefined }) {
  if (!error) return null;
  const code = error instanceof ApiError && error.code !== 'http-error' ? ` (${error.code})` : '';
  return (
    <p class="error" role="alert">
      {error.message}
      {code}
    </p>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p class="muted" role="status">
      {what}…
    </p>
  );
}

/** The usual shape of a view's data: loading, refusal, or the content. */
export function Loaded<T>({
  state,
  children,
}: {
  state: { data?: T; error?: Error; loading: boolean };
  children: (data: T) => ComponentChildren;
}) {
  if (state.error) return <ErrorMessage error={state.error} />;
  if (state.data === undefined) return <Loading />;
  return <>{children(state.data)}</>;
}

const STATE_LABELS: Record<string, string> = {
  draft: 'Draft',
  submitted: 'Submitted',
  passed: 'Passed',
  rejected: 'Rejected',
  active: 'Active',
  suspended: 'Suspended',
};

export function StateBadge({ state }: { state: string }) {
  return <span class={`badge badge-${state}`}>{STATE_LABELS[state] ?? state}</span>;
}

/** An app or category icon through <img> from the icon routes, never inlined; a letter
 * tile when there is none or it fails to load. */
export function Icon({ src, name, size = 48 }: { src: string | null | undefined; name: string; size?: number }) {
  const [failed, setFailed] = useState(false);
  useEffect(() => setFailed(false), [src]);
  const style = { width: `${size}px`, height: `${size}px` };
  if (!src || failed) {
    return (
      <span class="icon icon-letter" style={style} aria-hidden="true">
        {name.slice(0, 1).toUpperCase()}
      </span>
    );
  }
  return <img class="icon" src={src} alt="" width={size} height={size} onError={() => setFailed(true)} />;
}

/** A command with a copy button. */
export function CopyCommand({ label, command }: { label: string; command: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(command);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      setCopied(false);
    }
  };
  return (
    <div class="copy">
      <span class="copy-label">{label}</span>
      <code>{command}</code>
      <button type="button" class="secondary small" onClick={copy} aria-label={`Copy: ${label}`}>
        {copied ? 'Copied' : 'Copy'}
      </button>
      <span class="visually-hidden" role="status">
        {copied ? 'Copied to the clipboard' : ''}
      </span>
    </div>
  );
}

/** A progress bar for long actions (uploads, syncs). */
export function Progress({ label, value }: { label: string; value: number | null }) {
  return (
    <div class="progress">
      <label>
        {label}
        {value === null ? <progress /> : <progress max={1} value={value} />}
      </label>
    </div>
  );
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** A labelled form field; `hint` is tied to the input for screen readers. */
export function Field({
  label,
  hint,
  children,
  id,
}: {
  label: string;
  hint?: string;
  id: string;
  children: JSX.Element;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
      {hint && (
        <small id={`${id}-hint`} class="muted">
          {hint}
        </small>
      )}
    </div>
  );
}

/** A page's title, also set as the document title. */
export function PageTitle({ children, title }: { children: ComponentChildren; title: string }) {
  useEffect(() => {
    document.title = `${title} · Chartroom`;
  }, [title]);
  return <h1 tabIndex={-1}>{children}</h1>;
}

/**
 * A button that asks again inline before a destructive action (no browser dialogs).
 * `onConfirm` resolves true when done; the question then closes.
 */
export function ConfirmButton({
  label,
  question,
  confirmLabel,
  busy,
  onConfirm,
}: {
  label: string;
  question: string;
  confirmLabel: string;
  busy: boolean;
  onConfirm: () => Promise<boolean>;
}) {
  const [open, setOpen] = useState(false);
  const yes = useRef<HTMLButtonElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(false);
  useLayoutEffect(() => {
    if (open) yes.current?.focus();
    else if (wasOpen.current) opener.current?.focus();
    wasOpen.current = open;
  }, [open]);
  if (!open) {
    return (
      <button ref={opener} type="button" class="secondary small" disabled={busy} onClick={() => setOpen(true)}>
        {label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={question}>
      <span>{question}</span>
      <button
        ref={yes}
        type="button"
        class="danger small"
        disabled={busy}
        onClick={async () => {
          if (await onConfirm()) setOpen(false);
        }}
      >
        {busy ? 'Working…' : confirmLabel}
      </button>
      <button type="button" class="secondary small" disabled={busy} onClick={() => setOpen(false)}>
        Cancel
      </button>
    </span>
  );
}

/** A status line after something was made or changed. */
export function Notice({ children }: { children: ComponentChildren }) {
  if (!children) return null;
  return (
    <p class="notice" role="status">
      {children}
    </p>
  );
}

/** A page's tab bar; a tab given as false (not allowed to the caller) is left out. */
export function Tabs({
  label,
  tabs,
}: {
  label: string;
  tabs: ({ href: string; label: string; current: boolean } | false)[];
}) {
  return (
    <nav aria-label={label}>
      <ul class="tabs">
        {tabs.map(
          (t) =>
            t && (
              <li key={t.href}>
                <a href={t.href} aria-current={t.current ? 'page' : undefined}>
                  {t.label}
                </a>
              </li>
            ),
        )}
      </ul>
    </nav>
  );
}

/** A scrollable table with a row of column headings. */
export function DataTable({
  columns,
  children,
  class: className,
  caption,
}: {
  columns: ComponentChildren[];
  children: ComponentChildren;
  class?: string;
  caption?: ComponentChildren;
}) {
  return (
    <div class="table-wrap">
      <table class={className}>
        {caption && <caption class="visually-hidden">{caption}</caption>}
        <HeadRow columns={columns} />
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** The pages of a list after its first: `reset` with the first page's cursor, then `ShowMore` fetches on. */
export function usePages<T>() {
  const [more, setMore] = useState<{ items: T[]; next: string | null }>({ items: [], next: null });
  const action = useAction();
  const reset = useCallback((next: string | null) => setMore({ items: [], next }), []);
  const load = (fetch: (cursor: string) => Promise<{ items: T[]; nextCursor: string | null }>) =>
    action.run(async () => {
      const page = await fetch(more.next!);
      setMore((m) => ({ items: [...m.items, ...page.items], next: page.nextCursor }));
    });
  return { ...more, action, reset, load };
}

/** The "Show more" button under a paged list, and the refusal when a page fails. */
export function ShowMore<T>({
  pages,
  fetch,
}: {
  pages: ReturnType<typeof usePages<T>>;
  fetch: (cursor: string) => Promise<{ items: T[]; nextCursor: string | null }>;
}) {
  return (
    <>
      <ErrorMessage error={pages.action.error} />
      {pages.next && (
        <p>
          <button type="button" class="secondary" disabled={pages.action.busy} onClick={() => pages.load(fetch)}>
            {pages.action.busy ? 'Loading…' : 'Show more'}
          </button>
        </p>
      )}
    </>
  );
}

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
export function HeadRow({ columns, children }: { columns: ComponentChildren[]; children?: ComponentChildren }) {
  return (
    <thead>
      <tr>
        {children}
        {columns.map((c, i) => (
          <th key={i} scope="col">
            {c}
          </th>
        ))}
      </tr>
    </thead>
  );
}

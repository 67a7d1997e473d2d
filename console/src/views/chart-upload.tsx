// The chart upload form (drag and drop around a real file input) shared by the new-app,
// new-version and replace-package forms, and the icon upload they and the app page use.
import { useRef, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { api, path, upload, type App, type UploadResult } from '../api.ts';
import { ErrorMessage, Field, Progress, useAction } from '../components.tsx';

/** What an icon input accepts. */
export const ICON_ACCEPT = 'image/png,image/jpeg,image/svg+xml,.png,.jpg,.jpeg,.svg';

/** Stores a new icon for an app. */
export function putIcon(ws: string, app: string, file: File): Promise<App> {
  return api<App>(path`/api/v1/workspaces/${ws}/apps/${app}/icon`, {
    method: 'PUT',
    body: file,
    headers: { 'content-type': file.type || 'application/octet-stream' },
  });
}

/**
 * A chart upload form: a drop zone around a real file input (so it works by keyboard
 * too), an optional icon, the update log, and progress while the bytes go up.
 */
export function ChartUpload({
  idPrefix,
  url,
  submitLabel,
  withIcon = false,
  method = 'POST',
  onUploaded,
}: {
  idPrefix: string;
  url: string;
  submitLabel: string;
  withIcon?: boolean;
  method?: 'POST' | 'PUT';
  onUploaded: (
    result: UploadResult,
    icon: File | null,
    setNote: (note: ComponentChildren) => void,
  ) => void | Promise<void>;
}) {
  const [chart, setChart] = useState<File | null>(null);
  const [icon, setIcon] = useState<File | null>(null);
  const [updateLog, setUpdateLog] = useState('');
  const [over, setOver] = useState(false);
  const [progress, setProgress] = useState(0);
  const [note, setNote] = useState<ComponentChildren>(null);
  const action = useAction();
  const chartInput = useRef<HTMLInputElement>(null);
  const iconInput = useRef<HTMLInputElement>(null);
  const depth = useRef(0);

  const chooseDropped = (files: FileList | null | undefined): void => {
    const file = files?.[0];
    if (!file) return;
    setChart(file);
    action.clear();
    // Keep the real input in step, so what it shows is what will be sent.
    try {
      if (chartInput.current && files) chartInput.current.files = files;
    } catch {
      // some browsers refuse; the state above is what is sent
    }
  };

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setNote(null);
    setProgress(0);
    let result: UploadResult | undefined;
    const ok = await action.run(async () => {
      if (!chart) throw new Error('Choose a chart package (.tgz) first.');
      const form = new FormData();
      form.append('chart', chart, chart.name);
      if (updateLog.trim()) form.append('updateLog', updateLog);
      result = await upload<UploadResult>(url, method, form, setProgress);
    });
    if (!ok || !result) return;
    await onUploaded(result, icon, setNote);
    setChart(null);
    setIcon(null);
    setUpdateLog('');
    if (chartInput.current) chartInput.current.value = '';
    if (iconInput.current) iconInput.current.value = '';
  };

  return (
    <form class="upload-form" onSubmit={submit}>
      <div
        class={`dropzone${over ? ' over' : ''}`}
        onDragEnter={(e) => {
          e.preventDefault();
          depth.current++;
          setOver(true);
        }}
        onDragOver={(e) => {
          e.preventDefault();
          if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
          setOver(true);
        }}
        onDragLeave={() => {
          depth.current = Math.max(0, depth.current - 1);
          if (depth.current === 0) setOver(false);
        }}
        onDrop={(e) => {
          e.preventDefault();
          depth.current = 0;
          setOver(false);
          chooseDropped(e.dataTransfer?.files);
        }}
      >
        <p class="dropzone-hint" aria-hidden="true">
          Drop a chart package here, or choose one:
        </p>
        <label for={`${idPrefix}-chart`}>Chart package (.tgz)</label>
        <input
          id={`${idPrefix}-chart`}
          ref={chartInput}
          type="file"
          name="chart"
          accept=".tgz,.tar.gz,application/gzip,application/x-gzip,application/x-compressed-tar"
          onChange={(e) => {
            setChart(e.currentTarget.files?.[0] ?? null);
            action.clear();
          }}
        />
        {chart && (
          <p class="muted" aria-live="polite">
            Selected: {chart.name} ({formatSize(chart.size)})
          </p>
        )}
      </div>
      {withIcon && (
        <Field
          id={`${idPrefix}-icon`}
          label="Icon (optional)"
          hint="PNG, JPEG or SVG, at most 96×96 pixels and 64 KiB."
        >
          <input
            id={`${idPrefix}-icon`}
            ref={iconInput}
            type="file"
            name="icon"
            accept={ICON_ACCEPT}
            aria-describedby={`${idPrefix}-icon-hint`}
            onChange={(e) => setIcon(e.currentTarget.files?.[0] ?? null)}
          />
        </Field>
      )}
      <Field id={`${idPrefix}-log`} label="Update log" hint="Release notes for this version (optional).">
        <textarea
          id={`${idPrefix}-log`}
          name="updateLog"
          maxLength={65536}
          value={updateLog}
          aria-describedby={`${idPrefix}-log-hint`}
          onInput={(e) => setUpdateLog(e.currentTarget.value)}
        />
      </Field>
      {action.busy && <Progress label="Uploading chart" value={progress} />}
      <ErrorMessage error={action.error} />
      {note}
      <div class="actions">
        <button type="submit" disabled={action.busy}>
          {submitLabel}
        </button>
        {action.busy && (
          <span class="muted" role="status">
            Uploading…
          </span>
        )}
      </div>
    </form>
  );
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

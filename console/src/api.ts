// The console's one way to reach the server: the documented REST API, with the session
// cookie. Every refusal becomes an ApiError carrying the API's own message (problem+json
// `detail`), which views show as it is.
import type { Problem } from './api.generated.ts';

export type * from './api.generated.ts';

/** Sent on every request: the server then answers 401 without `WWW-Authenticate: Basic`,
 * so the browser never opens its own password dialog over the console. */
const CONSOLE_HEADER = { 'x-chartroom-console': '1' };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  let code = 'http-error';
  let message = `${res.status} ${res.statusText}`;
  try {
    const problem = (await res.json()) as Partial<Problem>;
    if (typeof problem.code === 'string') code = problem.code;
    if (typeof problem.detail === 'string' && problem.detail) message = problem.detail;
    else if (typeof problem.title === 'string') message = problem.title;
  } catch {
    // not problem+json (a proxy's page): the status line is all there is
  }
  return new ApiError(res.status, code, message);
}

/** Listeners told when the server says the session is gone (401). */
const onSignedOut = new Set<() => void>();
export function whenSignedOut(listener: () => void): () => void {
  onSignedOut.add(listener);
  return () => onSignedOut.delete(listener);
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A JSON body (serialised here), or bytes / a form sent as they are. */
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
}

export async function request(path: string, opts: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...CONSOLE_HEADER, accept: 'application/json', ...opts.headers };
  let body = opts.body;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  }
  const res = await fetch(path, { method: opts.method ?? 'GET', headers, body, credentials: 'same-origin' });
  if (!res.ok) {
    const err = await errorOf(res);
    if (res.status === 401) for (const listener of onSignedOut) listener();
    throw err;
  }
  return res;
}

/** A JSON answer, typed by the caller from api.generated.ts; undefined for 204. */
export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await request(path, opts);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** Every item of a paged list, following `nextCursor` a page of 200 at a time. */
export async function allPages<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams({ limit: '200' });
    if (cursor) params.set('cursor', cursor);
    const page: { items: T[]; nextCursor: string | null } = await api(`${path}?${params}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/** A text answer (README, values.yaml, Chart.yaml). */
export async function text(path: string): Promise<string> {
  return (await request(path, { headers: { accept: 'text/plain, */*' } })).text();
}

/** Encodes each path segment: names and versions go into URLs as people write them. */
export function path(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? encodeURIComponent(String(values[i])) : ''), '');
}

/**
 * Sends a body with upload progress (fetch cannot report it). Resolves with the JSON
 * answer; rejects with ApiError as `api` does.
 */
export function upload<T>(
  url: string,
  method: 'POST' | 'PUT',
  body: FormData | Blob,
  onProgress: (fraction: number) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [k, v] of Object.entries(CONSOLE_HEADER)) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader('accept', 'application/json');
    if (body instanceof Blob && !(body instanceof File)) xhr.setRequestHeader('content-type', body.type);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'the server could not be reached'));
    xhr.onload = () => {
      const res = new Response(xhr.status === 204 ? null : xhr.responseText, {
        status: xhr.status,
        statusText: xhr.statusText,
      });
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(xhr.status === 204 ? (undefined as T) : (JSON.parse(xhr.responseText) as T));
      } else {
        void errorOf(res).then(reject);
      }
    };
    xhr.send(body);
  });
}

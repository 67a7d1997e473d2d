// GET from a third-party upstream that may be hostile (SPEC section 12). node:http and
// node:https are used directly, not fetch, so the address check runs inside the
// connection's own DNS lookup: the address checked is the address connected to, with
// no window for a rebinding answer between a check and the connect. Every hop of a
// redirect chain is checked the same way, bodies are cut at their limit by destroying
// the socket, and silence is a timeout. Error messages name the URL without its query
// and never carry a header, a token or a password.
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { UpstreamCredentials } from './secrets.js';
import { nonPublicKind } from './addresses.js';

export type { UpstreamCredentials } from './secrets.js';
export { isNonPublicAddress } from './addresses.js';

export interface ResolvedAddress {
  address: string;
  family: number;
}

export interface FetchPolicy {
  /**
   * CHARTROOM_IMPORT_ALLOW_PRIVATE: when false, loopback, private, link-local, CGNAT,
   * unique-local, multicast, unspecified, metadata and other non-public addresses are
   * refused, after DNS resolution and for IP literals, on every hop.
   */
  allowPrivate: boolean;
  /** Redirects followed at most (5). A redirect to another scheme is refused. */
  maxRedirects: number;
  /** Per request: connecting, waiting for headers, and any silence while reading the body (ms). */
  timeoutMs: number;
  /** The whole sync's deadline / cancellation: aborts the request in flight. */
  signal?: AbortSignal;
  /** Only for tests: resolves host names (default: dns.lookup with all: true). */
  lookup?: (hostname: string) => Promise<ResolvedAddress[]>;
  /**
   * Only for tests: addresses accepted although allowPrivate is false. A test server can
   * only listen on loopback, so this lets a first hop reach 127.0.0.1 while proving that
   * a redirect's next hop (127.0.0.2, 10.0.0.1, 169.254.169.254) is still refused.
   */
  exemptAddresses?: readonly string[];
}

export interface FetchRequest {
  url: string;
  /** What is fetched, for messages: "the index", "chart redis 17.11.6". */
  what: string;
  /** Body bytes allowed for a 2xx answer; more is an error naming the limit. */
  maxBytes: number;
  /** Extra request headers (If-None-Match, If-Modified-Since, Accept). Not Authorization: see credentials and bearer. */
  headers?: Record<string, string>;
  /** Basic credentials, sent only while the request is on credentialsOrigin. */
  credentials?: UpstreamCredentials | null;
  /** scheme://host[:port] that credentials and bearer go to; default: the origin of url. */
  credentialsOrigin?: string;
  /** A Bearer token (OCI) instead of credentials, with the same origin rule; wins over credentials. */
  bearer?: string | null;
}

export interface FetchResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body; for a non-2xx answer at most its first 64 KiB. */
  body: Buffer;
  /** The final URL, after redirects. */
  url: string;
}

/** Why an upstream request failed, for callers that treat causes differently (an abort is not an upstream fault). */
export type UpstreamErrorKind =
  | 'refused' // the policy refused an address, a scheme or a redirect
  | 'network' // DNS, connect, TLS or a broken connection
  | 'timeout'
  | 'too-large'
  | 'aborted' // policy.signal: the sync was cancelled or ran out of time
  | 'status' // the upstream answered, but not as hoped (see status)
  | 'invalid'; // the answer is malformed or does not match its digest or size

export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly kind: UpstreamErrorKind = 'status',
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

/** Non-2xx bodies are read this far only: enough for an error message or an OCI error list. */
const ERROR_BODY_BYTES = 64 * 1024;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const USER_AGENT = 'chartroom-import';
/** Headers the caller may not set: authorization follows the origin rule, the rest are the transport's. */
const RESERVED_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'host', 'accept-encoding']);
const PRIVATE_HINT = 'set CHARTROOM_IMPORT_ALLOW_PRIVATE=true to allow private upstreams';

export async function fetchUpstream(policy: FetchPolicy, req: FetchRequest): Promise<FetchResult> {
  for (const name of Object.keys(req.headers ?? {})) {
    if (RESERVED_HEADERS.has(name.toLowerCase())) throw new Error(`fetchUpstream: header ${name} is not the caller's`);
  }
  let url = parseUpstreamUrl(req.url, req.what);
  const credentialsOrigin = req.credentialsOrigin ? parseOrigin(req.credentialsOrigin) : url.origin;
  for (let redirects = 0; ; redirects++) {
    const answer = await requestOnce(policy, req, url, url.origin === credentialsOrigin);
    if (answer.location === undefined) {
      return { status: answer.status, headers: answer.headers, body: answer.body, url: url.toString() };
    }
    const fail = (why: string) => new UpstreamError(`${prefix(req, url)}: ${why}`, answer.status, 'refused');
    if (redirects >= policy.maxRedirects) throw fail(`more than ${policy.maxRedirects} redirects`);
    let next: URL;
    try {
      next = new URL(answer.location, url);
    } catch {
      throw fail(`the redirect's Location is not a URL`);
    }
    if (next.protocol !== url.protocol) {
      throw fail(`redirect from ${scheme(url)} to ${scheme(next)} refused`);
    }
    if (next.username || next.password) throw fail('a redirect to a URL with credentials in it is refused');
    url = next;
  }
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Set for a redirect to follow; its body is not read. */
  location?: string;
}

/** One GET on a connection of its own (no keep-alive): every connection goes through the checked lookup. */
function requestOnce(policy: FetchPolicy, req: FetchRequest, url: URL, withAuth: boolean): Promise<Answer> {
  const fail = (kind: UpstreamErrorKind, why: string, status?: number) =>
    new UpstreamError(`${prefix(req, url)}: ${why}`, status, kind);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return new Promise<Answer>((resolve, reject) => {
    if (policy.signal?.aborted) return reject(fail('aborted', abortReason(policy.signal)));
    // An IP literal is connected to without a lookup, so it is checked here.
    if (net.isIP(host)) {
      const refusal = refusalOf(policy, host, host);
      if (refusal) return reject(fail('refused', refusal));
    }
    const headers: Record<string, string> = {
      'user-agent': USER_AGENT,
      // No decoding on our side: the bytes counted against the limit are the bytes kept.
      'accept-encoding': 'identity',
      ...req.headers,
    };
    if (withAuth) {
      const authorization = authorizationOf(req);
      if (authorization) headers.authorization = authorization;
    }
    let settled = false;
    const settle = (err: Error | null, answer?: Answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      policy.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(answer as Answer);
    };
    const stop = (err: UpstreamError) => {
      settle(err);
      request.destroy();
    };
    const onAbort = () => stop(fail('aborted', abortReason(policy.signal)));
    // Refreshed by every sign of life: headers, then each body chunk.
    const timer = setTimeout(
      () => stop(fail('timeout', `timed out after ${policy.timeoutMs / 1000} s`)),
      policy.timeoutMs,
    );
    const lookup: net.LookupFunction = (hostname, options, callback) => {
      const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
      resolveChecked(policy, hostname, family).then(
        (addresses) => {
          if (options.all) callback(null, addresses);
          else callback(null, addresses[0]!.address, addresses[0]!.family);
        },
        (err: Error) =>
          callback(err instanceof Refusal ? fail('refused', err.message) : (err as NodeJS.ErrnoException), ''),
      );
    };
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request({
      method: 'GET',
      protocol: url.protocol,
      hostname: host,
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      headers,
      agent: false,
      lookup,
    });
    policy.signal?.addEventListener('abort', onAbort, { once: true });
    request.on('error', (err) =>
      settle(err instanceof UpstreamError ? err : fail('network', networkReason(err, host))),
    );
    request.on('response', (res) => {
      timer.refresh();
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (REDIRECT_STATUSES.has(status) && location) {
        settle(null, { status, headers: res.headers, body: Buffer.alloc(0), location });
        res.destroy();
        return;
      }
      const ok = status >= 200 && status < 300;
      const limit = ok ? req.maxBytes : ERROR_BODY_BYTES;
      const tooLarge = () => fail('too-large', `${req.what} is larger than ${formatBytes(req.maxBytes)}`, status);
      const declared = Number(res.headers['content-length']);
      if (ok && Number.isFinite(declared) && declared > limit) return stop(tooLarge());
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        timer.refresh();
        if (size + chunk.length > limit) {
          if (ok) return stop(tooLarge());
          // An error page is only read for its message: keep its head, drop the rest.
          chunks.push(chunk.subarray(0, limit - size));
          settle(null, { status, headers: res.headers, body: Buffer.concat(chunks) });
          res.destroy();
          return;
        }
        size += chunk.length;
        chunks.push(chunk);
      });
      res.on('end', () => settle(null, { status, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', () => settle(fail('network', 'the connection closed before the body was complete', status)));
      res.on('close', () => {
        if (!res.complete) settle(fail('network', 'the connection closed before the body was complete', status));
      });
    });
    request.end();
  });
}

/** A refusal by the address policy, raised inside the lookup (the caller adds the URL). */
class Refusal extends Error {}

async function resolveChecked(policy: FetchPolicy, hostname: string, family?: number): Promise<ResolvedAddress[]> {
  const resolved = policy.lookup ? await policy.lookup(hostname) : await dns.promises.lookup(hostname, { all: true });
  // Every address is checked, not just the one used: a name that mixes public and
  // private answers is refused as a whole, whichever the connection would try first.
  for (const { address } of resolved) {
    const refusal = refusalOf(policy, address, hostname);
    if (refusal) throw new Refusal(refusal);
  }
  const usable = family === 4 || family === 6 ? resolved.filter((a) => a.family === family) : resolved;
  if (usable.length === 0) {
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
  }
  return usable;
}

/** Why the policy refuses the address, or null. */
function refusalOf(policy: FetchPolicy, address: string, hostname: string): string | null {
  if (policy.allowPrivate || policy.exemptAddresses?.includes(address)) return null;
  const kind = nonPublicKind(address);
  if (kind === null) return null;
  const what =
    hostname === address ? `${address} is ${kind} address` : `${hostname} resolves to ${address}, ${kind} address`;
  return `refused: ${what} (${PRIVATE_HINT})`;
}

// --- small helpers -------------------------------------------------------------------

function parseUpstreamUrl(raw: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Not echoed: an unparsable URL may still hold a secret.
    throw new UpstreamError(`cannot fetch ${what}: its URL is not a valid URL`, undefined, 'refused');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UpstreamError(
      `cannot fetch ${what}: only http and https URLs are fetched, not ${url.protocol}`,
      undefined,
      'refused',
    );
  }
  if (url.username || url.password) {
    throw new UpstreamError(`cannot fetch ${what}: credentials in the URL are refused`, undefined, 'refused');
  }
  return url;
}

function parseOrigin(origin: string): string {
  try {
    return new URL(origin).origin;
  } catch {
    throw new Error(`fetchUpstream: credentialsOrigin ${JSON.stringify(origin)} is not an origin`);
  }
}

function authorizationOf(req: FetchRequest): string | null {
  if (req.bearer) return `Bearer ${req.bearer}`;
  if (req.credentials) {
    const { username, password } = req.credentials;
    return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }
  return null;
}

/** The URL as messages show it: no userinfo, and the query (a presigned URL's signature) hidden. */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}${url.search ? '?…' : ''}`;
}

function prefix(req: FetchRequest, url: URL): string {
  return `cannot fetch ${req.what} from ${displayUrl(url)}`;
}

function scheme(url: URL): string {
  return url.protocol.replace(/:$/, '');
}

function abortReason(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') return 'the sync ran out of time';
  if (reason instanceof Error && reason.name !== 'AbortError') return `stopped: ${reason.message}`;
  return 'stopped: the sync was cancelled';
}

function networkReason(err: Error, host: string): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'the connection was reset';
    case 'ENOTFOUND':
      return `host ${host} not found`;
    case 'EAI_AGAIN':
      return `host ${host} could not be resolved (temporary DNS failure)`;
    case 'ETIMEDOUT':
      return 'connecting timed out';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
  }
  if (code.startsWith('HPE_')) return `the answer is not valid HTTP (${code})`;
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO/.test(code)) return `TLS failed: ${err.message}`;
  return err.message || code || 'network error';
}

/** 67108864 → "64 MiB"; sizes in messages read as people write limits. */
export function formatBytes(n: number): string {
  const units: Array<[string, number]> = [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ];
  for (const [unit, size] of units) {
    if (n >= size) {
      const value = n / size;
      return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
    }
  }
  return `${n} bytes`;
}

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

export type { UpstreamCredentials } from './secrets.js';

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

// --- addresses ---------------------------------------------------------------------

/**
 * Ranges that are not the public internet, by the words a message uses for them (IANA's
 * special-purpose registries). The first match names the kind, so the metadata
 * addresses come before the link-local and unique-local ranges holding them.
 */
const NON_PUBLIC: Array<[kind: string, cidrs: string[]]> = [
  ['a cloud metadata', ['169.254.169.254/32', 'fd00:ec2::254/128']],
  ['an unspecified', ['0.0.0.0/32', '::/128']],
  ['a loopback', ['127.0.0.0/8', '::1/128']],
  ['a private', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '64:ff9b:1::/48', 'fec0::/10']],
  ['a link-local', ['169.254.0.0/16', 'fe80::/10']],
  ['a shared (CGNAT)', ['100.64.0.0/10']],
  ['a unique-local', ['fc00::/7']],
  ['a multicast', ['224.0.0.0/4', 'ff00::/8']],
  [
    'a reserved',
    [
      '0.0.0.0/8',
      '192.0.0.0/24',
      '192.0.2.0/24',
      '192.88.99.0/24',
      '198.18.0.0/15',
      '198.51.100.0/24',
      '203.0.113.0/24',
      '240.0.0.0/4',
      '100::/64',
      '2001::/23',
      '2001:db8::/32',
    ],
  ],
];

const BLOCKS: Array<[kind: string, list: net.BlockList]> = NON_PUBLIC.map(([kind, cidrs]) => {
  const list = new net.BlockList();
  for (const cidr of cidrs) {
    const [base, bits] = cidr.split('/') as [string, string];
    list.addSubnet(base, Number(bits), net.isIPv6(base) ? 'ipv6' : 'ipv4');
  }
  return [kind, list];
});

/** Only 2000::/3 is global unicast; anything else in IPv6 is not an upstream. */
const GLOBAL_UNICAST_V6 = new net.BlockList();
GLOBAL_UNICAST_V6.addSubnet('2000::', 3, 'ipv6');

/** True when the address (an IPv4 or IPv6 literal) is one that allowPrivate: false refuses; anything not an address is too. */
export function isNonPublicAddress(address: string): boolean {
  return nonPublicKind(address) !== null;
}

/** "a loopback", "a private"…, or null for a public address. */
function nonPublicKind(literal: string): string | null {
  const address = literal.replace(/%.*$/, ''); // a zone index (fe80::1%eth0) names an interface, not an address
  const family = net.isIP(address);
  if (family === 0) return 'not an IP';
  if (family === 6) {
    // IPv4 carried inside IPv6 (mapped, NAT64, 6to4) reaches that IPv4 address: judge it as such.
    const inner = embeddedIPv4(address);
    if (inner !== null) return nonPublicKind(inner);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [kind, list] of BLOCKS) if (list.check(address, type)) return kind;
  if (family === 6 && !GLOBAL_UNICAST_V6.check(address, 'ipv6')) return 'a reserved';
  return null;
}

/** The IPv4 address inside ::ffff:0:0/96, 64:ff9b::/96 or 2002::/16, else null. */
function embeddedIPv4(address: string): string | null {
  const b = ipv6Bytes(address);
  if (!b) return null;
  const zero = (from: number, to: number) => b.subarray(from, to).every((x) => x === 0);
  const v4 = (at: number) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return v4(12);
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(4, 12)) return v4(12);
  if (b[0] === 0x20 && b[1] === 0x02) return v4(2);
  return null;
}

/** The 16 bytes of an IPv6 literal (net.isIPv6 has accepted it), or null. */
function ipv6Bytes(address: string): Uint8Array | null {
  // A trailing dotted quad (::ffff:127.0.0.1) is the last two groups written in decimal.
  const text = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) =>
    [((+a << 8) | +b).toString(16), ((+c << 8) | +d).toString(16)].join(':'),
  );
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return null;
  const groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
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

// One session with one repository of an OCI registry, for oci-source.ts: authenticated
// GETs and the registry's error answers. Every request goes through fetchUpstream, so the
// address policy, time and size limits hold here too; credentials and tokens go only to
// the registry's origin (a blob redirected to object storage gets none) and to the token
// realm the registry names, as the distribution token protocol has it.
//
// A session remembers whether the registry wants Basic credentials and keeps Bearer
// tokens by scope, so every request made through it asks the token service once.
import { displayUrl, fetchUpstream, UpstreamError, type FetchPolicy, type FetchResult } from './fetch.js';
import type { UpstreamCredentials } from './secrets.js';

/** Token answers are small. */
const MAX_TOKEN_BYTES = 1024 * 1024;

export interface OciSource {
  /** host[:port], lowercase. */
  registry: string;
  /** path/chart, without leading or trailing slash. */
  repository: string;
  /** Talk http instead of https (helm's --plain-http). */
  plainHttp: boolean;
}

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Authenticated GETs to one repository of a registry; OciClient adds its tags and charts. */
export class RegistrySession {
  /** scheme://host[:port] of the registry: the one origin credentials and tokens are sent to. */
  protected readonly origin: string;
  /** Bearer tokens by scope; the scope the registry last asked for is the one sent. */
  private readonly tokens = new Map<string, string>();
  private scope: string;
  /** The registry answered a Basic challenge: send the credentials from now on. */
  private basic = false;

  constructor(
    private readonly policy: FetchPolicy,
    readonly src: OciSource,
    private readonly creds: UpstreamCredentials | null,
  ) {
    this.origin = `${src.plainHttp ? 'http' : 'https'}://${src.registry}`;
    this.scope = `repository:${src.repository}:pull`;
  }

  protected name(): string {
    return `${this.src.registry}/${this.src.repository}`;
  }

  /**
   * A GET with the session's authentication. A 401 is answered once: a Basic challenge
   * turns on the credentials, a Bearer challenge fetches a token for its scope (again,
   * when a cached one has expired); a second 401 is the caller's failure to report.
   */
  protected async get(url: string, what: string, maxBytes: number, headers: Record<string, string> = {}) {
    const send = () =>
      fetchUpstream(this.policy, {
        url,
        what,
        maxBytes,
        headers,
        credentialsOrigin: this.origin,
        bearer: this.tokens.get(this.scope) ?? null,
        credentials: this.basic ? this.creds : null,
      });
    const res = await send();
    // Only the registry's own challenges are answered: a blob host it redirected to
    // (object storage) is not trusted to name where the credentials go.
    if (res.status !== 401 || new URL(res.url).origin !== this.origin) return res;
    const challenge = parseChallenges(header(res.headers['www-authenticate'])).find(
      (c) => c.scheme === 'basic' || c.scheme === 'bearer',
    );
    if (!challenge) return res;
    if (challenge.scheme === 'basic') {
      // No credentials, or they were just sent and refused: nothing better to retry with.
      if (!this.creds || this.basic) return res;
      this.basic = true;
    } else {
      this.scope = challenge.params.scope ?? this.scope;
      await this.fetchToken(challenge.params);
    }
    return send();
  }

  /** A token from the realm the registry named (GET, with Basic credentials when there are some). */
  private async fetchToken(params: Record<string, string>): Promise<void> {
    const doing = `get a registry token for ${this.name()}`;
    let realm: URL;
    try {
      realm = new URL(params.realm ?? '');
    } catch {
      throw new UpstreamError(`cannot ${doing}: the registry's Bearer challenge names no token realm URL`);
    }
    // Credentials never cross the network in clear when the registry itself is https.
    if (!this.src.plainHttp && realm.protocol !== 'https:') {
      throw new UpstreamError(
        `cannot ${doing}: the token realm ${displayUrl(realm)} is not https`,
        undefined,
        'refused',
      );
    }
    if (params.service) realm.searchParams.set('service', params.service);
    realm.searchParams.set('scope', this.scope);
    const res = await fetchUpstream(this.policy, {
      url: realm.toString(),
      what: `a registry token for ${this.name()}`,
      maxBytes: MAX_TOKEN_BYTES,
      headers: { accept: 'application/json' },
      credentials: this.creds,
      credentialsOrigin: realm.origin,
    });
    if (res.status === 401 || res.status === 403) {
      const why = this.creds ? 'refused the credentials' : 'wants credentials and the repository has none';
      throw new UpstreamError(`cannot ${doing}: the token service ${why} (${res.status})`, res.status);
    }
    if (res.status !== 200) {
      throw new UpstreamError(`cannot ${doing}: the token service answered ${res.status}`, res.status);
    }
    const body = parseJson(res.body) as { token?: unknown; access_token?: unknown } | null;
    const token = body?.token ?? body?.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new UpstreamError(`cannot ${doing}: the token service's answer has no token`, res.status, 'invalid');
    }
    this.tokens.set(this.scope, token);
  }

  /** An UpstreamError for an answer that is not the one hoped for, with the registry's own error code. */
  protected failure(res: FetchResult, doing: string): UpstreamError {
    const detail = this.registryError(res.body);
    const said = `${res.status}${detail ? ` ${detail}` : ''}`;
    let why: string;
    if (res.status === 401) {
      why = this.creds
        ? `the registry refused the credentials (${said})`
        : `the registry wants credentials and the repository has none (${said})`;
    } else if (res.status === 403) {
      why = `access denied (${said})`;
    } else if (res.status === 404) {
      why = `not found (${said})`;
    } else {
      why = `the registry answered ${said}`;
    }
    return new UpstreamError(`cannot ${doing}: ${why}`, res.status);
  }

  /** "CODE: message" of the first entry of an OCI error body, short, with anything secret blanked. */
  private registryError(body: Buffer): string {
    const parsed = parseJson(body) as { errors?: Array<{ code?: unknown; message?: unknown }> } | null;
    const first = Array.isArray(parsed?.errors) ? parsed.errors[0] : undefined;
    if (!first) return '';
    const text = [first.code, first.message].filter((x) => typeof x === 'string' && x !== '').join(': ');
    // A hostile registry could echo what it was sent; the message may reach a log.
    let clean = text.replace(/[^\x20-\x7e]/g, ' ').slice(0, 200);
    for (const secret of this.secrets()) clean = clean.split(secret).join('***');
    return clean;
  }

  private secrets(): string[] {
    const out = [...this.tokens.values()];
    if (this.creds) {
      const { username, password } = this.creds;
      out.push(Buffer.from(`${username}:${password}`).toString('base64'));
      if (password) out.push(password);
    }
    return out;
  }
}

/**
 * WWW-Authenticate challenges (RFC 9110 section 11.6.1): `Bearer realm="…",service="…"`,
 * several possibly in one header. Schemes are lowercased; parameter values unquoted.
 */
export function parseChallenges(value: string): Challenge[] {
  const out: Challenge[] = [];
  const param = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)\s*(?:,|$)/;
  let rest = value;
  while (rest.trim() !== '') {
    const scheme = /^[\s,]*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*/.exec(rest);
    if (!scheme) break;
    rest = rest.slice(scheme[0].length);
    const challenge: Challenge = { scheme: scheme[1]!.toLowerCase(), params: {} };
    for (let m = param.exec(rest); m; m = param.exec(rest)) {
      const raw = m[2]!;
      challenge.params[m[1]!.toLowerCase()] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
      rest = rest.slice(m[0].length);
    }
    out.push(challenge);
  }
  return out;
}

/** A header's value as one string, repeated headers joined. */
export function header(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

/** The body as JSON, or null when it is not JSON. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
}

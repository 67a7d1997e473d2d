// Helm charts pulled from an OCI registry (an `oci://host/path/chart` import source): the
// tags of one repository, and a tag's chart layer checked against its manifest's digest
// and size. Requests, credentials and tokens are oci-registry.ts's business.
//
// An OciClient is one session with one repository (a RegistrySession): it remembers
// whether the registry wants Basic credentials and keeps Bearer tokens by scope, so a
// sync that lists tags and pulls many versions through one client asks the token
// service once. listTags and pullChart below are one-shot wrappers that start a new
// session each call.
import { sha256Hex } from '../blobs/blob-store.js';
import { formatBytes, UpstreamError, type FetchPolicy, type FetchResult } from './fetch.js';
import { header, parseJson, RegistrySession, type OciSource } from './oci-registry.js';
import type { UpstreamCredentials } from './secrets.js';

export { parseChallenges, type OciSource } from './oci-registry.js';

// The media types Helm pushes (helm.sh/helm/v3/pkg/registry). Written here rather than
// imported from src/oci, which depends on versions, which depends on this folder.
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';
/** The chart layer; Helm before 3.8 wrote the generic tar+gzip type, still found in old registries. */
const CHART_LAYERS = new Set(['application/vnd.cncf.helm.chart.content.v1.tar+gzip', 'application/tar+gzip']);

/** 4 MiB is the common registry limit for manifests. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_TAG_PAGE_BYTES = 4 * 1024 * 1024;
/** A chart with more tags than this is not what an import is for; refusing beats reading forever. */
export const MAX_TAGS = 10_000;
/** Pages of a tag list followed at most, so a registry answering empty pages with a next link ends. */
const MAX_TAG_PAGES = 1000;

/** The distribution spec's grammar: a tag is also a URL path segment, so nothing else is used. */
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const SHA256_DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export interface PulledChart {
  /** The chart package, exactly the layer's bytes. */
  bytes: Buffer;
  /** sha256:… of the chart layer (= of bytes). */
  layerDigest: string;
  /** sha256:… of the manifest as served. */
  manifestDigest: string;
}

export interface OciClientOptions {
  /** Ask for tags n at a time (the `n` query parameter); default: the registry's own paging. */
  tagPageSize?: number;
}

/** Parses oci://host[:port]/path/chart; a tag or digest in the URL is refused (versions are the tags). */
export function parseOciUrl(url: string, plainHttp: boolean): OciSource {
  const shape = 'an OCI source is oci://host[:port]/path/chart';
  if (!/^oci:\/\//i.test(url)) throw new Error(`${shape}, starting with oci://`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${shape}: this is not a valid URL`);
  }
  if (parsed.username || parsed.password) {
    throw new Error(`${shape}: credentials in the URL are refused, give them as username and password`);
  }
  if (parsed.search || parsed.hash || url.includes('?') || url.includes('#')) {
    throw new Error(`${shape}, without a query or fragment`);
  }
  if (!parsed.hostname) throw new Error(`${shape}: the registry host is missing`);
  const repository = parsed.pathname.replace(/^\/+|\/+$/g, '');
  if (repository === '') throw new Error(`${shape}: it names no chart`);
  const last = repository.split('/').pop() as string;
  if (last.includes(':') || last.includes('@')) {
    throw new Error(`${shape}, without a tag or digest: the chart's versions are its tags`);
  }
  for (const part of repository.split('/')) {
    if (!PATH_COMPONENT_RE.test(part)) {
      throw new Error(
        `${shape}: ${JSON.stringify(part)} is not a repository name component (lowercase letters and digits, separated by . _ or -)`,
      );
    }
  }
  return { registry: parsed.host.toLowerCase(), repository, plainHttp };
}

export async function listTags(
  policy: FetchPolicy,
  src: OciSource,
  creds: UpstreamCredentials | null,
): Promise<string[]> {
  return new OciClient(policy, src, creds).listTags();
}

export async function pullChart(
  policy: FetchPolicy,
  src: OciSource,
  creds: UpstreamCredentials | null,
  tag: string,
  maxBytes: number,
): Promise<PulledChart> {
  return new OciClient(policy, src, creds).pullChart(tag, maxBytes);
}

export class OciClient extends RegistrySession {
  private readonly base: string;

  constructor(
    policy: FetchPolicy,
    src: OciSource,
    creds: UpstreamCredentials | null,
    private readonly options: OciClientOptions = {},
  ) {
    super(policy, src, creds);
    this.base = `${this.origin}/v2/${src.repository}`;
  }

  /** The repository's tags in the registry's order, every page of them; tags outside the spec's grammar are left out. */
  async listTags(): Promise<string[]> {
    const doing = `list the tags of ${this.name()}`;
    const tags = new Set<string>();
    const visited = new Set<string>();
    const n = this.options.tagPageSize;
    let url: string | null = `${this.base}/tags/list${n ? `?n=${n}` : ''}`;
    while (url !== null) {
      if (visited.has(url) || visited.size >= MAX_TAG_PAGES) {
        throw new UpstreamError(`cannot ${doing}: the tag list's next links do not end`, undefined, 'invalid');
      }
      visited.add(url);
      const res = await this.get(url, `the tag list of ${this.name()}`, MAX_TAG_PAGE_BYTES, {
        accept: 'application/json',
      });
      if (res.status !== 200) throw this.failure(res, doing);
      const body = parseJson(res.body);
      // An empty repository may say "tags": null; an answer without the member is no tag list.
      const page = typeof body === 'object' && body !== null && 'tags' in body ? (body.tags ?? []) : null;
      if (!Array.isArray(page) || page.some((tag) => typeof tag !== 'string')) {
        throw new UpstreamError(`cannot ${doing}: the answer has no list of tags`, res.status, 'invalid');
      }
      for (const tag of page as string[]) if (TAG_RE.test(tag)) tags.add(tag);
      if (tags.size > MAX_TAGS) {
        throw new UpstreamError(`cannot ${doing}: it has more than ${MAX_TAGS} tags`, undefined, 'too-large');
      }
      url = this.nextPage(res, doing);
    }
    return [...tags];
  }

  /**
   * The chart under a tag: its manifest must be a Helm chart's with exactly one chart
   * layer no larger than maxBytes (refused before the download), and the bytes must
   * have the layer's size and digest.
   */
  async pullChart(tag: string, maxBytes: number): Promise<PulledChart> {
    const ref = `${this.name()}:${tag}`;
    const doing = `pull ${ref}`;
    if (!TAG_RE.test(tag)) throw new UpstreamError(`cannot ${doing}: not a valid tag`, undefined, 'invalid');
    const invalid = (why: string) => new UpstreamError(`cannot ${doing}: ${why}`, undefined, 'invalid');

    const res = await this.get(`${this.base}/manifests/${tag}`, `the manifest of ${ref}`, MAX_MANIFEST_BYTES, {
      accept: OCI_MANIFEST,
    });
    if (res.status !== 200) throw this.failure(res, doing);
    const manifestDigest = `sha256:${sha256Hex(res.body)}`;
    const said = res.headers['docker-content-digest'];
    if (typeof said === 'string' && SHA256_DIGEST_RE.test(said) && said !== manifestDigest) {
      throw invalid(`the manifest's bytes are ${manifestDigest}, not the ${said} the registry says`);
    }
    const layer = chartLayer(parseJson(res.body), invalid);
    if (layer.size > maxBytes) {
      throw new UpstreamError(
        `cannot ${doing}: the chart is larger than ${formatBytes(maxBytes)} (its layer is ${formatBytes(layer.size)})`,
        undefined,
        'too-large',
      );
    }

    let blob: FetchResult;
    try {
      // The layer's own size is the limit: a longer body is not this layer.
      blob = await this.get(`${this.base}/blobs/${layer.digest}`, `the chart layer of ${ref}`, layer.size);
    } catch (err) {
      if (err instanceof UpstreamError && err.kind === 'too-large') {
        throw invalid(`the chart layer is longer than the ${layer.size} bytes its manifest says`);
      }
      throw err;
    }
    if (blob.status !== 200) throw this.failure(blob, doing);
    if (blob.body.length !== layer.size) {
      throw invalid(`the chart layer has ${blob.body.length} bytes, its manifest says ${layer.size}`);
    }
    const actual = `sha256:${sha256Hex(blob.body)}`;
    if (actual !== layer.digest) {
      throw invalid(`the chart layer's digest is ${actual}, its manifest says ${layer.digest}`);
    }
    return { bytes: blob.body, layerDigest: layer.digest, manifestDigest };
  }

  /** The URL of the next page of tags from a Link header, or null. Paging stays on the registry. */
  private nextPage(res: FetchResult, doing: string): string | null {
    const link = header(res.headers.link);
    const next = /<([^>]*)>\s*;[^,]*\brel="?next"?/i.exec(link)?.[1];
    if (next === undefined) return null;
    let url: URL;
    try {
      url = new URL(next, res.url);
    } catch {
      throw new UpstreamError(`cannot ${doing}: the next page's link is not a URL`, undefined, 'invalid');
    }
    if (url.origin !== this.origin) {
      throw new UpstreamError(`cannot ${doing}: the next page is on another host`, undefined, 'invalid');
    }
    return url.toString();
  }
}

/** The one chart layer of a Helm chart manifest. */
function chartLayer(manifest: unknown, invalid: (why: string) => UpstreamError): { digest: string; size: number } {
  if (typeof manifest !== 'object' || manifest === null) throw invalid('the manifest is not JSON');
  const m = manifest as { mediaType?: unknown; config?: { mediaType?: unknown }; layers?: unknown };
  if (m.mediaType !== undefined && m.mediaType !== OCI_MANIFEST) {
    throw invalid(`the manifest is a ${String(m.mediaType)}, not an OCI image manifest`);
  }
  if (m.config?.mediaType !== HELM_CONFIG) {
    throw invalid(`not a Helm chart: its config is ${JSON.stringify(m.config?.mediaType ?? null)}, not ${HELM_CONFIG}`);
  }
  const layers = Array.isArray(m.layers) ? (m.layers as Array<Record<string, unknown>>) : [];
  const charts = layers.filter((l) => typeof l?.mediaType === 'string' && CHART_LAYERS.has(l.mediaType));
  if (charts.length !== 1) throw invalid(`the manifest has ${charts.length} chart layers, not one`);
  const { digest, size } = charts[0]!;
  if (typeof digest !== 'string' || !SHA256_DIGEST_RE.test(digest)) {
    throw invalid('the chart layer has no sha256 digest');
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalid('the chart layer has no valid size');
  }
  return { digest, size };
}

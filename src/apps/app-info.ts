// The rules app info (what an app store shows: description, one-line abstraction,
// home) follows however it is set: edited through PATCH, or taken from Chart.yaml when
// an upload creates the app. The same rules keep the links of a chart's metadata that
// the API shows (home, icon, sources, maintainers' url) to http(s) URLs: a browser
// console renders them as links and images, and a `javascript:` home would run there.
// The Helm index keeps the chart's own fields untouched; Helm reads them, not browsers.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { AppError } from '../errors.js';
import type { ChartMetadata } from '../charts/ingest.js';

// ajv-formats ships CommonJS with a default export; under NodeNext it arrives wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  a: Ajv,
) => Ajv;

/** Lengths in characters (code points, as JSON Schema's maxLength counts). */
export const APP_INFO_LIMITS = { description: 10_000, abstraction: 200, home: 2_000 } as const;

/** A link: an absolute http(s) URL of at most APP_INFO_LIMITS.home characters. */
export const linkSchema = {
  type: 'string',
  maxLength: APP_INFO_LIMITS.home,
  format: 'uri',
  pattern: '^https?://',
} as const;

/** The app's home in PATCH: a link, or '' for none. */
export const homeSchema = { anyOf: [{ type: 'string', const: '' }, linkSchema] } as const;

let validLink: ValidateFunction | null = null;

export function isSafeLink(value: unknown): value is string {
  // Compiled on first use: a start that sees no upload or app edit does not pay for it.
  if (!validLink) {
    const ajv = new Ajv({ allErrors: false });
    addFormats(ajv);
    validLink = ajv.compile(linkSchema);
  }
  return validLink(value);
}

function codePoints(s: string): number {
  if (s.length <= APP_INFO_LIMITS.description) return s.length; // UTF-16 units never undercount
  return [...s].length;
}

/**
 * The app info an upload gives a new app: the chart's values that pass the PATCH rules.
 * Refuses a chart whose description could never be app info (one limit, the app's):
 * Helm charts' descriptions are a line or two; a huge one would only bloat every index
 * that lists the chart. A home that is not a safe link is left out.
 */
export function appInfoFromChart(meta: Pick<ChartMetadata, 'description' | 'home'>): {
  description: string;
  home: string;
} {
  const description = meta.description ?? '';
  const n = codePoints(description);
  if (n > APP_INFO_LIMITS.description) {
    throw new AppError(
      'chart-invalid',
      `Chart.yaml description is ${n} characters long; at most ${APP_INFO_LIMITS.description} are allowed (the limit of an app's description)`,
    );
  }
  return { description, home: isSafeLink(meta.home) ? meta.home : '' };
}

/** Chart metadata as the API shows it: links that are not safe http(s) URLs are left out. */
export function withSafeLinks<T extends Partial<Pick<ChartMetadata, 'home' | 'icon' | 'sources' | 'maintainers'>>>(
  meta: T,
): T {
  const out: T = { ...meta };
  if (out.home !== undefined && !isSafeLink(out.home)) delete out.home;
  if (out.icon !== undefined && !isSafeLink(out.icon)) delete out.icon;
  if (Array.isArray(out.sources)) out.sources = out.sources.filter(isSafeLink);
  if (Array.isArray(out.maintainers)) {
    out.maintainers = out.maintainers.map((m) => {
      if (m.url === undefined || isSafeLink(m.url)) return m;
      const { url: _dropped, ...rest } = m;
      return rest;
    });
  }
  return out;
}

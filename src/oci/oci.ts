// The words of the OCI distribution spec v1.1 that Chartroom speaks: media types, digest
// and tag syntax, its error codes, and how a chart version is named as a tag.
import { AppError, type ErrorCode } from '../errors.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
export const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';
export const HELM_CHART = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
export const HELM_PROV = 'application/vnd.cncf.helm.chart.provenance.v1.prov';

/** Manifests are small; the distribution spec lets registries refuse larger ones (4 MiB is the common limit). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** The spec's error codes (section "Error Codes"). */
export type OciCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS';

/** An AppError (so status and logging work as everywhere) carrying its OCI error code. */
export function ociError(oci: OciCode, code: ErrorCode, message: string, detail?: unknown): AppError {
  return new AppError(code, message, { oci, ...(detail === undefined ? {} : { ociDetail: detail }) });
}

/** The OCI code an error answers with: its own, or the nearest to its HTTP meaning. */
export function ociCodeOf(err: AppError): OciCode {
  const own = err.extra.oci;
  if (typeof own === 'string') return own as OciCode;
  switch (err.code) {
    case 'unauthorized':
      return 'UNAUTHORIZED';
    case 'forbidden':
    case 'invalid-transition':
    case 'version-exists':
    case 'prov-exists':
    case 'version-imported':
    case 'store-name-taken':
      return 'DENIED';
    case 'not-found':
      return 'NAME_UNKNOWN';
    case 'upload-too-large':
      return 'SIZE_INVALID';
    case 'chart-invalid':
    case 'prov-invalid':
      return 'MANIFEST_INVALID';
    case 'rate-limited':
      return 'TOOMANYREQUESTS';
    default:
      return 'UNSUPPORTED';
  }
}

const DIGEST_RE = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;
const SHA256_RE = /^[a-f0-9]{64}$/;

/** The hex sha256 of a digest string ("sha256:<64 hex>"); other algorithms are refused. */
export function parseDigest(value: string): string {
  const m = DIGEST_RE.exec(value);
  if (!m) throw ociError('DIGEST_INVALID', 'bad-request', `${JSON.stringify(value)} is not a digest (sha256:<hex>)`);
  if (m[1] !== 'sha256') {
    throw ociError(
      'UNSUPPORTED',
      'bad-request',
      `digest algorithm ${JSON.stringify(m[1])} is not supported: use sha256`,
    );
  }
  if (!SHA256_RE.test(m[2]!)) {
    throw ociError(
      'DIGEST_INVALID',
      'bad-request',
      `${JSON.stringify(value)} is not a sha256 digest (64 lowercase hex)`,
    );
  }
  return m[2]!;
}

export const isDigest = (reference: string): boolean => reference.includes(':');
export const ociDigest = (hex: string): string => `sha256:${hex}`;

/** The spec's tag syntax. */
export const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/** A chart version as a tag: OCI tags cannot hold "+", so Helm writes it "_". */
export const versionToTag = (version: string): string => version.replace(/\+/g, '_');

/** The chart version a tag names (SemVer has no "_", so the mapping is one to one). */
export const tagToVersion = (tag: string): string => tag.replace(/_/g, '+');

/** An OCI descriptor as manifests hold them. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

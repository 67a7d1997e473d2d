// Helm provenance files: a PGP clear-signed message holding the chart's Chart.yaml
// and a `files:` map from package file name to "sha256:<hex>". Chartroom stores
// them beside the chart; it checks their shape and that they name the chart's bytes
// (verifying the signature needs the publisher's key, which is the client's job).
import yaml from 'js-yaml';
import { AppError } from '../errors.js';
import { isMapping } from './safe-yaml.js';
import { parsePackageFileName } from './package-file-name.js';
import { MAX_CHART_NAME_LENGTH, MAX_CHART_VERSION_LENGTH } from './metadata.js';

export const MAX_PROV_BYTES = 1024 * 1024;

function invalid(message: string): AppError {
  return new AppError('prov-invalid', message);
}

function shortName(name: string): string {
  return name.length > 80
    ? `${JSON.stringify(name.slice(0, 60))}... (${name.length} characters)`
    : JSON.stringify(name);
}

/** Returns the sha256 digests the provenance file vouches for, by file name. */
export function readProvenance(bytes: Buffer): Map<string, string> {
  if (bytes.length > MAX_PROV_BYTES) throw invalid(`the provenance file is larger than ${MAX_PROV_BYTES} bytes`);
  const text = bytes.toString('utf8');
  const begin = text.indexOf('-----BEGIN PGP SIGNED MESSAGE-----');
  const sig = text.indexOf('-----BEGIN PGP SIGNATURE-----');
  if (begin !== 0 || sig < 0 || !text.includes('-----END PGP SIGNATURE-----')) {
    throw invalid('the provenance file is not a PGP clear-signed message');
  }
  const body = text.slice(begin, sig);
  const sep = body.search(/^\.\.\.\s*$/m);
  if (sep < 0) throw invalid('the provenance file has no "..." line before its files section');
  let files: unknown;
  try {
    files = yaml.load(body.slice(sep).replace(/^\.\.\.\s*$/m, ''), { json: false });
  } catch {
    throw invalid('the files section of the provenance file is not valid YAML');
  }
  const map = isMapping(files) ? files.files : undefined;
  if (!isMapping(map)) throw invalid('the provenance file has no files section');
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(map)) {
    // Helm lists the package it signed; a name no package could have is refused
    // before anyone looks it up.
    const file = parsePackageFileName(name);
    if (!file || file.prov) {
      throw invalid(
        `the provenance file lists ${shortName(name)}, which is not a chart package file name ("<name>-<version>.tgz": a name of at most ${MAX_CHART_NAME_LENGTH} letters, digits, ".", "_" or "-", and a strict SemVer version of at most ${MAX_CHART_VERSION_LENGTH} characters)`,
      );
    }
    const m = typeof value === 'string' ? /^sha256:([0-9a-f]{64})$/.exec(value) : null;
    if (!m) throw invalid(`the provenance file lists ${JSON.stringify(name)} without a sha256 digest`);
    out.set(name, m[1] as string);
  }
  if (out.size === 0) throw invalid('the provenance file lists no files');
  return out;
}

/** Throws unless the provenance file vouches for exactly these package bytes. */
export function checkProvenanceFor(bytes: Buffer, fileName: string, digest: string): void {
  const files = readProvenance(bytes);
  const listed = files.get(fileName);
  if (listed === undefined) throw invalid(`the provenance file does not list ${fileName}`);
  if (listed !== digest) {
    throw invalid(`the provenance file's digest for ${fileName} does not match the uploaded chart`);
  }
}

// Chart ingest: from the uploaded bytes to validated metadata, in one pass and with
// no HTTP in sight. Callers store the blob and rows only after this succeeds, so a
// rejected upload leaves nothing behind.
import { AppError } from '../errors.js';
import { defaultArchiveLimits, readChartArchive, readUpload, type ArchiveLimits } from './archive.js';
import { parseChartMetadata, type ChartMetadata } from './metadata.js';
import { checkChartValues } from './schema-workers.js';
import { findLoneSurrogate } from '../text.js';

export type { ChartMetadata } from './metadata.js';
export type { ArchiveLimits } from './archive.js';
export { defaultArchiveLimits } from './archive.js';

export interface ChartPackage {
  bytes: Buffer;
  digest: string;
  size: number;
  metadata: ChartMetadata;
  chartYaml: string;
  readme: string | null;
  valuesYaml: string | null;
  valuesSchema: string | null;
}

// Helm's `show readme` looks for these names in the chart's root, in any case.
const README_NAMES = ['readme.md', 'readme.txt', 'readme'];
const WANTED = new Set(['Chart.yaml', 'values.yaml', 'values.schema.json', 'requirements.yaml']);

function wanted(name: string): boolean {
  return WANTED.has(name) || README_NAMES.includes(name.toLowerCase());
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function utf8(file: string, data: Buffer): string {
  try {
    // A UTF-8 byte-order mark is legal; YAML parsers and Helm skip it.
    return decoder.decode(data).replace(/^\uFEFF/, '');
  } catch {
    throw new AppError('chart-invalid', `${file} is not valid UTF-8`);
  }
}

export function packageFileName(meta: Pick<ChartMetadata, 'name' | 'version'>): string {
  return `${meta.name}-${meta.version}.tgz`;
}

/** Reads and validates a chart package. Throws AppError (chart-invalid, upload-too-large). */
export async function ingestChart(
  source: AsyncIterable<Uint8Array> | Buffer,
  limits: Partial<ArchiveLimits> = {},
): Promise<ChartPackage> {
  const lim = { ...defaultArchiveLimits, ...limits };
  const upload = await readUpload(source, lim.maxUploadBytes);
  if (upload.bytes.length === 0) throw new AppError('chart-invalid', 'the upload is empty: no chart package was sent');
  const archive = await readChartArchive(upload, lim, wanted);
  const chartYamlBytes = archive.files.get('Chart.yaml');
  if (!chartYamlBytes) {
    throw new AppError(
      'chart-invalid',
      `Chart.yaml is missing from the chart directory ${JSON.stringify(archive.root)}`,
    );
  }
  const chartYaml = utf8('Chart.yaml', chartYamlBytes);
  const requirements = archive.files.get('requirements.yaml');
  const metadata = parseChartMetadata(chartYaml, requirements ? utf8('requirements.yaml', requirements) : undefined);
  // YAML escapes ("\ud800") can spell a lone surrogate in otherwise valid UTF-8; the
  // metadata is stored as JSON, which cannot hold one.
  const badText = findLoneSurrogate(metadata);
  if (badText !== null) {
    throw new AppError(
      'chart-invalid',
      `Chart.yaml: ${badText} holds a lone UTF-16 surrogate (such as "\\ud800"), which is not valid Unicode text`,
    );
  }

  const valuesBytes = archive.files.get('values.yaml');
  const valuesYaml = valuesBytes ? utf8('values.yaml', valuesBytes) : null;
  const schemaBytes = archive.files.get('values.schema.json');
  const valuesSchema = schemaBytes ? utf8('values.schema.json', schemaBytes) : null;
  // On a worker thread: parsing a big values.yaml and compiling a big schema take
  // seconds that the event loop must not wait (see schema-workers.ts).
  await checkChartValues(valuesYaml, valuesSchema);

  let readme: string | null = null;
  for (const n of README_NAMES) {
    const hit = [...archive.files.keys()].find((k) => k.toLowerCase() === n);
    if (hit) {
      readme = archive.files.get(hit)?.toString('utf8') ?? null;
      break;
    }
  }
  return {
    bytes: archive.bytes,
    digest: archive.digest,
    size: archive.bytes.length,
    metadata,
    chartYaml,
    readme,
    valuesYaml,
    valuesSchema,
  };
}

// Chart.yaml: parsed with limits, checked at least as strictly as Helm's loader, and
// reduced to the fields Helm knows, which is all an index entry may carry (Helm
// parses index files strictly, so one unknown field breaks `helm repo add`).
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { chartInvalid } from './invalid.js';
import { isMapping, loadYamlLimited } from './safe-yaml.js';

export interface Maintainer {
  name?: string;
  email?: string;
  url?: string;
}

export interface Dependency {
  name: string;
  version?: string;
  repository?: string;
  condition?: string;
  tags?: string[];
  enabled?: boolean;
  'import-values'?: unknown[];
  alias?: string;
}

/** Helm's Chart.yaml fields: exactly what an index entry may hold besides urls/created/digest. */
export interface ChartMetadata {
  apiVersion: 'v1' | 'v2';
  name: string;
  version: string;
  appVersion?: string;
  description?: string;
  home?: string;
  sources?: string[];
  keywords?: string[];
  maintainers?: Maintainer[];
  icon?: string;
  condition?: string;
  tags?: string;
  deprecated?: boolean;
  annotations?: Record<string, string>;
  kubeVersion?: string;
  dependencies?: Dependency[];
  type?: 'application' | 'library';
}

export const CHART_NAME_RE = /^[a-zA-Z0-9._-]+$/;
// Chart name and version lengths (SPEC section 8, plus a cap on the version so that no
// SemVer string is unbounded); package file names and route parameters use them too.
export const MAX_CHART_NAME_LENGTH = 250;
export const MAX_CHART_VERSION_LENGTH = 128;
// SemVer 2.0.0, as semver.org gives it, without the "v" prefix node-semver tolerates.
export const STRICT_SEMVER_RE =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

const MAX_CHART_YAML_NODES = 100_000;

const stringList = { type: 'array', items: { type: 'string' } } as const;
const dependencySchema = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1 },
    version: { type: 'string' },
    repository: { type: 'string' },
    condition: { type: 'string' },
    tags: stringList,
    enabled: { type: 'boolean' },
    'import-values': { type: 'array' },
    alias: { type: 'string' },
  },
} as const;

const metadataSchema = {
  type: 'object',
  required: ['apiVersion', 'name', 'version'],
  properties: {
    apiVersion: { type: 'string' },
    name: { type: 'string' },
    version: { type: 'string' },
    appVersion: { type: 'string' },
    description: { type: 'string' },
    home: { type: 'string' },
    sources: stringList,
    keywords: stringList,
    maintainers: {
      type: 'array',
      items: {
        type: 'object',
        properties: { name: { type: 'string' }, email: { type: 'string' }, url: { type: 'string' } },
      },
    },
    icon: { type: 'string' },
    condition: { type: 'string' },
    tags: { type: 'string' },
    deprecated: { type: 'boolean' },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
    kubeVersion: { type: 'string' },
    dependencies: { type: 'array', items: dependencySchema },
    type: { type: 'string' },
  },
} as const;

let compiled: { metadata: ValidateFunction; dependencies: ValidateFunction } | null = null;

/** Compiled on first use: a start that sees no upload does not pay for it. */
function validators(): { metadata: ValidateFunction; dependencies: ValidateFunction } {
  if (compiled) return compiled;
  // verbose: a type error then carries the offending value, so the message can name it.
  const ajv = new Ajv({ allErrors: false, strict: true, verbose: true });
  compiled = {
    metadata: ajv.compile(metadataSchema),
    dependencies: ajv.compile({ type: 'array', items: dependencySchema }),
  };
  return compiled;
}

/** A JSON pointer from ajv ("/image/tag") as people write the path ("image.tag"). */
export function dotted(instancePath: string): string {
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .filter(Boolean)
    .join('.');
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  array: 'a list',
  object: 'a mapping',
  boolean: 'a boolean (true or false)',
};
// The fields `helm lint` checks by type, with its own wording.
const HELM_LINT_STRINGS = new Set(['version', 'appVersion']);

function describeAjvError(file: string, err: ErrorObject | undefined): string {
  if (!err) return `${file} is invalid`;
  const where = err.instancePath ? dotted(err.instancePath) : 'the document';
  if (err.keyword === 'required') {
    const missing = (err.params as { missingProperty: string }).missingProperty;
    return `${file}: ${err.instancePath ? `${where}.` : ''}${missing} is required`;
  }
  if (err.keyword !== 'type') return `${file}: ${where} ${err.message ?? 'is invalid'}`;
  const expected = (err.params as { type: string }).type;
  const actual = describeValue(err.data);
  let message = `${file}: ${where} must be ${EXPECTED[expected] ?? expected}, but it is ${actual.words}`;
  if (expected === 'string' && actual.scalar) message += '; put the value in quotes so YAML reads it as text';
  if (expected === 'string' && err.data === null) message += '; give it a value or remove the line';
  // Helm reads Chart.yaml into Go values (every YAML number becomes a float64) and names
  // the Go type; saying it the same way lets people match our answer to `helm lint`.
  if (actual.go !== null && actual.go !== 'string') {
    message +=
      expected === 'string' && HELM_LINT_STRINGS.has(where)
        ? ` (helm lint: "${where} should be of type string but it's of type ${actual.go}")`
        : ` (Helm reads it as ${actual.go})`;
  }
  return message;
}

/** A value in words, and the Go type Helm's YAML reader turns it into (null when Helm reads it as a string). */
function describeValue(v: unknown): { words: string; go: string | null; scalar: boolean } {
  if (v === null || v === undefined) return { words: 'empty (null)', go: '<nil>', scalar: false };
  if (Array.isArray(v)) return { words: 'a list', go: '[]interface {}', scalar: false };
  // js-yaml reads an unquoted 2024-01-02 as a timestamp; Helm keeps it as text.
  if (v instanceof Date) return { words: `a date (${v.toISOString()})`, go: null, scalar: true };
  if (typeof v === 'object') return { words: 'a mapping', go: 'map[string]interface {}', scalar: false };
  if (typeof v === 'number') return { words: `a number (${String(v)})`, go: 'float64', scalar: true };
  if (typeof v === 'boolean') return { words: `a boolean (${String(v)})`, go: 'bool', scalar: true };
  return { words: `a string (${JSON.stringify(v)})`, go: 'string', scalar: false };
}

function parseYamlFile(file: string, text: string): unknown {
  try {
    return loadYamlLimited(text, MAX_CHART_YAML_NODES);
  } catch (err) {
    throw chartInvalid(`${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}

function checkNoNulls(file: string, field: string, list: unknown): void {
  if (!Array.isArray(list)) return;
  list.forEach((item, i) => {
    if (item === null || item === undefined) {
      throw chartInvalid(`${file}: ${field}[${i}] is empty (null); remove it or fill it in`);
    }
  });
}

function pick<T extends object>(src: Record<string, unknown>, keys: readonly string[]): T {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (src[k] !== undefined) out[k] = src[k];
  return out as T;
}

const METADATA_KEYS = [
  'apiVersion',
  'name',
  'version',
  'appVersion',
  'description',
  'home',
  'sources',
  'keywords',
  'maintainers',
  'icon',
  'condition',
  'tags',
  'deprecated',
  'annotations',
  'kubeVersion',
  'dependencies',
  'type',
] as const;
const DEPENDENCY_KEYS = [
  'name',
  'version',
  'repository',
  'condition',
  'tags',
  'enabled',
  'import-values',
  'alias',
] as const;
const MAINTAINER_KEYS = ['name', 'email', 'url'] as const;

/**
 * Parses and validates Chart.yaml (plus requirements.yaml for apiVersion v1 charts,
 * whose dependencies Helm reads from there). Returns Helm's fields only.
 */
export function parseChartMetadata(chartYaml: string, requirementsYaml?: string): ChartMetadata {
  const doc = parseYamlFile('Chart.yaml', chartYaml);
  if (!isMapping(doc)) throw chartInvalid(`Chart.yaml must be a YAML mapping, not ${describeValue(doc).words}`);
  checkNoNulls('Chart.yaml', 'maintainers', doc.maintainers);
  checkNoNulls('Chart.yaml', 'dependencies', doc.dependencies);
  const validateMetadata = validators().metadata;
  if (!validateMetadata(doc)) throw chartInvalid(describeAjvError('Chart.yaml', validateMetadata.errors?.[0]));

  const apiVersion = doc.apiVersion as string;
  if (apiVersion !== 'v1' && apiVersion !== 'v2') {
    throw chartInvalid(`Chart.yaml: apiVersion must be v1 or v2, not ${JSON.stringify(apiVersion)}`);
  }
  const name = doc.name as string;
  if (name === '') throw chartInvalid('Chart.yaml: name is empty');
  if (name === '.' || name === '..') throw chartInvalid(`Chart.yaml: name ${JSON.stringify(name)} is not allowed`);
  if (name.length > MAX_CHART_NAME_LENGTH) {
    throw chartInvalid(
      `Chart.yaml: name is ${name.length} characters long, over the limit of ${MAX_CHART_NAME_LENGTH}`,
    );
  }
  if (!CHART_NAME_RE.test(name)) {
    throw chartInvalid(`Chart.yaml: name ${JSON.stringify(name)} may only hold letters, digits, ".", "_" and "-"`);
  }
  const version = doc.version as string;
  if (version.length > MAX_CHART_VERSION_LENGTH || !STRICT_SEMVER_RE.test(version)) {
    throw chartInvalid(
      `Chart.yaml: version ${JSON.stringify(version)} is not strict SemVer 2: it must start with a number and contain decimal points (for example 1.2.0)`,
    );
  }
  if (doc.type !== undefined && doc.type !== 'application' && doc.type !== 'library') {
    throw chartInvalid(`Chart.yaml: type must be "application" or "library", not ${JSON.stringify(doc.type)}`);
  }

  const meta = pick<ChartMetadata>(doc, METADATA_KEYS);
  if (meta.maintainers) {
    meta.maintainers = meta.maintainers.map((m) => pick<Maintainer>(m as Record<string, unknown>, MAINTAINER_KEYS));
  }

  if (apiVersion === 'v1' && requirementsYaml !== undefined && meta.dependencies === undefined) {
    const req = parseYamlFile('requirements.yaml', requirementsYaml);
    if (req !== null && req !== undefined) {
      if (!isMapping(req)) {
        throw chartInvalid(`requirements.yaml must be a YAML mapping, not ${describeValue(req).words}`);
      }
      if (req.dependencies !== undefined && req.dependencies !== null) {
        checkNoNulls('requirements.yaml', 'dependencies', req.dependencies);
        const validateDependencies = validators().dependencies;
        if (!validateDependencies(req.dependencies)) {
          const e = validateDependencies.errors?.[0];
          throw chartInvalid(
            describeAjvError('requirements.yaml', e && { ...e, instancePath: `/dependencies${e.instancePath}` }),
          );
        }
        meta.dependencies = req.dependencies as Dependency[];
      }
    }
  }
  if (meta.dependencies) {
    meta.dependencies = meta.dependencies.map((d) =>
      pick<Dependency>(d as unknown as Record<string, unknown>, DEPENDENCY_KEYS),
    );
  }
  return meta;
}

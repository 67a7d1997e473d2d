// values.yaml must parse as a mapping; values.schema.json must be a JSON Schema that
// ajv compiles. The compiled validator is also what checks users' values later.
import { createHash } from 'node:crypto';
import { Ajv, type AnySchema, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { AppError } from '../errors.js';
import { isMapping, loadYamlLimited } from './safe-yaml.js';

// ajv-formats ships CommonJS with a default export; under NodeNext it arrives wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;

export const MAX_VALUES_NODES = 2_000_000;

function invalid(message: string): AppError {
  return new AppError('chart-invalid', message);
}

/** Parses values YAML; throws chart-invalid naming the file. Empty means {}. */
export function parseValues(text: string, file = 'values.yaml'): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = loadYamlLimited(text, MAX_VALUES_NODES);
  } catch (err) {
    throw invalid(`${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isMapping(doc)) throw invalid(`${file} must be a YAML mapping at the top level`);
  return doc;
}

// Compiling a chart's schema costs about as much as the rest of ingest together, and
// new versions of a chart mostly keep their schema; values checks compile it again.
// Validators are kept by the schema text's digest (a schema is immutable input).
const COMPILED_MAX = 50;
const compiled = new Map<string, ValidateFunction>();

/** Compiles a values.schema.json text; throws chart-invalid when it is not a usable schema. */
export function compileValuesSchema(text: string): ValidateFunction {
  const key = createHash('sha256').update(text).digest('hex');
  const hit = compiled.get(key);
  if (hit) {
    compiled.delete(key);
    compiled.set(key, hit);
    return hit;
  }
  const validate = compileUncached(text);
  if (compiled.size >= COMPILED_MAX) compiled.delete(compiled.keys().next().value as string);
  compiled.set(key, validate);
  return validate;
}

function compileUncached(text: string): ValidateFunction {
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (err) {
    throw invalid(`values.schema.json is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof schema !== 'boolean' && !isMapping(schema)) {
    throw invalid('values.schema.json must be a JSON Schema: an object or a boolean');
  }
  const dialect = isMapping(schema) && typeof schema.$schema === 'string' ? schema.$schema : '';
  const opts = { strict: false, allErrors: true, validateSchema: true } as const;
  // A fresh instance per schema: compiled schemas are cached per instance, and these
  // come from uploads, so sharing one would grow without bound.
  let ajv: Ajv;
  if (dialect.includes('2020-12')) ajv = new Ajv2020(opts);
  else if (dialect.includes('2019-09')) ajv = new Ajv2019(opts);
  else ajv = new Ajv(opts);
  addFormats(ajv);
  let input = schema as AnySchema;
  if (isMapping(schema) && dialect && !dialect.includes('2020-12') && !dialect.includes('2019-09') && !dialect.includes('draft-07')) {
    // Charts name older or vague dialects ("http://json-schema.org/schema#",
    // draft-04/06); their keywords are read as draft-07, which covers what they use.
    const { $schema: _ignored, ...rest } = schema;
    input = rest;
  }
  try {
    return ajv.compile(input);
  } catch (err) {
    throw invalid(`values.schema.json is not a valid JSON Schema: ${(err as Error).message}`);
  }
}

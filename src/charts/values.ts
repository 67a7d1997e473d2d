// values.yaml must parse as a mapping; values.schema.json must be a JSON Schema that
// ajv compiles, within the limits of schema-safety.ts. The compiled validator is also
// what checks users' values later. Compiling runs on the schema worker threads.
import { createHash } from 'node:crypto';
import { Ajv, type AnySchema, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { LRUCache } from 'lru-cache';
import { AppError } from '../errors.js';
import { chartInvalid } from './invalid.js';
import { isMapping, loadYamlLimited } from './safe-yaml.js';
import { checkSchemaShape, MAX_SCHEMA_BYTES, re2Engine } from './schema-safety.js';

// ajv-formats ships CommonJS with a default export; under NodeNext it arrives wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  a: Ajv,
) => Ajv;

export const MAX_VALUES_NODES = 2_000_000;

/** Parses values YAML; throws chart-invalid naming the file. Empty means {}. */
export function parseValues(text: string, file = 'values.yaml'): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = loadYamlLimited(text, MAX_VALUES_NODES);
  } catch (err) {
    throw chartInvalid(`${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isMapping(doc)) throw chartInvalid(`${file} must be a YAML mapping at the top level`);
  return doc;
}

// Compiling a chart's schema costs about as much as the rest of ingest together, and
// new versions of a chart mostly keep their schema; values checks compile it again.
// Validators are kept by the schema text's digest (a schema is immutable input), in a
// cache bounded by an estimate of their memory: the ajv instance each one keeps, the
// schema, and the generated code. This runs on the schema worker threads
// (schema-workers.ts), never on the server's event loop.
const COMPILED_OVERHEAD_BYTES = 1024 * 1024;
export const COMPILED_CACHE_BYTES = 64 * 1024 * 1024;

interface Compiled {
  validate: ValidateFunction;
  bytes: number;
}

export const compiledSchemas = new LRUCache<string, Compiled>({
  maxSize: COMPILED_CACHE_BYTES,
  sizeCalculation: (c) => c.bytes,
});

/** Compiles a values.schema.json text; throws chart-invalid when it is not a usable schema. */
export function compileValuesSchema(text: string): ValidateFunction {
  const key = createHash('sha256').update(text).digest('hex');
  const hit = compiledSchemas.get(key);
  if (hit) return hit.validate;
  const validate = compileUncached(text);
  const bytes = COMPILED_OVERHEAD_BYTES + 2 * (Buffer.byteLength(text) + validate.toString().length);
  compiledSchemas.set(key, { validate, bytes });
  return validate;
}

function compileUncached(text: string): ValidateFunction {
  const size = Buffer.byteLength(text);
  if (size > MAX_SCHEMA_BYTES) {
    throw chartInvalid(`values.schema.json is ${size} bytes, over the limit of ${MAX_SCHEMA_BYTES} bytes (1 MiB)`);
  }
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (err) {
    throw chartInvalid(`values.schema.json is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof schema !== 'boolean' && !isMapping(schema)) {
    throw chartInvalid('values.schema.json must be a JSON Schema: an object or a boolean');
  }
  checkSchemaShape(schema);
  const dialect = isMapping(schema) && typeof schema.$schema === 'string' ? schema.$schema : '';
  // strict stays off: charts use keywords ajv does not know, and strict mode would also
  // run patterns with RegExp against the schema's own property names.
  const opts = { strict: false, allErrors: true, validateSchema: true, code: { regExp: re2Engine } } as const;
  // A fresh instance per schema: compiled schemas are cached per instance, and these
  // come from uploads, so sharing one would grow without bound.
  let ajv: Ajv;
  if (dialect.includes('2020-12')) ajv = new Ajv2020(opts);
  else if (dialect.includes('2019-09')) ajv = new Ajv2019(opts);
  else ajv = new Ajv(opts);
  addFormats(ajv);
  let input = schema as AnySchema;
  if (
    isMapping(schema) &&
    dialect &&
    !dialect.includes('2020-12') &&
    !dialect.includes('2019-09') &&
    !dialect.includes('draft-07')
  ) {
    // Charts name older or vague dialects ("http://json-schema.org/schema#",
    // draft-04/06); their keywords are read as draft-07, which covers what they use.
    const { $schema: _ignored, ...rest } = schema;
    input = rest;
  }
  try {
    return ajv.compile(input);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw chartInvalid(`values.schema.json is not a valid JSON Schema: ${(err as Error).message}`);
  }
}

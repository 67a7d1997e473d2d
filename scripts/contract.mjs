#!/usr/bin/env node
// Writes src/http/contract.generated.ts from openapi/openapi.yaml, the one place request
// shapes are written. For every operation it emits the schema Fastify validates (path
// params, querystring, JSON body), with $refs inlined and annotations left out, as an
// `as const` object from which json-schema-to-ts derives the handler's types.
//
//   npm run contract                    regenerate the file
//   node scripts/contract.mjs --check   exit 1 when the committed file is stale
//
// The YAML's extension `x-additional-query-parameters: false` on an operation refuses
// query parameters it does not list (JSON Schema's additionalProperties: false).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import * as prettier from 'prettier';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SPEC = path.join(root, 'openapi', 'openapi.yaml');
const OUT = path.join(root, 'src', 'http', 'contract.generated.ts');
// The web console's response types, from the same file's components/schemas.
const TYPES_OUT = path.join(root, 'console', 'src', 'api.generated.ts');
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

// What a request schema may say. Annotations are dropped (they do not validate, and
// `example` is no JSON Schema keyword); anything else is an error rather than a rule
// silently lost on the way to the server.
const KEEP = new Set(
  [
    'type enum const default format pattern minLength maxLength',
    'minimum maximum exclusiveMinimum exclusiveMaximum multipleOf',
    'required properties additionalProperties minProperties maxProperties',
    'items minItems maxItems uniqueItems anyOf oneOf allOf not',
  ]
    .join(' ')
    .split(' '),
);
const DROP = new Set('description title example examples writeOnly readOnly deprecated $comment'.split(' '));
// Response schemas may also say what no request schema needs; for types it is dropped.
const DROP_IN_TYPES = new Set(['unevaluatedProperties']);
const SUBSCHEMA = new Set(['items', 'additionalProperties', 'not']);
const SUBSCHEMA_LISTS = new Set(['anyOf', 'oneOf', 'allOf']);

class ContractError extends Error {}

function isObject(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Follows a local JSON pointer such as "#/components/schemas/Workspace". */
function pointer(spec, ref, where) {
  if (!ref.startsWith('#/')) throw new ContractError(`${where}: only local $refs are supported, not ${ref}`);
  let node = spec;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) || !Object.hasOwn(node, key)) throw new ContractError(`${where}: ${ref} leads nowhere`);
    node = node[key];
  }
  return node;
}

/** An object as written, or what its $ref (and the refs that one holds) point at. */
function deref(spec, node, where, seen = []) {
  if (!isObject(node) || typeof node.$ref !== 'string') return node;
  if (seen.includes(node.$ref)) throw new ContractError(`${where}: $ref cycle through ${node.$ref}`);
  return deref(spec, pointer(spec, node.$ref, where), where, [...seen, node.$ref]);
}

/** The schema with its $refs inlined and its annotations dropped. */
function inline(spec, schema, where, seen = [], forTypes = false) {
  if (!isObject(schema)) throw new ContractError(`${where}: a schema must be an object`);
  let out = {};
  if (typeof schema.$ref === 'string') {
    if (seen.includes(schema.$ref)) throw new ContractError(`${where}: $ref cycle through ${schema.$ref}`);
    out = inline(
      spec,
      pointer(spec, schema.$ref, where),
      `${where} (${schema.$ref})`,
      [...seen, schema.$ref],
      forTypes,
    );
  }
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$ref' || DROP.has(key) || key.startsWith('x-') || (forTypes && DROP_IN_TYPES.has(key))) continue;
    if (!KEEP.has(key)) throw new ContractError(`${where}: keyword ${key} is not supported in request schemas`);
    let kept;
    if (key === 'properties') {
      kept = Object.fromEntries(
        Object.entries(value).map(([name, s]) => [name, inline(spec, s, `${where}.${name}`, seen, forTypes)]),
      );
    } else if (SUBSCHEMA.has(key) && isObject(value)) {
      kept = inline(spec, value, `${where}/${key}`, seen, forTypes);
    } else if (SUBSCHEMA_LISTS.has(key)) {
      kept = value.map((s, i) => inline(spec, s, `${where}/${key}/${i}`, seen, forTypes));
    } else {
      kept = value;
    }
    // A keyword beside a $ref applies as well; the same keyword twice must agree.
    if (Object.hasOwn(out, key) && JSON.stringify(out[key]) !== JSON.stringify(kept)) {
      throw new ContractError(`${where}: ${key} beside the $ref contradicts the referenced schema`);
    }
    out[key] = kept;
  }
  // `allOf: [X]` alone (the YAML's way to describe a referenced schema) is X.
  if (Object.keys(out).length === 1 && out.allOf?.length === 1) return out.allOf[0];
  return out;
}

/** Path parameters and query parameters as two object schemas (headers are not validated). */
function parameterSchemas(spec, pathItem, op, where) {
  const byKey = new Map();
  for (const raw of [...(pathItem.parameters ?? []), ...(op.parameters ?? [])]) {
    const p = deref(spec, raw, where);
    byKey.set(`${p.in}:${p.name}`, p); // an operation's parameter overrides the path's
  }
  const params = { type: 'object', required: [], properties: {} };
  const query = { type: 'object', required: [], properties: {} };
  for (const p of byKey.values()) {
    if (p.in !== 'path' && p.in !== 'query') continue;
    const target = p.in === 'path' ? params : query;
    if (!p.schema) throw new ContractError(`${where}: parameter ${p.name} has no schema`);
    target.properties[p.name] = inline(spec, p.schema, `${where} ${p.in} ${p.name}`);
    if (p.in === 'path' || p.required) target.required.push(p.name);
  }
  if (op['x-additional-query-parameters'] === false) query.additionalProperties = false;
  return [params, query].map((s) => {
    if (Object.keys(s.properties).length === 0) return undefined;
    if (s.required.length === 0) delete s.required;
    return s;
  });
}

/** The JSON body's schema, if the operation takes JSON. */
function bodySchema(spec, op, where) {
  if (!op.requestBody) return undefined;
  const content = deref(spec, op.requestBody, where).content ?? {};
  const json = content['application/json'];
  if (!json) return undefined; // raw bytes, forms and YAML are read by the handler
  if (Object.keys(content).length > 1) {
    throw new ContractError(`${where}: a JSON body beside other media types is not supported`);
  }
  return inline(spec, json.schema, `${where} body`);
}

/** Every operation's request schema, by operationId, in the document's order. */
function requestSchemas(spec) {
  const out = [];
  const ids = new Set();
  for (const [template, pathItem] of Object.entries(spec.paths ?? {})) {
    for (const method of METHODS) {
      const op = pathItem[method];
      if (!op) continue;
      const where = `${method.toUpperCase()} ${template}`;
      const id = op.operationId;
      if (typeof id !== 'string' || !/^[a-z][A-Za-z0-9]*$/.test(id)) {
        throw new ContractError(`${where}: needs an operationId in camelCase`);
      }
      if (ids.has(id)) throw new ContractError(`${where}: operationId ${id} is used twice`);
      ids.add(id);
      const [params, querystring] = parameterSchemas(spec, pathItem, op, where);
      const body = bodySchema(spec, op, where);
      const schema = {};
      if (params) schema.params = params;
      if (querystring) schema.querystring = querystring;
      if (body) schema.body = body;
      out.push({ id, method: method.toUpperCase(), template, schema });
    }
  }
  return out;
}

/** The generated module's source, formatted as prettier formats the tree. */
async function render(spec) {
  const ops = requestSchemas(spec);
  const lines = [
    '// Generated by scripts/contract.mjs from openapi/openapi.yaml; do not edit. Change the',
    '// YAML and run `npm run contract`. Each operation: the request schema Fastify validates',
    '// (params, querystring, JSON body), $refs inlined, from which handlers get their types.',
    '',
  ];
  for (const { id, method, template, schema } of ops) {
    lines.push(`/** ${method} ${template} */`, `export const ${id} = ${JSON.stringify(schema)} as const;`, '');
  }
  lines.push(
    "/** Where each operation is served; src/app.ts checks that every route uses its own operation's schema. */",
    'export const operationRoutes = {',
    ...ops.map(({ id, method, template }) => `  ${id}: '${method} ${template}',`),
    '} as const;',
    '',
  );
  const config = (await prettier.resolveConfig(OUT)) ?? {};
  return prettier.format(lines.join('\n'), { ...config, filepath: OUT });
}

/** The console's types: one per components/schemas entry, derived by json-schema-to-ts. */
async function renderTypes(spec) {
  const lines = [
    '// Generated by scripts/contract.mjs from openapi/openapi.yaml; do not edit. Change the',
    '// YAML and run `npm run contract`. One type per components/schemas entry: what the',
    '// console sends and receives is typed from the one HTTP contract. Type-only: nothing',
    '// of this module reaches the bundle.',
    "import type { FromSchema } from 'json-schema-to-ts';",
    '',
  ];
  for (const [name, schema] of Object.entries(spec.components?.schemas ?? {})) {
    const inlined = inline(spec, schema, `components.schemas.${name}`, [], true);
    lines.push(`export type ${name} = FromSchema<${JSON.stringify(inlined)}>;`, '');
  }
  const config = (await prettier.resolveConfig(TYPES_OUT)) ?? {};
  return prettier.format(lines.join('\n'), { ...config, filepath: TYPES_OUT });
}

async function main() {
  const check = process.argv.includes('--check');
  const spec = yaml.load(fs.readFileSync(SPEC, 'utf8'));
  let stale = false;
  for (const [out, source] of [
    [OUT, await render(spec)],
    [TYPES_OUT, await renderTypes(spec)],
  ]) {
    const rel = path.relative(root, out);
    if (check) {
      const current = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
      if (current !== source) {
        console.error(`${rel} does not match openapi/openapi.yaml; run \`npm run contract\``);
        stale = true;
      }
      continue;
    }
    fs.writeFileSync(out, source);
    console.log(`wrote ${rel}`);
  }
  if (stale) process.exit(1);
}

main().catch((err) => {
  console.error(err instanceof ContractError ? `contract: ${err.message}` : err);
  process.exit(1);
});

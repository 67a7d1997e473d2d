// Checks a user's values (YAML) against a chart's values.schema.json, reporting every
// error with a path a person can read ("image.tag"), for planning an upgrade. This runs
// on a schema worker thread; the server calls checkValues in schema-workers.ts.
import { AppError } from '../errors.js';
import { compileValuesSchema, parseValues } from './values.js';
import { dotted } from './metadata.js';

export interface ValuesError {
  path: string;
  message: string;
}

export function checkValuesNow(schemaText: string, valuesYaml: string): ValuesError[] {
  const validate = compileValuesSchema(schemaText);
  let values: Record<string, unknown>;
  try {
    values = parseValues(valuesYaml, 'the values');
  } catch (err) {
    // The user's own input, not the chart, is at fault here.
    throw err instanceof AppError ? new AppError('validation-failed', err.detail) : err;
  }
  if (validate(values)) return [];
  return (validate.errors ?? []).map((e) => {
    let path = dotted(e.instancePath);
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'required') {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      path = path ? `${path}.${missing}` : missing;
      message = 'is required';
    } else if (e.keyword === 'additionalProperties') {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      path = path ? `${path}.${extra}` : extra;
      message = 'is not allowed by the schema';
    } else if (e.keyword === 'enum') {
      message = `must be one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`;
    }
    return { path: path || '(root)', message };
  });
}

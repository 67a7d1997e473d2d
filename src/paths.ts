// Files that ship beside the code (sql/, openapi/), found from this module's place:
// src/ when run from source, dist/src/ once built.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = here.split(path.sep).includes('dist') ? path.resolve(here, '../..') : path.resolve(here, '..');

export function projectPath(...parts: string[]): string {
  return path.join(root, ...parts);
}

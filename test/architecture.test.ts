// The shape of src/ that ARCHITECTURE.md describes, checked on the source itself:
// SQL only in the modules that own a table, no import cycle between src/ folders, and
// every table written only by its owner. Reading the code with the TypeScript parser
// finds string literals and imports exactly (comments and regular expressions are
// neither).
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');

/** Which src/ folder owns (alone writes) each table. A new table needs an entry here. */
const OWNERS: Record<string, string> = {
  users: 'accounts',
  roles: 'accounts',
  access_tokens: 'accounts',
  sign_in_failures: 'accounts',
  sessions: 'accounts',
  workspaces: 'workspaces',
  workspace_members: 'workspaces',
  apps: 'apps',
  store_names: 'apps',
  app_versions: 'versions',
  categories: 'categories',
  audit_events: 'lifecycle',
  store_state: 'lifecycle',
  index_fragments: 'index',
  oci_manifests: 'oci',
  oci_uploads: 'oci',
  oci_upload_chunks: 'oci',
  oci_blob_links: 'oci',
  import_repos: 'imports',
  import_entries: 'imports',
  import_events: 'imports',
  schema_migrations: 'db',
};

/**
 * Folders that may hold SQL: the owners of tables, the database layer, the store (reads
 * composed from its owners' fragments) and blobs (digest locks, the reference check).
 */
const SQL_FOLDERS = new Set([...Object.values(OWNERS), 'db', 'store', 'blobs']);

/** A marker for a template literal's substitutions: SQL text around it stays readable, a name made of it does not. */
const HOLE = '\u0000';
const showHoles = (text: string): string => text.replaceAll(HOLE, '…');

interface SourceFile {
  /** Path from the repository root, with "/". */
  path: string;
  /** The src/ folder ("versions"), or the file's own name for files directly in src/ ("app.ts"). */
  folder: string;
  /** The text of every string and template literal. */
  literals: string[];
  /** The relative module specifiers of every import, export … from and import(). */
  imports: string[];
}

function listTs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return listTs(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

function folderOf(file: string): string {
  const [first, ...rest] = relative(SRC, file).split(sep);
  // A file directly in src/ is its own node; imports name it with ".js".
  return rest.length === 0 ? (first as string).replace(/\.js$/, '.ts') : (first as string);
}

function readSource(file: string): SourceFile {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const literals: string[] = [];
  const imports: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      literals.push(node.text);
    } else if (ts.isTemplateExpression(node)) {
      literals.push(node.head.text + node.templateSpans.map((s) => HOLE + s.literal.text).join(''));
    }
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) imports.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      imports.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return {
    path: relative(ROOT, file).split(sep).join('/'),
    folder: folderOf(file),
    literals,
    imports: imports.filter((s) => s.startsWith('.')),
  };
}

const sources = listTs(SRC).map(readSource);

/** Tables the migrations create, and those code creates for itself (with the folder that does). */
function tables(): Map<string, string | null> {
  const out = new Map<string, string | null>();
  const sqlDir = join(ROOT, 'sql');
  for (const f of readdirSync(sqlDir).filter((n) => n.endsWith('.sql'))) {
    const text = readFileSync(join(sqlDir, f), 'utf8').replace(/--.*$/gm, '');
    for (const m of text.matchAll(/\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)/gi)) {
      out.set((m[1] as string).toLowerCase(), null);
    }
  }
  for (const s of sources) {
    for (const lit of s.literals) {
      for (const m of lit.matchAll(/\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)/gi)) {
        out.set((m[1] as string).toLowerCase(), s.folder);
      }
    }
  }
  return out;
}

t.test('SQL appears only in the folders that own a table (and src/db)', async (t) => {
  const sql = /\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b/;
  const found: string[] = [];
  for (const s of sources) {
    if (SQL_FOLDERS.has(s.folder)) continue;
    for (const lit of s.literals) {
      if (sql.test(lit)) found.push(`${s.path}: ${JSON.stringify(showHoles(lit).slice(0, 80))}`);
    }
  }
  t.same(found, [], 'SQL outside its owners');
});

t.test('no import cycle between src/ folders', async (t) => {
  const graph = new Map<string, Map<string, string>>(); // folder → folder it imports → one file that does
  for (const s of sources) {
    const edges = graph.get(s.folder) ?? new Map<string, string>();
    graph.set(s.folder, edges);
    for (const spec of s.imports) {
      const target = resolve(ROOT, dirname(s.path), spec);
      if (!target.startsWith(SRC + sep)) continue;
      const to = folderOf(target);
      if (to !== s.folder && !edges.has(to)) edges.set(to, `${s.path} imports ${spec}`);
    }
  }
  const aggregates = ['accounts', 'workspaces', 'apps', 'versions', 'store', 'categories', 'icons', 'blobs'];
  t.same(
    [...(graph.get('lifecycle')?.keys() ?? [])].filter((f) => aggregates.includes(f)),
    [],
    'lifecycle imports no aggregate',
  );

  // Depth-first search; a back edge closes a cycle, reported with the file behind each step.
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    path.push(node);
    for (const next of [...(graph.get(node)?.keys() ?? [])].sort()) {
      if (state.get(next) === 'open') {
        const loop = [...path.slice(path.indexOf(next)), next];
        const why = loop.slice(0, -1).map((f, i) => graph.get(f)?.get(loop[i + 1] as string));
        cycles.push(`${loop.join(' → ')} (${why.join('; ')})`);
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  t.same(cycles, [], 'folder-level import cycles');
});

t.test('every table is written only from the folder that owns it', async (t) => {
  const known = tables();
  const unowned = [...known].filter(([name, creator]) => !(name in OWNERS) && creator === null).map(([n]) => n);
  t.same(unowned, [], 'every table in sql/ has an owner in this test');
  for (const [name, creator] of known) {
    if (creator !== null) t.equal(OWNERS[name], creator, `${name} is owned by the folder that creates it`);
  }

  const write =
    /\b(?:INSERT\s+INTO\s+([^\s(]+)|DELETE\s+FROM\s+([^\s(]+)|UPDATE\s+([^\s(]+)(?:\s+(?:AS\s+)?\w+)?\s+SET\b)/gi;
  const wrong: string[] = [];
  let writes = 0;
  for (const s of sources) {
    for (const lit of s.literals) {
      for (const m of lit.matchAll(write)) {
        const table = (m[1] ?? m[2] ?? m[3] ?? '').toLowerCase();
        if (table === 'set' || table === 'of') continue; // ON CONFLICT … DO UPDATE SET, FOR UPDATE OF
        writes++;
        const owner = OWNERS[table];
        if (owner === undefined) {
          wrong.push(`${s.path}: writes ${JSON.stringify(showHoles(table))}, no known table`);
        } else if (owner !== s.folder) {
          wrong.push(`${s.path}: writes ${table}, owned by src/${owner}`);
        }
      }
    }
  }
  t.ok(writes > 20, `the writes were found (${writes})`);
  t.same(wrong, [], 'writes outside the owner');
});

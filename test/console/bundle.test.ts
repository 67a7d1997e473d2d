// The built console stays small and self-contained: what the first page loads (the
// HTML, its scripts and styles, as `npm run build` leaves them in dist/console) is under
// 150 KB gzipped, and nothing in it is inline or comes from another origin.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { repoRoot } from '../helpers/env.js';

const dir = path.join(repoRoot, 'dist', 'console');

t.test('the first page is small and loads only its own files', async (t) => {
  const htmlPath = path.join(dir, 'index.html');
  t.ok(fs.existsSync(htmlPath), 'the console is built (npm run build)');
  const html = fs.readFileSync(htmlPath, 'utf8');
  const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
  t.ok(refs.length >= 2, 'a script and a style sheet');
  for (const ref of refs) t.match(ref, /^\/assets\/[A-Za-z0-9._-]+\.(js|css)$/, `${ref} is one of the build's assets`);
  t.notMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
  t.notMatch(html, /<style|\sstyle=/, 'no inline style');

  let gzipped = gzipSync(html).length;
  const seen = new Set<string>();
  // The entry script and what it imports statically (Vite's preloads) are loaded at once.
  const queue = refs.slice();
  while (queue.length) {
    const ref = queue.shift() as string;
    if (seen.has(ref)) continue;
    seen.add(ref);
    const body = fs.readFileSync(path.join(dir, ref));
    gzipped += gzipSync(body).length;
    if (ref.endsWith('.js')) {
      for (const m of body.toString('utf8').matchAll(/^import[^'"]*["']\.\/([A-Za-z0-9._-]+\.js)["']/gm)) {
        queue.push(`/assets/${m[1]}`);
      }
    }
  }
  t.ok(gzipped < 150 * 1024, `the first page loads ${(gzipped / 1024).toFixed(1)} KB gzipped (limit 150 KB)`);
  t.comment(`first page: ${(gzipped / 1024).toFixed(1)} KB gzipped over ${seen.size + 1} files`);
});

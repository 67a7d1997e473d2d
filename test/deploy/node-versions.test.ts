// The Node versions Chartroom claims are the ones its locked dependencies support:
// package.json's engines floor, the Node running these tests, and the Dockerfile's
// image each satisfy every package's own `engines.node` in package-lock.json (what
// `npm ci` warns about as EBADENGINE).
import t from 'tap';
import fs from 'node:fs/promises';
import path from 'node:path';
import semver from 'semver';
import { repoRoot } from '../helpers/env.js';

interface LockedPackage {
  version?: string;
  engines?: { node?: string };
}

const read = async (file: string) => fs.readFile(path.join(repoRoot, file), 'utf8');

/** Locked packages that would not run on `node` (a full version). */
async function refusing(node: string): Promise<string[]> {
  const lock = JSON.parse(await read('package-lock.json')) as { packages: Record<string, LockedPackage> };
  return Object.entries(lock.packages)
    .filter(([where, p]) => where !== '' && p.engines?.node && !semver.satisfies(node, p.engines.node))
    .map(([where, p]) => `${where.replace(/^.*node_modules\//, '')}@${p.version} wants node ${p.engines?.node}`);
}

t.test('engines.node is what the dependencies support', async (t) => {
  const pkg = JSON.parse(await read('package.json')) as { engines: { node: string } };
  const floor = semver.minVersion(pkg.engines.node);
  t.ok(floor, `engines.node ${pkg.engines.node} has a lowest version`);
  t.same(await refusing(String(floor)), [], `every locked package runs on Node ${floor}`);
  t.ok(semver.satisfies(process.version, pkg.engines.node), `this Node (${process.version}) is within engines`);
  t.same(await refusing(process.version), [], `every locked package runs on this Node (${process.version})`);
});

t.test("the Dockerfile's Node image is within engines", async (t) => {
  const pkg = JSON.parse(await read('package.json')) as { engines: { node: string } };
  const images = [...(await read('Dockerfile')).matchAll(/^FROM node:(\d+)-(\S+)/gm)];
  t.equal(images.length, 2, 'both stages are Node images');
  t.same(new Set(images.map((m) => `${m[1]}-${m[2]}`)).size, 1, 'both stages use the same tag');
  const major = images[0]?.[1] ?? '0';
  t.ok(Number(major) % 2 === 0, `Node ${major} is an LTS line (even major)`);
  // The tag floats to the newest release of that major, so the test takes a late one.
  const release = `${major}.99.0`;
  t.ok(semver.satisfies(release, pkg.engines.node), `Node ${major} is within engines ${pkg.engines.node}`);
  t.same(await refusing(release), [], `every locked package runs on Node ${major}`);
});

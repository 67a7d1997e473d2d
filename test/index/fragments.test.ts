// Index fragments: joined, they must be exactly what rendering the whole index at once
// gives, for real third-party indexes (the corpus) and for names YAML treats specially.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import semver from 'semver';
import { groupEntries, renderIndex, type IndexVersion } from '../../src/index/render.js';
import { joinFragments, renderFragment, type IndexFormat } from '../../src/index/fragments.js';
import { corpusDir } from '../helpers/env.js';

type RawEntry = Record<string, unknown> & { created?: string; digest?: string };

/** The corpus index's versions that Chartroom could hold (strict SemVer, as uploads require). */
function versionsOf(file: string): IndexVersion[] {
  const doc = yaml.load(fs.readFileSync(file, 'utf8')) as { entries: Record<string, RawEntry[]> };
  const out: IndexVersion[] = [];
  for (const list of Object.values(doc.entries)) {
    for (const { urls: _urls, created, digest, ...metadata } of list) {
      if (!semver.valid(String(metadata.version))) continue;
      out.push({
        metadata: metadata as unknown as IndexVersion['metadata'],
        created: new Date(created ?? 0),
        digest: digest ?? '',
      });
    }
  }
  return out;
}

function fromFragments(format: IndexFormat, versions: IndexVersion[], baseUrl: string | null, generated: Date) {
  const grouped = groupEntries(versions, baseUrl);
  return joinFragments(
    format,
    Object.keys(grouped).map((name) => renderFragment(format, name, grouped[name]!)),
    generated,
  );
}

const generated = new Date('2026-11-26T12:00:00.123Z');
const indexes = path.join(corpusDir(), 'indexes');

for (const repo of fs.readdirSync(indexes)) {
  t.test(`corpus index ${repo}`, async (t) => {
    const versions = versionsOf(path.join(indexes, repo, 'index.yaml'));
    t.ok(versions.length > 0, `${versions.length} versions`);
    for (const baseUrl of [null, 'https://charts.example.com/store']) {
      const whole = renderIndex(versions, { baseUrl, generated });
      t.equal(fromFragments('yaml', versions, baseUrl, generated), whole, `YAML byte for byte (base ${baseUrl})`);
      const json = JSON.parse(fromFragments('json', versions, baseUrl, generated));
      t.same(json, yaml.load(whole), 'JSON holds the same document');
    }
  });
}

t.test('names and values YAML treats specially', async (t) => {
  const meta = (name: string, version: string, extra: Record<string, unknown> = {}) =>
    ({ apiVersion: 'v2', name, version, ...extra }) as unknown as IndexVersion['metadata'];
  const versions: IndexVersion[] = [
    { metadata: meta('yes', '1.0.0'), created: generated, digest: 'a'.repeat(64) },
    { metadata: meta('__proto__', '1.0.0'), created: generated, digest: 'b'.repeat(64) },
    {
      metadata: meta('multi', '2.0.0', { description: 'line one\n\n  indented after a blank\nlast\n' }),
      created: generated,
      digest: 'c'.repeat(64),
    },
    {
      metadata: meta('multi', '1.0.0', { description: ' leading space\nsecond' }),
      created: generated,
      digest: 'd'.repeat(64),
    },
  ];
  const whole = renderIndex(versions, { baseUrl: null, generated });
  t.equal(fromFragments('yaml', versions, null, generated), whole);
  t.same(JSON.parse(fromFragments('json', versions, null, generated)), yaml.load(whole));
  t.equal(fromFragments('yaml', [], null, generated), renderIndex([], { baseUrl: null, generated }), 'empty index');
  t.same(
    JSON.parse(fromFragments('json', [], null, generated)),
    yaml.load(renderIndex([], { baseUrl: null, generated })),
  );
});

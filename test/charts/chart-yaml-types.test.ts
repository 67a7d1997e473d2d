// A Chart.yaml field of the wrong YAML type is refused with a message that names the
// field, the type it needs, the type it has (with the value), and, for the fields
// `helm lint` checks, Helm's own wording ("... it's of type float64").
import t from 'tap';
import { parseChartMetadata } from '../../src/charts/metadata.js';
import { AppError } from '../../src/errors.js';
import { adminAuth, countRowsAndBlobs, createWorkspace, testApp } from '../helpers/app.js';
import { chartYamlFor, makeChart } from '../helpers/tarball.js';

function refusal(chartYaml: string): string {
  try {
    parseChartMetadata(chartYaml);
  } catch (err) {
    if (err instanceof AppError && err.code === 'chart-invalid') return err.detail;
    throw err;
  }
  throw new Error('Chart.yaml was accepted');
}

const head = 'apiVersion: v2\nname: demo\n';

t.test("version and appVersion: our words and helm lint's", async (t) => {
  t.equal(
    refusal(`${head}version: 1.0.0\nappVersion: 1.10\n`),
    'Chart.yaml: appVersion must be a string, but it is a number (1.1); put the value in quotes so YAML reads it as text ' +
      '(helm lint: "appVersion should be of type string but it\'s of type float64")',
  );
  t.equal(
    refusal(`${head}version: 1.2\n`),
    'Chart.yaml: version must be a string, but it is a number (1.2); put the value in quotes so YAML reads it as text ' +
      '(helm lint: "version should be of type string but it\'s of type float64")',
  );
  t.equal(
    refusal(`${head}version: 1.0.0\nappVersion: true\n`),
    'Chart.yaml: appVersion must be a string, but it is a boolean (true); put the value in quotes so YAML reads it as text ' +
      '(helm lint: "appVersion should be of type string but it\'s of type bool")',
  );
  t.equal(
    refusal(`${head}version: 1.0.0\nappVersion:\n  - 1.0\n`),
    'Chart.yaml: appVersion must be a string, but it is a list (helm lint: "appVersion should be of type string but it\'s of type []interface {}")',
  );
  t.equal(
    refusal(`${head}version: 1.0.0\nappVersion:\n  major: 1\n`),
    'Chart.yaml: appVersion must be a string, but it is a mapping (helm lint: "appVersion should be of type string but it\'s of type map[string]interface {}")',
  );
  t.equal(
    refusal(`${head}version: 1.0.0\nappVersion:\n`),
    'Chart.yaml: appVersion must be a string, but it is empty (null); give it a value or remove the line (helm lint: "appVersion should be of type string but it\'s of type <nil>")',
  );
});

t.test('other fields name the expected and the actual type', async (t) => {
  const ok = `${head}version: 1.0.0\n`;
  t.equal(
    refusal(`${ok}description: 5\n`),
    'Chart.yaml: description must be a string, but it is a number (5); put the value in quotes so YAML reads it as text (Helm reads it as float64)',
  );
  t.equal(
    refusal(`${ok}deprecated: "yes"\n`),
    'Chart.yaml: deprecated must be a boolean (true or false), but it is a string ("yes")',
  );
  t.equal(refusal(`${ok}keywords: db\n`), 'Chart.yaml: keywords must be a list, but it is a string ("db")');
  t.equal(
    refusal(`${ok}keywords:\n  - db\n  - 7\n`),
    'Chart.yaml: keywords.1 must be a string, but it is a number (7); put the value in quotes so YAML reads it as text (Helm reads it as float64)',
  );
  t.equal(
    refusal(`${ok}annotations: [a, b]\n`),
    'Chart.yaml: annotations must be a mapping, but it is a list (Helm reads it as []interface {})',
  );
  t.equal(
    refusal(`${ok}annotations:\n  example.com/level: 3\n`),
    'Chart.yaml: annotations.example.com/level must be a string, but it is a number (3); put the value in quotes so YAML reads it as text (Helm reads it as float64)',
  );
  t.equal(
    refusal(`${ok}maintainers:\n  - just-a-name\n`),
    'Chart.yaml: maintainers.0 must be a mapping, but it is a string ("just-a-name")',
  );
  t.equal(
    refusal(`${ok}maintainers:\n  - name: 42\n`),
    'Chart.yaml: maintainers.0.name must be a string, but it is a number (42); put the value in quotes so YAML reads it as text (Helm reads it as float64)',
  );
  t.equal(refusal(`${ok}dependencies:\n  - version: 1.0.0\n`), 'Chart.yaml: dependencies.0.name is required');
  t.equal(
    refusal(`${ok}dependencies:\n  - name: db\n    enabled: 1\n`),
    'Chart.yaml: dependencies.0.enabled must be a boolean (true or false), but it is a number (1) (Helm reads it as float64)',
  );
  t.match(
    refusal(`${ok}appVersion: 2024-01-02\n`),
    /^Chart\.yaml: appVersion must be a string, but it is a date \(2024-01-02T00:00:00\.000Z\); put the value in quotes/,
  );
});

t.test('through the API: a 400 that names appVersion and its type, nothing stored', async (t) => {
  const { app } = await testApp(t);
  const ws = await createWorkspace(app);
  const res = await app.inject({
    method: 'POST',
    url: `/api/workspaces/${ws}/charts`,
    headers: { authorization: adminAuth, 'content-type': 'application/gzip' },
    payload: makeChart({ chartYaml: chartYamlFor('demo', '1.0.0').replace('appVersion: "1.0"', 'appVersion: 1.10') }),
  });
  t.equal(res.statusCode, 400);
  // The ChartMuseum-compatible route answers in ChartMuseum's shape: { error, code }.
  t.match(res.json(), {
    code: 'chart-invalid',
    error:
      /appVersion must be a string, but it is a number \(1\.1\).*appVersion should be of type string but it's of type float64/,
  });
  t.same(await countRowsAndBlobs(app), { apps: 0, versions: 0, blobs: 0 });
});

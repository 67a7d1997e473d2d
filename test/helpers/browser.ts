// A real browser for the web console's tests: Debian's chromium driven by
// playwright-core. Missing chromium fails the suite (scripts/test.sh lists it as a
// requirement); it is never skipped quietly. Pages record what the browser complains
// about (script errors, Content-Security-Policy refusals), and axe-core checks views.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot } from './env.js';

interface Tap {
  teardown(fn: () => unknown): void;
  equal(found: any, wanted: any, ...rest: any[]): unknown;
  same(found: any, wanted: any, ...rest: any[]): unknown;
}

export function chromiumPath(): string {
  const bin = process.env.CHARTROOM_CHROMIUM ?? '/usr/bin/chromium';
  if (!fs.existsSync(bin)) {
    throw new Error(`chromium is required for the console suites and is not at ${bin} (apt-get install chromium)`);
  }
  return bin;
}

export async function launchBrowser(t: Tap): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Running as root in CI: chromium's sandbox needs user namespaces it may not have.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  t.teardown(() => browser.close());
  return browser;
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** Script errors, failed loads refused by the CSP, and console errors so far. */
  complaints: string[];
}

/** A new browser profile (its own cookies) with one page, recording complaints. */
export async function openConsole(
  browser: Browser,
  baseURL: string,
  viewport: { width: number; height: number } = DESKTOP,
): Promise<ConsolePage> {
  const context = await browser.newContext({ baseURL, viewport, permissions: [] });
  const page = await context.newPage();
  const complaints: string[] = [];
  page.on('pageerror', (err) => complaints.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    // 4xx answers the console shows on purpose are logged by chromium as failed loads.
    if (
      msg.type() === 'error' &&
      !/Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text())
    ) {
      complaints.push(`console error: ${msg.text()}`);
    }
  });
  return { context, page, complaints };
}

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[] }>;
}

/**
 * Runs axe-core on the page as it is and asserts there are no serious or critical
 * violations. axe is evaluated through the DevTools protocol, which the page's CSP does
 * not govern, so the console's policy stays exactly as served.
 */
export async function checkAccessibility(t: Tap, page: Page, view: string): Promise<void> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run: (ctx: Document, opts: object) => Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target),
    }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  t.same(serious, [], `${view}: no serious or critical axe-core violations`);
}

/** Saves a screenshot under test-results/ (not committed). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = path.join(repoRoot, 'test-results', 'console');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: false });
}

/** Nothing on the page is wider than the viewport (legible without sideways scrolling). */
export async function checkNoSidewaysScroll(t: Tap, page: Page, view: string): Promise<void> {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  t.equal(scroll <= width, true, `${view}: fits ${width} px without scrolling sideways (content is ${scroll} px)`);
}

/** Signs in through the form, as a person does. */
export async function signInThroughForm(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/#/sign-in');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

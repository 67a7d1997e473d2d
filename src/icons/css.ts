// What an SVG icon may hold where a browser reads CSS or a URL: <style> text and
// attribute values (style="", fill="url(...)", href). CSS escapes (`\69` is "i",
// `\72` is "r") and comments spell the same thing many ways, so the checks read the
// text as CSS would, with escapes decoded, both with and without comments removed
// (inside url(...) and strings, "/*" is not a comment, so either reading may be the
// browser's). A construct is refused when either reading shows it.
import { invalid } from './common.js';

function quoteShort(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
}

/** Decodes CSS escapes as the CSS tokenizer does (css-syntax-3, "consume an escaped code point"). */
export function decodeCssEscapes(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(
    /\\(?:([0-9a-fA-F]{1,6})[ \t\n\r\f]?|(\r\n|[\n\r\f])|([\s\S])|$)/g,
    (_all, hex?: string, newline?: string, other?: string) => {
      if (hex !== undefined) {
        const cp = parseInt(hex, 16);
        return cp === 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ? '\ufffd' : String.fromCodePoint(cp);
      }
      if (newline !== undefined) return ''; // a line continuation (in strings)
      return other ?? '\ufffd';
    },
  );
}

function stripCssComments(s: string): string {
  return s.replace(/\/\*[\s\S]*?(?:\*\/|$)/g, '');
}

/** A reference the icon may keep: a fragment of itself or an inline raster/vector image. */
export function isLocalReference(target: string): boolean {
  const t = target.trim();
  return t === '' || t.startsWith('#') || /^data:image\//i.test(t);
}

// Functions and properties that load something or run script (legacy IE and Firefox ones included).
const LOADING_FUNCTION = /(?<![\w-])(?:-[a-z]+-)?(image-set|image|cross-fade|src)\(/i;
const SCRIPTING = /(?<![\w-])(expression\s*\(|(?:-[a-z]+-)?behavior\s*:|-moz-binding)/i;

function checkReading(css: string, where: string): void {
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  const squashed = css.replace(/[\u0000-\u0020\u007f]+/g, '').toLowerCase();
  if (squashed.includes('javascript:') || squashed.includes('vbscript:')) {
    invalid(`the SVG contains a javascript: URL (in ${where}); scripts are not allowed`);
  }
  if (/@import/i.test(css)) invalid(`the SVG imports a style sheet (in ${where}); external references are not allowed`);
  const scripting = SCRIPTING.exec(css);
  if (scripting) {
    invalid(
      `the SVG uses ${quoteShort(scripting[1]!.replace(/\s+/g, ''))} (in ${where}); it can run code and is not allowed`,
    );
  }
  const loading = LOADING_FUNCTION.exec(css);
  if (loading) invalid(`the SVG uses ${loading[1]!.toLowerCase()}() (in ${where}); it is not allowed`);
  const urls = /url\s*\(\s*(["']?)([^)]*?)\1\s*\)/gi;
  for (const m of css.matchAll(urls)) {
    if (!isLocalReference(m[2] ?? '')) {
      invalid(
        `the SVG refers to an external resource (url(${quoteShort(m[2] ?? '')}) in ${where}); only #fragment and data:image/ references are allowed`,
      );
    }
  }
  if (/url\s*\(/i.test(css.replace(urls, ''))) invalid(`the SVG has a malformed url() (in ${where})`);
}

/** Checks text that a browser may read as CSS or as a URL: no scripts, no outside resources. */
export function checkCssValue(value: string, where: string): void {
  checkReading(decodeCssEscapes(value), where);
  if (value.includes('/*')) checkReading(decodeCssEscapes(stripCssComments(value)), where);
}

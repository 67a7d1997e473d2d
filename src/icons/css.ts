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
  for (const target of cssUrls(css)) {
    if (target === null) invalid(`the SVG has a malformed url() (in ${where})`);
    if (!isLocalReference(target)) {
      invalid(
        `the SVG refers to an external resource (url(${quoteShort(target)}) in ${where}); only #fragment and data:image/ references are allowed`,
      );
    }
  }
}

/**
 * What each url(…) in the text refers to (its argument, without matching quotes), or null
 * for one never closed. One pass: a regular expression for the whole url(…) retried from
 * every "url(" to the end of the text, quadratic when none is closed.
 */
function* cssUrls(css: string): Generator<string | null> {
  const opening = /url\s*\(/gi;
  for (let m = opening.exec(css); m; m = opening.exec(css)) {
    const close = css.indexOf(')', opening.lastIndex);
    if (close < 0) {
      yield null;
      return;
    }
    let target = css.slice(opening.lastIndex, close).trim();
    const quote = target[0];
    if ((quote === '"' || quote === "'") && target.length >= 2 && target.endsWith(quote)) target = target.slice(1, -1);
    yield target;
    opening.lastIndex = close + 1;
  }
}

/** Checks text that a browser may read as CSS or as a URL: no scripts, no outside resources. */
export function checkCssValue(value: string, where: string): void {
  checkReading(decodeCssEscapes(value), where);
  if (value.includes('/*')) checkReading(decodeCssEscapes(stripCssComments(value)), where);
}

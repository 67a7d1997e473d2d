// SVG icons: a document a browser may open on its own, so it is held to a
// conservative subset: no scripts, no event handlers, no DOCTYPE/entities, no
// references outside itself. The size comes from the root's width/height or viewBox.
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { invalid, NOT_AN_IMAGE, type IconInfo } from './common.js';
import { checkCssValue as checkValue } from './css.js';

// --- SVG ----------------------------------------------------------------------------

/** Whether the first significant byte (after a UTF-8 BOM and whitespace) is `<`. */
export function looksLikeMarkup(bytes: Buffer): boolean {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  return bytes[i] === 0x3c;
}

function quoteShort(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
}

function localName(name: string): string {
  const colon = name.lastIndexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

/**
 * A link may only point into the icon itself. An inline data:image/ is allowed only as
 * what <image> (or <feImage>) draws, where browsers render it as a static picture; as a
 * link target (<a>, <use>, ...) a data: document could run its own scripts.
 */
function checkHref(element: string, where: string, target: string): void {
  if (target === '' || target.startsWith('#')) return;
  const drawsImage = element === 'image' || element === 'feimage';
  if (drawsImage && /^data:image\//i.test(target)) return;
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  if (!drawsImage && /^data:/i.test(target.replace(/[\u0000-\u0020\u007f]+/g, ''))) {
    invalid(`the SVG links to a data: URL (${where}); data:image/ is allowed only as the picture of an <image>`);
  }
  invalid(`the SVG refers to an external resource (${where}); only #fragment and data:image/ references are allowed`);
}

const XHTML_NS = 'http://www.w3.org/1999/xhtml';

function checkElement(tag: SaxesTagPlain): void {
  const local = localName(tag.name).toLowerCase();
  if (local === 'script') invalid('the SVG contains a <script> element; scripts are not allowed');
  if (local === 'foreignobject') invalid('the SVG contains a <foreignObject> element; it is not allowed');
  for (const [attr, value] of Object.entries(tag.attributes)) {
    const attrLocal = localName(attr).toLowerCase();
    // HTML inside an SVG (<h:meta http-equiv="refresh">, <h:iframe src>) needs the XHTML
    // namespace bound somewhere; an icon never does, so binding it is refused.
    if ((attr === 'xmlns' || attr.startsWith('xmlns:')) && value.trim().toLowerCase() === XHTML_NS) {
      invalid(`the SVG binds the XHTML namespace (${attr}= on <${tag.name}>); HTML elements are not allowed in icons`);
    }
    if (/^on[a-z]/.test(attrLocal)) {
      invalid(`the SVG has an event-handler attribute (${attr}= on <${tag.name}>); event handlers are not allowed`);
    }
    checkValue(value, `the ${attr} attribute of <${tag.name}>`);
    if (attrLocal === 'href') checkHref(local, `${attr}=${quoteShort(value)} on <${tag.name}>`, value.trim());
    if (attr === 'attributeName' && localName(value.trim()).toLowerCase() === 'href') {
      invalid(
        `the SVG animates an href attribute (<${tag.name} attributeName=${quoteShort(value)}>); this is not allowed`,
      );
    }
  }
}

/** Screens the raw text for what must never appear, with a message naming it. */
function screenSvgText(text: string): void {
  if (/<!DOCTYPE/i.test(text)) {
    invalid('the SVG has a <!DOCTYPE> declaration; DOCTYPE and ENTITY declarations are not allowed');
  }
  if (/<!ENTITY/i.test(text)) invalid('the SVG declares an <!ENTITY>; DOCTYPE and ENTITY declarations are not allowed');
  if (/<([\w.-]+:)?script[\s/>]/i.test(text)) invalid('the SVG contains a <script> element; scripts are not allowed');
  if (/<([\w.-]+:)?foreignObject[\s/>]/i.test(text)) {
    invalid('the SVG contains a <foreignObject> element; it is not allowed');
  }
  const handler = /[\s"'/:](on[a-z]+)\s*=/i.exec(text);
  if (handler) invalid(`the SVG has an event-handler attribute (${handler[1]}=); event handlers are not allowed`);
  if (/javascript\s*:/i.test(text)) invalid('the SVG contains a javascript: URL; scripts are not allowed');
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(text)) invalid('the SVG contains control characters');
}

/** Words for saxes's well-formedness errors that the icon checks name more plainly. */
function describeXmlError(message: string, text: string, at: number, openTag: string | undefined): string {
  if (message === 'undefined entity.') {
    return `the SVG uses the undefined entity &${/&([^&;]*);$/.exec(text.slice(0, at))?.[1] ?? ''};`;
  }
  if (message === 'disallowed character in entity name.' || message === 'empty entity name.') {
    return 'the SVG is not well-formed: a "&" does not start an entity or character reference';
  }
  if (message === 'malformed character entity.') {
    return `the SVG is not well-formed: the character reference &${/&([^&;]*);$/.exec(text.slice(0, at))?.[1] ?? ''}; is not allowed`;
  }
  if (message === 'incorrect syntax.') return 'the SVG has a <!...> declaration; declarations are not allowed'; // "<!" not opening a comment or CDATA
  if (message === 'unquoted attribute value.') {
    return `the SVG is not well-formed: an attribute value of <${openTag}> is not quoted`;
  }
  return `the SVG is not well-formed: ${message.replace(/\.$/, '')}`;
}

/**
 * Parses the markup with a strict XML parser (no DTD, so only the five predefined
 * entities and character references resolve), checking every element on the way;
 * answers the attributes of the root <svg> element.
 */
function parseSvg(text: string): Record<string, string> {
  // Plain names (prefixes are not resolved); XML 1.0 even where 1.1 is declared, as 1.1 would allow &#1;.
  const parser = new SaxesParser({ xmlns: false, forceXMLVersion: true, defaultXMLVersion: '1.0' } as const);
  let root: SaxesTagPlain | undefined;
  let rootClosed = false;
  let startTag: string | undefined; // the tag being read, for error messages
  // Open elements; a <style> one gathers its text, read as CSS when it closes (a
  // browser joins text, CDATA and text around comments or child elements into one sheet).
  const open: { name: string; css: string | null }[] = [];
  const addText = (chunk: string) => {
    const top = open[open.length - 1];
    if (top && top.css !== null) top.css += chunk;
  };

  parser.on('error', (err) => {
    const [, line, column, message = err.message] = /^(\d+):(\d+): ([\s\S]*)$/.exec(err.message) ?? [];
    if (message === 'text data outside of root node.') {
      invalid(root ? 'the SVG is not well-formed: there is content after its root element' : NOT_AN_IMAGE);
    }
    invalid(`${describeXmlError(message, text, parser.position, startTag)} (line ${line}, column ${column})`);
  });
  parser.on('doctype', () =>
    invalid('the SVG has a <!DOCTYPE> declaration; DOCTYPE and ENTITY declarations are not allowed'),
  );
  parser.on('xmldecl', (decl) => {
    if (decl.encoding !== undefined && !/^utf-?8$/i.test(decl.encoding)) {
      invalid(`the SVG declares the encoding ${quoteShort(decl.encoding)}; only UTF-8 is accepted`);
    }
  });
  parser.on('processinginstruction', ({ target }) => {
    invalid(`the SVG has a processing instruction (<?${target}); processing instructions are not allowed`);
  });
  parser.on('opentagstart', (tag) => {
    startTag = tag.name;
    if (rootClosed) invalid('the SVG is not well-formed: there is content after its root element');
    if (!root && tag.name !== 'svg') invalid(`${NOT_AN_IMAGE} (its root element is <${tag.name}>, not <svg>)`);
  });
  parser.on('opentag', (tag) => {
    root ??= tag;
    checkElement(tag);
    open.push({ name: tag.name, css: localName(tag.name).toLowerCase() === 'style' ? '' : null });
  });
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.on('closetag', () => {
    const element = open.pop();
    if (element?.css) checkValue(element.css, 'a <style> element');
    if (open.length === 0) rootClosed = true;
  });

  parser.write(text);
  if (!root) invalid(NOT_AN_IMAGE);
  const unclosed = open[open.length - 1];
  if (unclosed) {
    // An "&" with no ";" after it swallows the rest of the document as an entity name.
    // (Compared by position: /&[^;]*$/ took time quadratic in the number of "&".)
    if (text.lastIndexOf('&') > text.lastIndexOf(';')) {
      invalid('the SVG is not well-formed: a "&" does not start an entity or character reference');
    }
    invalid(`the SVG is not well-formed: <${unclosed.name}> is never closed`);
  }
  parser.close();
  return root.attributes;
}

const NUMBER = String.raw`[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?`;

/** A root width or height: unitless or px; other units cannot be turned into pixels here. */
function parseLength(value: string, which: 'width' | 'height'): number {
  // Trimmed first: two \s* on either side of an optional unit backtrack against each
  // other, quadratic in a run of spaces (seconds for a 64 KiB attribute).
  const trimmed = value.trim();
  const m = new RegExp(`^(${NUMBER})\\s*(px)?$`).exec(trimmed);
  if (!m) {
    const unit = new RegExp(`^${NUMBER}\\s*([A-Za-z]+|%)$`).exec(trimmed)?.[1];
    if (unit) invalid(`the SVG ${which} ${quoteShort(value)} is in ${unit}; only unitless or px sizes are allowed`);
    invalid(`the SVG ${which} ${quoteShort(value)} is not a number`);
  }
  const n = Number(m[1]);
  if (!Number.isFinite(n) || n <= 0) invalid(`the SVG ${which} ${quoteShort(value)} is not a positive size`);
  return n;
}

function parseViewBox(value: string): { width: number; height: number } {
  const parts = value.trim().split(/\s*,\s*|\s+/);
  const numeric = new RegExp(`^${NUMBER}$`);
  if (parts.length !== 4 || !parts.every((p) => numeric.test(p))) {
    invalid(`the SVG viewBox ${quoteShort(value)} is not four numbers`);
  }
  const [, , w, h] = parts.map(Number) as [number, number, number, number];
  if (!Number.isFinite(w) || !Number.isFinite(h) || w <= 0 || h <= 0) {
    invalid(`the SVG viewBox ${quoteShort(value)} does not give a positive width and height`);
  }
  return { width: w, height: h };
}

/** Rounds up to whole pixels, forgiving floating-point noise (48.0000000001 is 48). */
function wholePixels(n: number): number {
  return Math.max(1, Math.ceil(n - 1e-9));
}

export function inspectSvg(bytes: Buffer): IconInfo {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes); // drops a BOM
  } catch {
    invalid('the SVG is not valid UTF-8 text');
  }
  screenSvgText(text);
  const attrs = parseSvg(text);
  const w = attrs.width;
  const h = attrs.height;
  const vb = attrs.viewBox;
  let width: number;
  let height: number;
  if (w !== undefined && h !== undefined) {
    width = parseLength(w, 'width');
    height = parseLength(h, 'height');
  } else if (w === undefined && h === undefined) {
    if (vb === undefined) invalid('the SVG has no size: its root <svg> element has no width and height and no viewBox');
    ({ width, height } = parseViewBox(vb));
  } else {
    // One of width/height: the other follows from the viewBox's aspect ratio, as in a browser.
    const given = w !== undefined ? 'width' : 'height';
    if (vb === undefined) {
      invalid(
        `the SVG has no size: its root <svg> element has a ${given} but no ${given === 'width' ? 'height' : 'width'} and no viewBox`,
      );
    }
    const box = parseViewBox(vb);
    if (w !== undefined) {
      width = parseLength(w, 'width');
      height = (width * box.height) / box.width;
    } else {
      height = parseLength(h!, 'height');
      width = (height * box.width) / box.height;
    }
  }
  return { contentType: 'image/svg+xml', width: wholePixels(width), height: wholePixels(height) };
}

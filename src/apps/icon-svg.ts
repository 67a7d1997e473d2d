// SVG icons: a document a browser may open on its own, so it is held to a
// conservative subset: no scripts, no event handlers, no DOCTYPE/entities, no
// references outside itself. The size comes from the root's width/height or viewBox.
import { invalid, NOT_AN_IMAGE, type IconInfo } from './icon-common.js';
import { checkCssValue as checkValue } from './icon-css.js';

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

// A Map, so that "&constructor;" is an undefined entity rather than Object's constructor.
const PREDEFINED_ENTITIES = new Map<string, string>([['lt', '<'], ['gt', '>'], ['amp', '&'], ['quot', '"'], ['apos', "'"]]);

/** Resolves character and predefined entity references; anything else is refused (there is no DTD). */
function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&([^;&<]*)(;?)/g, (_all, ref: string, semi: string) => {
    if (!semi) invalid('the SVG is not well-formed: a "&" does not start an entity or character reference');
    const num = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(ref);
    if (num) {
      const cp = num[1] !== undefined ? parseInt(num[1], 16) : parseInt(num[2]!, 10);
      if (!(cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0x10ffff && cp !== 0xfffe && cp !== 0xffff))) {
        invalid(`the SVG is not well-formed: the character reference &${ref}; is not allowed`);
      }
      return String.fromCodePoint(cp);
    }
    const named = PREDEFINED_ENTITIES.get(ref);
    if (named === undefined) invalid(`the SVG uses the undefined entity &${ref};`);
    return named;
  });
}

function localName(name: string): string {
  const colon = name.lastIndexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

interface StartTag {
  name: string;
  attrs: Map<string, string>;
  selfClosing: boolean;
  end: number;
}

const NAME = /[A-Za-z_][\w.:-]*/y;

/** Reads the start tag at `start` (text[start] === '<'). */
function readStartTag(text: string, start: number): StartTag {
  NAME.lastIndex = start + 1;
  const nameMatch = NAME.exec(text);
  if (!nameMatch) invalid(`the SVG is not well-formed: unexpected "<" at character ${start}`);
  const name = nameMatch[0];
  const attrs = new Map<string, string>();
  let i = start + 1 + name.length;
  for (;;) {
    const beforeSpace = i;
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) invalid(`the SVG is not well-formed: the <${name}> tag is never closed`);
    if (text[i] === '>') return { name, attrs, selfClosing: false, end: i + 1 };
    if (text.startsWith('/>', i)) return { name, attrs, selfClosing: true, end: i + 2 };
    if (i === beforeSpace) invalid(`the SVG is not well-formed: attributes of <${name}> must be separated by spaces`);
    NAME.lastIndex = i;
    const attrMatch = NAME.exec(text);
    if (!attrMatch) invalid(`the SVG is not well-formed: unexpected ${quoteShort(text[i]!)} in the <${name}> tag`);
    const attr = attrMatch[0];
    i += attr.length;
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (text[i] !== '=') invalid(`the SVG is not well-formed: the attribute ${attr} of <${name}> has no value`);
    i++;
    while (i < text.length && /\s/.test(text[i]!)) i++;
    const quote = text[i];
    if (quote !== '"' && quote !== "'") invalid(`the SVG is not well-formed: the value of ${attr} in <${name}> is not quoted`);
    const close = text.indexOf(quote, i + 1);
    if (close < 0) invalid(`the SVG is not well-formed: the value of ${attr} in <${name}> is never closed`);
    const raw = text.slice(i + 1, close);
    if (raw.includes('<')) invalid(`the SVG is not well-formed: the value of ${attr} in <${name}> contains "<"`);
    if (attrs.has(attr)) invalid(`the SVG is not well-formed: <${name}> has the attribute ${attr} twice`);
    attrs.set(attr, decodeEntities(raw));
    i = close + 1;
  }
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
  if (!drawsImage && /^data:/i.test(target.replace(/[\u0000-\u0020\u007f]+/g, ''))) {
    invalid(`the SVG links to a data: URL (${where}); data:image/ is allowed only as the picture of an <image>`);
  }
  invalid(`the SVG refers to an external resource (${where}); only #fragment and data:image/ references are allowed`);
}

function checkElement(tag: StartTag): void {
  const local = localName(tag.name).toLowerCase();
  if (local === 'script') invalid('the SVG contains a <script> element; scripts are not allowed');
  if (local === 'foreignobject') invalid('the SVG contains a <foreignObject> element; it is not allowed');
  for (const [attr, value] of tag.attrs) {
    const attrLocal = localName(attr).toLowerCase();
    if (/^on[a-z]/.test(attrLocal)) {
      invalid(`the SVG has an event-handler attribute (${attr}= on <${tag.name}>); event handlers are not allowed`);
    }
    checkValue(value, `the ${attr} attribute of <${tag.name}>`);
    if (attrLocal === 'href') checkHref(local, `${attr}=${quoteShort(value)} on <${tag.name}>`, value.trim());
    if (attr === 'attributeName' && localName(value.trim()).toLowerCase() === 'href') {
      invalid(`the SVG animates an href attribute (<${tag.name} attributeName=${quoteShort(value)}>); this is not allowed`);
    }
  }
}

/** Screens the raw text for what must never appear, with a message naming it. */
function screenSvgText(text: string): void {
  if (/<!DOCTYPE/i.test(text)) invalid('the SVG has a <!DOCTYPE> declaration; DOCTYPE and ENTITY declarations are not allowed');
  if (/<!ENTITY/i.test(text)) invalid('the SVG declares an <!ENTITY>; DOCTYPE and ENTITY declarations are not allowed');
  if (/<([\w.-]+:)?script[\s/>]/i.test(text)) invalid('the SVG contains a <script> element; scripts are not allowed');
  if (/<([\w.-]+:)?foreignObject[\s/>]/i.test(text)) invalid('the SVG contains a <foreignObject> element; it is not allowed');
  const handler = /[\s"'/:](on[a-z]+)\s*=/i.exec(text);
  if (handler) invalid(`the SVG has an event-handler attribute (${handler[1]}=); event handlers are not allowed`);
  if (/javascript\s*:/i.test(text)) invalid('the SVG contains a javascript: URL; scripts are not allowed');
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(text)) invalid('the SVG contains control characters');
}

/** Walks the markup; answers the attributes of the root <svg> element. */
function parseSvg(text: string): Map<string, string> {
  let root: StartTag | undefined;
  let rootClosed = false;
  const open: string[] = [];
  let i = 0;
  const inStyle = () => open.length > 0 && localName(open[open.length - 1]!).toLowerCase() === 'style';
  const onText = (chunk: string) => {
    if (open.length === 0) {
      if (chunk.trim() !== '') {
        invalid(root ? 'the SVG is not well-formed: there is content after its root element' : NOT_AN_IMAGE);
      }
      return;
    }
    if (inStyle()) checkValue(chunk, 'a <style> element');
  };
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = text.slice(i, lt < 0 ? text.length : lt);
    if (chunk) {
      if (chunk.includes(']]>')) invalid('the SVG is not well-formed: "]]>" outside a CDATA section');
      onText(decodeEntities(chunk));
    }
    if (lt < 0) break;
    i = lt;
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) invalid('the SVG is not well-formed: a comment is never closed');
      i = end + 3;
    } else if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i + 9);
      if (end < 0) invalid('the SVG is not well-formed: a CDATA section is never closed');
      if (open.length === 0) invalid('the SVG is not well-formed: a CDATA section outside the root element');
      onText(text.slice(i + 9, end));
      i = end + 3;
    } else if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end < 0) invalid('the SVG is not well-formed: a processing instruction is never closed');
      const target = /^<\?([^\s?]*)/.exec(text.slice(i))?.[1] ?? '';
      if (target.toLowerCase() !== 'xml') {
        invalid(`the SVG has a processing instruction (<?${target}); processing instructions are not allowed`);
      }
      if (i !== 0) invalid('the SVG is not well-formed: the XML declaration is not at the very start');
      const encoding = /\bencoding\s*=\s*["']([^"']*)["']/.exec(text.slice(i, end))?.[1];
      if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) {
        invalid(`the SVG declares the encoding ${quoteShort(encoding)}; only UTF-8 is accepted`);
      }
      i = end + 2;
    } else if (text.startsWith('<!', i)) {
      invalid('the SVG has a <!...> declaration; declarations are not allowed');
    } else if (text.startsWith('</', i)) {
      const m = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(text.slice(i, i + 300));
      if (!m) invalid(`the SVG is not well-formed: a malformed end tag at character ${i}`);
      const expected = open.pop();
      if (expected !== m[1]) {
        invalid(`the SVG is not well-formed: </${m[1]}> does not match ${expected ? `<${expected}>` : 'any open element'}`);
      }
      if (open.length === 0) rootClosed = true;
      i += m[0].length;
    } else {
      const tag = readStartTag(text, i);
      if (rootClosed) invalid('the SVG is not well-formed: there is content after its root element');
      if (!root) {
        if (tag.name !== 'svg') invalid(`${NOT_AN_IMAGE} (its root element is <${tag.name}>, not <svg>)`);
        root = tag;
      }
      checkElement(tag);
      if (tag.selfClosing) {
        if (open.length === 0) rootClosed = true;
      } else {
        open.push(tag.name);
      }
      i = tag.end;
    }
  }
  if (!root) invalid(NOT_AN_IMAGE);
  if (open.length > 0) invalid(`the SVG is not well-formed: <${open[open.length - 1]}> is never closed`);
  return root.attrs;
}

const NUMBER = String.raw`[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?`;

/** A root width or height: unitless or px; other units cannot be turned into pixels here. */
function parseLength(value: string, which: 'width' | 'height'): number {
  const m = new RegExp(`^\\s*(${NUMBER})\\s*(px)?\\s*$`).exec(value);
  if (!m) {
    const unit = new RegExp(`^\\s*${NUMBER}\\s*([A-Za-z]+|%)\\s*$`).exec(value)?.[1];
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
  const w = attrs.get('width');
  const h = attrs.get('height');
  const vb = attrs.get('viewBox');
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
      invalid(`the SVG has no size: its root <svg> element has a ${given} but no ${given === 'width' ? 'height' : 'width'} and no viewBox`);
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

// Icons of apps and categories: small PNG, JPEG or SVG images. The kind and the size
// come from the bytes alone (never from a file name or a Content-Type header). An SVG
// is a document a browser may open on its own, so it is held to a conservative subset:
// no scripts, no event handlers, no DOCTYPE/entities, no references outside itself.
import { AppError } from '../errors.js';

export interface IconInfo {
  contentType: 'image/png' | 'image/jpeg' | 'image/svg+xml';
  width: number;
  height: number;
}

export const MAX_ICON_BYTES = 64 * 1024;
export const MAX_ICON_PIXELS = 96; // width and height each at most 96

const NOT_AN_IMAGE = 'the icon is not a PNG, JPEG or SVG image';

function invalid(message: string): never {
  throw new AppError('icon-invalid', message);
}

/** Checks an uploaded icon and tells its kind and size; throws AppError('icon-invalid') otherwise. */
export function inspectIcon(bytes: Buffer): IconInfo {
  if (bytes.length === 0) invalid('the icon is empty');
  if (bytes.length > MAX_ICON_BYTES) {
    invalid(`the icon is ${bytes.length} bytes; at most ${MAX_ICON_BYTES} bytes (${MAX_ICON_BYTES / 1024} KiB) is allowed`);
  }
  let info: IconInfo;
  if (isPng(bytes)) info = inspectPng(bytes);
  else if (bytes[0] === 0xff && bytes[1] === 0xd8) info = inspectJpeg(bytes);
  else if (looksLikeMarkup(bytes)) info = inspectSvg(bytes);
  else invalid(NOT_AN_IMAGE);
  if (info.width > MAX_ICON_PIXELS || info.height > MAX_ICON_PIXELS) {
    invalid(`the icon is ${info.width}×${info.height} pixels; at most ${MAX_ICON_PIXELS}×${MAX_ICON_PIXELS} is allowed`);
  }
  return info;
}

// --- PNG ----------------------------------------------------------------------------

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function isPng(bytes: Buffer): boolean {
  return bytes.length >= PNG_SIGNATURE.length && bytes.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE);
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO-HDLC, the one PNG and zlib use), over `data`. */
function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of data) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// Allowed bit depths per colour type (PNG specification, IHDR).
const PNG_BIT_DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

function inspectPng(bytes: Buffer): IconInfo {
  // Signature (8), then IHDR: length (4), type (4), data (13), CRC (4).
  if (bytes.length < 8 + 8) invalid('the PNG is truncated: it ends before its IHDR chunk');
  const length = bytes.readUInt32BE(8);
  const type = bytes.toString('latin1', 12, 16);
  if (type !== 'IHDR') invalid('the PNG is invalid: its first chunk is not IHDR');
  if (length !== 13) invalid(`the PNG is invalid: its IHDR chunk is ${length} bytes long instead of 13`);
  if (bytes.length < 8 + 12 + 13) invalid('the PNG is truncated: its IHDR chunk is incomplete');
  if (crc32(bytes.subarray(12, 29)) !== bytes.readUInt32BE(29)) {
    invalid('the PNG is corrupt: its IHDR chunk has a bad CRC');
  }
  const width = bytes.readUInt32BE(16);
  const height = bytes.readUInt32BE(20);
  if (width === 0 || height === 0) invalid(`the PNG is invalid: it declares a size of ${width}×${height} pixels`);
  const bitDepth = bytes[24]!;
  const colourType = bytes[25]!;
  if (!PNG_BIT_DEPTHS[colourType]?.includes(bitDepth) || bytes[26] !== 0 || bytes[27] !== 0 || bytes[28]! > 1) {
    invalid('the PNG is invalid: its IHDR chunk has an unknown colour type, bit depth, compression, filter or interlace method');
  }

  // The remaining chunks: each must fit and carry a good CRC; image data, then IEND.
  let pos = 33;
  let sawData = false;
  for (;;) {
    if (pos + 8 > bytes.length) invalid('the PNG is truncated: it ends before its IEND chunk');
    const len = bytes.readUInt32BE(pos);
    const name = bytes.toString('latin1', pos + 4, pos + 8);
    if (!/^[A-Za-z]{4}$/.test(name)) invalid(`the PNG is corrupt: a chunk at byte ${pos} has no valid type`);
    if (len > 0x7fffffff || pos + 12 + len > bytes.length) {
      invalid(`the PNG is truncated: its ${name} chunk runs past the end of the data`);
    }
    if (crc32(bytes.subarray(pos + 4, pos + 8 + len)) !== bytes.readUInt32BE(pos + 8 + len)) {
      invalid(`the PNG is corrupt: its ${name} chunk has a bad CRC`);
    }
    if (name === 'IHDR') invalid('the PNG is invalid: it has more than one IHDR chunk');
    if (name === 'IDAT') sawData = true;
    pos += 12 + len;
    if (name === 'IEND') break;
  }
  if (!sawData) invalid('the PNG is invalid: it has no image data (IDAT chunk)');
  return { contentType: 'image/png', width, height };
}

// --- JPEG ---------------------------------------------------------------------------

/** Start-of-frame markers (they carry the size); not C4 (DHT), C8 (JPG) or CC (DAC). */
function isSof(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function hex(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

function inspectJpeg(bytes: Buffer): IconInfo {
  let pos = 2; // after SOI
  for (;;) {
    if (pos >= bytes.length) invalid('the JPEG is invalid: the data ends before a frame header (SOF) giving its size');
    if (bytes[pos] !== 0xff) invalid(`the JPEG is corrupt: expected a marker at byte ${pos}`);
    while (pos < bytes.length && bytes[pos] === 0xff) pos++; // the marker's FF and any fill bytes
    if (pos >= bytes.length) invalid('the JPEG is invalid: the data ends before a frame header (SOF) giving its size');
    const marker = bytes[pos]!;
    const at = pos - 1;
    pos++;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // TEM, RSTn: no length
    if (marker === 0xda) invalid('the JPEG is invalid: its image data (SOS) starts before a frame header (SOF) giving its size');
    if (marker === 0xd9) invalid('the JPEG is invalid: it ends (EOI) before a frame header (SOF) giving its size');
    if (marker === 0x00 || marker === 0xd8) invalid(`the JPEG is corrupt: unexpected marker FF${hex(marker)} at byte ${at}`);
    if (pos + 2 > bytes.length) invalid(`the JPEG is truncated: the FF${hex(marker)} segment at byte ${at} runs past the end of the data`);
    const length = bytes.readUInt16BE(pos);
    if (length < 2) invalid(`the JPEG is corrupt: the FF${hex(marker)} segment at byte ${at} has length ${length}`);
    if (pos + length > bytes.length) {
      invalid(`the JPEG is truncated: the FF${hex(marker)} segment at byte ${at} runs past the end of the data`);
    }
    if (isSof(marker)) {
      // Length (2), precision (1), height (2), width (2), components (1), 3 bytes per component.
      const components = length >= 8 ? bytes[pos + 7]! : 0;
      if (length < 8 || components === 0 || length !== 8 + 3 * components) {
        invalid(`the JPEG is corrupt: its frame header (FF${hex(marker)}) is malformed`);
      }
      const height = bytes.readUInt16BE(pos + 3);
      const width = bytes.readUInt16BE(pos + 5);
      if (width === 0 || height === 0) invalid(`the JPEG is invalid: its frame header declares a size of ${width}×${height} pixels`);
      return { contentType: 'image/jpeg', width, height };
    }
    pos += length;
  }
}

// --- SVG ----------------------------------------------------------------------------

/** Whether the first significant byte (after a UTF-8 BOM and whitespace) is `<`. */
function looksLikeMarkup(bytes: Buffer): boolean {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  return bytes[i] === 0x3c;
}

function quoteShort(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
}

const PREDEFINED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

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
    const named = PREDEFINED_ENTITIES[ref];
    if (named === undefined) invalid(`the SVG uses the undefined entity &${ref};`);
    return named;
  });
}

/** A reference the icon may keep: a fragment of itself or an inline raster/vector image. */
function isLocalReference(target: string): boolean {
  const t = target.trim();
  return t === '' || t.startsWith('#') || /^data:image\//i.test(t);
}

/** Checks text that a browser may read as CSS or as a URL: no scripts, no outside resources. */
function checkValue(value: string, where: string): void {
  const squashed = value.replace(/[\u0000-\u0020\u007f]+/g, '').toLowerCase();
  if (squashed.includes('javascript:') || squashed.includes('vbscript:')) {
    invalid(`the SVG contains a javascript: URL (in ${where}); scripts are not allowed`);
  }
  if (value.includes('\\') && /url|import|image-set/i.test(value)) {
    invalid(`the SVG uses CSS escapes (in ${where}); they are not allowed`);
  }
  if (/@import/i.test(value)) invalid(`the SVG imports a style sheet (in ${where}); external references are not allowed`);
  if (/image-set\s*\(/i.test(value)) invalid(`the SVG uses image-set() (in ${where}); it is not allowed`);
  const urls = /url\s*\(\s*(["']?)([^)]*?)\1\s*\)/gi;
  for (const m of value.matchAll(urls)) {
    if (!isLocalReference(m[2] ?? '')) {
      invalid(`the SVG refers to an external resource (url(${quoteShort(m[2] ?? '')}) in ${where}); only #fragment and data:image/ references are allowed`);
    }
  }
  if (/url\s*\(/i.test(value.replace(urls, ''))) invalid(`the SVG has a malformed url() (in ${where})`);
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
    if (attrLocal === 'href' && !isLocalReference(value)) {
      invalid(`the SVG refers to an external resource (${attr}=${quoteShort(value)} on <${tag.name}>); only #fragment and data:image/ references are allowed`);
    }
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

function inspectSvg(bytes: Buffer): IconInfo {
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

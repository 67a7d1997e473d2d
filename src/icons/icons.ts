// Icons of apps and categories: small PNG, JPEG or SVG images. The kind and the size
// come from the bytes alone (never from a file name or a Content-Type header). An SVG
// is a document a browser may open on its own, so it is held to a conservative subset:
// no scripts, no event handlers, no DOCTYPE/entities, no references outside itself.
import { crc32 } from 'node:zlib'; // PNG chunk CRCs are zlib's CRC-32 (Node 20.15+)
import { invalid, MAX_ICON_BYTES, MAX_ICON_PIXELS, NOT_AN_IMAGE, type IconInfo } from './common.js';
import { inspectSvg, looksLikeMarkup } from './svg.js';

export { MAX_ICON_BYTES, MAX_ICON_PIXELS, type IconInfo } from './common.js';

/** Checks an uploaded icon and tells its kind and size; throws AppError('icon-invalid') otherwise. */
export function inspectIcon(bytes: Buffer): IconInfo {
  if (bytes.length === 0) invalid('the icon is empty');
  if (bytes.length > MAX_ICON_BYTES) {
    invalid(
      `the icon is ${bytes.length} bytes; at most ${MAX_ICON_BYTES} bytes (${MAX_ICON_BYTES / 1024} KiB) is allowed`,
    );
  }
  let info: IconInfo;
  if (isPng(bytes)) info = inspectPng(bytes);
  else if (bytes[0] === 0xff && bytes[1] === 0xd8) info = inspectJpeg(bytes);
  else if (looksLikeMarkup(bytes)) info = inspectSvg(bytes);
  else invalid(NOT_AN_IMAGE);
  if (info.width > MAX_ICON_PIXELS || info.height > MAX_ICON_PIXELS) {
    invalid(
      `the icon is ${info.width}×${info.height} pixels; at most ${MAX_ICON_PIXELS}×${MAX_ICON_PIXELS} is allowed`,
    );
  }
  return info;
}

// --- PNG ----------------------------------------------------------------------------

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function isPng(bytes: Buffer): boolean {
  return bytes.length >= PNG_SIGNATURE.length && bytes.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE);
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
    invalid(
      'the PNG is invalid: its IHDR chunk has an unknown colour type, bit depth, compression, filter or interlace method',
    );
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
    if (marker === 0xda) {
      invalid('the JPEG is invalid: its image data (SOS) starts before a frame header (SOF) giving its size');
    }
    if (marker === 0xd9) invalid('the JPEG is invalid: it ends (EOI) before a frame header (SOF) giving its size');
    if (marker === 0x00 || marker === 0xd8) {
      invalid(`the JPEG is corrupt: unexpected marker FF${hex(marker)} at byte ${at}`);
    }
    if (pos + 2 > bytes.length) {
      invalid(`the JPEG is truncated: the FF${hex(marker)} segment at byte ${at} runs past the end of the data`);
    }
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
      if (width === 0 || height === 0) {
        invalid(`the JPEG is invalid: its frame header declares a size of ${width}×${height} pixels`);
      }
      return { contentType: 'image/jpeg', width, height };
    }
    pos += length;
  }
}

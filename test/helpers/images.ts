// Builds small real images (PNG, JPEG) byte by byte for icon tests.
import { deflateSync } from 'node:zlib';

// --- image builders -------------------------------------------------------------------

/** Bitwise CRC-32, written independently of the module's table version. */
export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

export function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
  return Buffer.concat([head, data, crc]);
}

/** A complete greyscale 8-bit PNG: signature, IHDR, IDAT (deflated scanlines), IEND. */
export function png(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // colour type: greyscale
  // compression, filter, interlace: 0
  const raw = Buffer.alloc(height * (1 + width), 0x80);
  for (let y = 0; y < height; y++) raw[y * (1 + width)] = 0; // filter type "none" per scanline
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export function segment(marker: number, payload: number[]): number[] {
  const length = payload.length + 2;
  return [0xff, marker, length >> 8, length & 0xff, ...payload];
}

export const APP0 = segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);
export const DQT = segment(0xdb, [0x00, ...new Array<number>(64).fill(1)]);
// One Huffman code of length 1 for the symbol 0.
export const DHT = segment(0xc4, [0x00, 1, ...new Array<number>(15).fill(0), 0x00]);
export const SOS = segment(0xda, [0x01, 0x01, 0x00, 0x00, 0x3f, 0x00]);
export const SCAN = [0x12, 0x34, 0xff, 0x00, 0x56]; // entropy-coded bytes, with a stuffed FF 00
export const SOI = [0xff, 0xd8];
export const EOI = [0xff, 0xd9];

export function sof(marker: number, width: number, height: number): number[] {
  // precision 8, height, width, 1 component (id 1, sampling 1×1, table 0)
  return segment(marker, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]);
}

export function jpeg(width: number, height: number, marker = 0xc0): Buffer {
  return Buffer.from([...SOI, ...APP0, ...DQT, ...DHT, ...sof(marker, width, height), ...SOS, ...SCAN, ...EOI]);
}

/** An RGB PNG: a filled circle of `rgb` on white (an icon that looks like one in screenshots). */
export function badgePng(size: number, rgb: [number, number, number]): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  const row = 1 + size * 3;
  const raw = Buffer.alloc(size * row, 0xff);
  const r = size / 2;
  for (let y = 0; y < size; y++) {
    raw[y * row] = 0; // filter type "none"
    for (let x = 0; x < size; x++) {
      if ((x - r + 0.5) ** 2 + (y - r + 0.5) ** 2 <= (r * 0.9) ** 2) raw.set(rgb, y * row + 1 + x * 3);
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// CRC-32 of a concatenation from the CRC-32s and lengths of its parts, without reading
// the bytes again: a gzip stream stitched from pages kept compressed needs the CRC of
// the whole body, and reading 100 MB to get it would cost more than the request.
// The arithmetic is polynomial multiplication modulo the CRC-32 polynomial (reflected),
// the method zlib's crc32_combine documents.
const POLY = 0xedb88320;
const TOP = 0x80000000;

/** a * b modulo the CRC-32 polynomial, both in reflected bit order. */
function multModP(a: number, b: number): number {
  let m = TOP;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m = m >>> 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** X_POW_2K[k] = x^(2^k) modulo the polynomial. */
const X_POW_2K = new Uint32Array(32);
{
  let p = TOP >>> 1; // x^1
  for (let k = 0; k < 32; k++) {
    X_POW_2K[k] = p;
    p = multModP(p, p);
  }
}

/** x^(n * 2^k) modulo the polynomial. */
function xPowModP(n: number, k: number): number {
  let p = TOP; // x^0
  while (n > 0) {
    if (n % 2 === 1) p = multModP(X_POW_2K[k & 31]!, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

/** The CRC-32 of A followed by B, from crc(A), crc(B) and B's length in bytes. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multModP(xPowModP(lengthB, 3), crcA) ^ crcB) >>> 0;
}

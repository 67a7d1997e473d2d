import t, { type Test } from 'tap';
import { inspectIcon, MAX_ICON_BYTES, MAX_ICON_PIXELS } from '../../src/icons/icons.js';

import { expectIconRefused as rejects } from '../helpers/icon-checks.js';
import { APP0, DHT, DQT, EOI, SCAN, SOI, SOS, crc32, chunk, jpeg, png, segment, sof } from '../helpers/images.js';

const svg = (s: string) => Buffer.from(s, 'utf8');
const NS = 'xmlns="http://www.w3.org/2000/svg"';
const BODY = '<rect width="10" height="10" fill="#0a0"/>';

// --- helpers --------------------------------------------------------------------------

function accepts(
  t: Test,
  bytes: Buffer,
  expected: { contentType: string; width: number; height: number },
  name: string,
) {
  let info;
  try {
    info = inspectIcon(bytes);
  } catch (err) {
    t.fail(`${name}: rejected: ${(err as Error).message}`);
    return;
  }
  t.strictSame(info, expected, name);
}

// --- the builders themselves -----------------------------------------------------------

t.test('the test CRC-32 matches the standard check values', async (t) => {
  t.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  t.equal(chunk('IEND', Buffer.alloc(0)).toString('hex'), '0000000049454e44ae426082');
});

// --- accepted icons ---------------------------------------------------------------------

t.test('PNG icons give their size from IHDR', async (t) => {
  t.equal(MAX_ICON_PIXELS, 96);
  accepts(t, png(96, 96), { contentType: 'image/png', width: 96, height: 96 }, 'PNG 96×96');
  accepts(t, png(1, 1), { contentType: 'image/png', width: 1, height: 1 }, 'PNG 1×1');
  accepts(t, png(40, 7), { contentType: 'image/png', width: 40, height: 7 }, 'PNG 40×7');
  const withText = Buffer.concat([
    png(3, 2).subarray(0, 33),
    chunk('tEXt', Buffer.from('Comment\0hello')),
    png(3, 2).subarray(33),
  ]);
  accepts(t, withText, { contentType: 'image/png', width: 3, height: 2 }, 'PNG with an ancillary chunk');
});

t.test('JPEG icons give their size from the frame header', async (t) => {
  accepts(
    t,
    jpeg(64, 48),
    { contentType: 'image/jpeg', width: 64, height: 48 },
    'JPEG 64×48 (baseline, after DQT and DHT)',
  );
  accepts(t, jpeg(96, 96), { contentType: 'image/jpeg', width: 96, height: 96 }, 'JPEG 96×96');
  accepts(t, jpeg(20, 30, 0xc2), { contentType: 'image/jpeg', width: 20, height: 30 }, 'progressive JPEG (SOF2)');
  accepts(t, jpeg(5, 6, 0xc9), { contentType: 'image/jpeg', width: 5, height: 6 }, 'arithmetic JPEG (SOF9)');
  // Fill bytes before a marker and a standalone RST marker are skipped.
  const odd = Buffer.from([
    ...SOI,
    ...APP0,
    0xff,
    0xff,
    0xff,
    ...DQT,
    0xff,
    0xd3,
    ...sof(0xc1, 12, 34),
    ...SOS,
    ...EOI,
  ]);
  accepts(t, odd, { contentType: 'image/jpeg', width: 12, height: 34 }, 'JPEG with fill bytes and a standalone marker');
  // DAC (CC) and DHT (C4) are not frame headers even though they sit among the C-markers.
  const dac = Buffer.from([...SOI, ...segment(0xcc, [0x00, 0x10]), ...sof(0xc0, 8, 9), ...EOI]);
  accepts(t, dac, { contentType: 'image/jpeg', width: 8, height: 9 }, 'JPEG with a DAC segment before SOF');
});

t.test('SVG icons give their size from width/height or the viewBox', async (t) => {
  accepts(
    t,
    svg(`<svg ${NS} width="96" height="96">${BODY}</svg>`),
    { contentType: 'image/svg+xml', width: 96, height: 96 },
    'SVG width="96" height="96"',
  );
  accepts(
    t,
    svg(`<svg ${NS} viewBox="0 0 48 32">${BODY}</svg>`),
    { contentType: 'image/svg+xml', width: 48, height: 32 },
    'SVG with only a viewBox',
  );
  accepts(
    t,
    svg(`<svg ${NS} width="90px" height="64px">${BODY}</svg>`),
    { contentType: 'image/svg+xml', width: 90, height: 64 },
    'SVG width="90px"',
  );
  accepts(
    t,
    svg(`<svg ${NS} viewBox="0,0,24,24">${BODY}</svg>`),
    { contentType: 'image/svg+xml', width: 24, height: 24 },
    'SVG viewBox with commas',
  );
  accepts(
    t,
    svg(`<svg ${NS} width="95.5" height="10.2">${BODY}</svg>`),
    { contentType: 'image/svg+xml', width: 96, height: 11 },
    'fractional sizes round up',
  );
  accepts(
    t,
    svg(`<svg ${NS} width="48" viewBox="0 0 24 12">${BODY}</svg>`),
    { contentType: 'image/svg+xml', width: 48, height: 24 },
    'only a width: the height follows the viewBox',
  );
  const full =
    '\uFEFF<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<!-- made by hand -->\n' +
    `<svg ${NS} xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" width="32" height="32" viewBox="0 0 32 32">\n` +
    '  <defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient>' +
    '<style><![CDATA[ .a { fill: url(#g); } ]]></style></defs>\n' +
    '  <circle class="a" cx="16" cy="16" r="8" fill="url(\'#g\')"/>\n' +
    '  <use xlink:href="#g"/><a href="#top"><text>Tom &amp; Jerry &#169; &lt;3</text></a>\n' +
    '  <image href="data:image/png;base64,iVBORw0KGgo=" width="1" height="1"/>\n' +
    '</svg>\n<!-- trailing comment -->\n';
  accepts(
    t,
    svg(full),
    { contentType: 'image/svg+xml', width: 32, height: 32 },
    'SVG with declaration, comments, style, local references',
  );
});

// --- rejections -------------------------------------------------------------------------

t.test('size limits: bytes first, then pixels', async (t) => {
  rejects(t, Buffer.alloc(0), /empty/, 'empty buffer');
  rejects(
    t,
    Buffer.concat([png(1, 1), Buffer.alloc(70000 - png(1, 1).length)]),
    /the icon is 70000 bytes; at most 65536 bytes \(64 KiB\) is allowed/,
    'over 64 KiB',
  );
  rejects(
    t,
    Buffer.alloc(MAX_ICON_BYTES + 1, 0x41),
    /65537 bytes; at most 65536 bytes/,
    'one byte too many, checked before the kind',
  );
  rejects(t, png(97, 96), /the icon is 97×96 pixels; at most 96×96 is allowed/, 'PNG 97×96');
  rejects(t, png(1, 200), /1×200 pixels; at most 96×96/, 'PNG 1×200');
  rejects(t, jpeg(96, 97), /the icon is 96×97 pixels; at most 96×96 is allowed/, 'JPEG 96×97');
  rejects(
    t,
    svg(`<svg ${NS} width="100" height="10">${BODY}</svg>`),
    /the icon is 100×10 pixels; at most 96×96/,
    'SVG 100×10',
  );
  rejects(t, svg(`<svg ${NS} width="96.2" height="10">${BODY}</svg>`), /97×10 pixels/, 'SVG 96.2 wide rounds up to 97');
  rejects(t, svg(`<svg ${NS} viewBox="0 0 512 512">${BODY}</svg>`), /512×512 pixels/, 'SVG viewBox 512×512');
});

t.test('broken PNGs', async (t) => {
  const good = png(16, 16);
  const badCrc = Buffer.from(good);
  badCrc[29] = badCrc[29]! ^ 0xff;
  rejects(t, badCrc, /IHDR chunk has a bad CRC/, 'bad IHDR CRC');
  const badSize = Buffer.from(good);
  badSize[19] = 17; // width changed, CRC not
  rejects(t, badSize, /IHDR chunk has a bad CRC/, 'IHDR changed after its CRC');
  rejects(t, good.subarray(0, 20), /PNG is truncated/, 'truncated inside IHDR');
  rejects(t, good.subarray(0, 12), /PNG is truncated/, 'truncated before IHDR');
  rejects(t, good.subarray(0, good.length - 12), /PNG is truncated: it ends before its IEND/, 'truncated before IEND');
  rejects(
    t,
    good.subarray(0, good.length - 20),
    /PNG is truncated: its IDAT chunk runs past the end/,
    'truncated inside IDAT',
  );
  const badIdat = Buffer.from(good);
  badIdat[good.length - 14] = badIdat[good.length - 14]! ^ 1;
  rejects(t, badIdat, /IDAT chunk has a bad CRC/, 'bad IDAT CRC');
  const zero = Buffer.concat([
    good.subarray(0, 8),
    chunk('IHDR', Buffer.from([0, 0, 0, 0, 0, 0, 0, 16, 8, 0, 0, 0, 0])),
    good.subarray(33),
  ]);
  rejects(t, zero, /size of 0×16 pixels/, 'zero width');
  const notFirst = Buffer.concat([good.subarray(0, 8), chunk('tEXt', Buffer.from('a\0b')), good.subarray(8)]);
  rejects(t, notFirst, /first chunk is not IHDR/, 'IHDR not first');
  const longIhdr = Buffer.concat([good.subarray(0, 8), chunk('IHDR', Buffer.alloc(14, 1)), good.subarray(33)]);
  rejects(t, longIhdr, /IHDR chunk is 14 bytes long instead of 13/, 'IHDR of the wrong length');
  const noData = Buffer.concat([good.subarray(0, 33), chunk('IEND', Buffer.alloc(0))]);
  rejects(t, noData, /no image data/, 'no IDAT');
  const badDepth = Buffer.concat([
    good.subarray(0, 8),
    chunk('IHDR', Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 3, 2, 0, 0, 0])),
    good.subarray(33),
  ]);
  rejects(t, badDepth, /colour type, bit depth/, 'impossible bit depth');
});

t.test('broken JPEGs', async (t) => {
  rejects(
    t,
    Buffer.from([...SOI, ...APP0, ...DQT, ...DHT, ...SOS, ...SCAN, ...EOI]),
    /SOS\) starts before a frame header \(SOF\)/,
    'JPEG without SOF',
  );
  rejects(
    t,
    Buffer.from([...SOI, ...APP0, ...DQT, ...EOI]),
    /ends \(EOI\) before a frame header/,
    'JPEG ending before SOF',
  );
  rejects(t, Buffer.from([...SOI, ...APP0]), /data ends before a frame header/, 'JPEG data ending before SOF');
  rejects(t, Buffer.from(SOI), /data ends before a frame header/, 'only SOI');
  rejects(
    t,
    Buffer.from([...SOI, 0xff, 0xe0, 0x01, 0x00, 0x4a, 0x46, 0x49, 0x46, 0x00]),
    /FFE0 segment at byte 2 runs past the end/,
    'segment running past the end',
  );
  rejects(
    t,
    Buffer.from([...SOI, ...APP0, 0xff, 0xdb]),
    /FFDB segment at byte 20 runs past the end/,
    'segment length cut off',
  );
  rejects(t, Buffer.from([...SOI, ...APP0, 0x12, 0x34]), /expected a marker at byte 20/, 'garbage between segments');
  rejects(
    t,
    Buffer.from([...SOI, ...segment(0xc0, [8, 0, 10, 0, 10]), ...EOI]),
    /frame header \(FFC0\) is malformed/,
    'short SOF',
  );
  rejects(t, Buffer.from([...SOI, ...sof(0xc0, 0, 10), ...EOI]), /size of 0×10 pixels/, 'zero width');
  rejects(t, Buffer.from([...SOI, ...sof(0xc0, 10, 0), ...EOI]), /size of 10×0 pixels/, 'zero height (DNL)');
  rejects(
    t,
    Buffer.from([...SOI, ...segment(0xe0, []).slice(0, 2), 0x00, 0x01, ...EOI]),
    /has length 1/,
    'impossible segment length',
  );
});

t.test('unsafe SVGs', async (t) => {
  const wrap = (inner: string, attrs = '') => svg(`<svg ${NS} width="24" height="24"${attrs}>${inner}</svg>`);
  rejects(t, wrap('<script>alert(1)</script>'), /<script> element; scripts are not allowed/, 'script');
  rejects(t, wrap('<SCRIPT type="text/javascript">alert(1)</SCRIPT>'), /<script> element/, 'upper-case script');
  rejects(
    t,
    wrap('<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script>'),
    /<script> element/,
    'XHTML script under a prefix',
  );
  rejects(t, wrap(BODY, ' onload="alert(1)"'), /event-handler attribute \(onload=\)/, 'onload=');
  rejects(
    t,
    wrap('<rect width="1" height="1" onclick = "x()"/>'),
    /event-handler attribute \(onclick=\)/,
    'onclick with spaces',
  );
  rejects(t, wrap('<a href="javascript:alert(1)">x</a>'), /javascript: URL/, 'javascript: href');
  rejects(
    t,
    wrap('<a xlink:href="jav&#x09;ascript&#58;alert(1)" xmlns:xlink="http://www.w3.org/1999/xlink">x</a>'),
    /javascript: URL/,
    'javascript: hidden behind character references',
  );
  rejects(
    t,
    wrap('<image href="http://evil.example/track.png" width="1" height="1"/>'),
    /external resource \(href="http:\/\/evil\.example\/track\.png"/,
    'external http href',
  );
  rejects(
    t,
    wrap('<use xlink:href="sprites.svg#icon" xmlns:xlink="http://www.w3.org/1999/xlink"/>'),
    /external resource \(xlink:href="sprites\.svg#icon"/,
    'relative xlink:href',
  );
  rejects(
    t,
    wrap('<image href="data:text/html,&lt;b&gt;x" width="1" height="1"/>'),
    /external resource/,
    'non-image data: URL',
  );
  rejects(
    t,
    wrap('<rect width="1" height="1" fill="url(https://evil.example/p.svg#g)"/>'),
    /external resource \(url\("https:\/\/evil\.example/,
    'external url() in a presentation attribute',
  );
  rejects(
    t,
    wrap('<style>@import "https://evil.example/x.css";</style>'),
    /imports a style sheet/,
    '@import in a style element',
  );
  rejects(
    t,
    wrap('<style><![CDATA[ rect { fill: url("//evil.example/p.svg#g") } ]]></style>'),
    /external resource/,
    'external url() in CDATA CSS',
  );
  rejects(
    t,
    wrap('<rect width="1" height="1" style="background:url(http://evil.example/x)"/>'),
    /external resource/,
    'external url() in a style attribute',
  );
  rejects(
    t,
    wrap('<set attributeName="href" to="http://evil.example/"/>'),
    /animates an href attribute/,
    'animated href',
  );
  rejects(
    t,
    wrap('<foreignObject width="10" height="10"><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>'),
    /<foreignObject> element/,
    'foreignObject',
  );
  rejects(
    t,
    svg(
      `<?xml version="1.0"?>\n<!DOCTYPE svg [ <!ENTITY lol "lol"> ]>\n<svg ${NS} width="10" height="10"><text>&lol;</text></svg>`,
    ),
    /DOCTYPE and ENTITY declarations are not allowed/,
    'DOCTYPE with ENTITY',
  );
  rejects(
    t,
    svg(`<svg ${NS} width="10" height="10"><!ENTITY x "y"></svg>`),
    /<!ENTITY>; DOCTYPE and ENTITY/,
    'stray ENTITY',
  );
  rejects(t, wrap('<text>&nbsp;</text>'), /undefined entity &nbsp;/, 'an entity without a DTD');
  rejects(
    t,
    svg(`<?xml-stylesheet href="http://evil.example/x.css"?><svg ${NS} width="10" height="10"/>`),
    /processing instruction/,
    'xml-stylesheet',
  );
  rejects(
    t,
    svg(`<?xml version="1.0" encoding="UTF-16"?><svg ${NS} width="10" height="10"/>`),
    /encoding "UTF-16"; only UTF-8/,
    'declared encoding other than UTF-8',
  );
});

t.test('CSS escapes, comments and data: links do not get past the SVG checks', async (t) => {
  const wrap = (inner: string) =>
    svg(`<svg ${NS} xmlns:xlink="http://www.w3.org/1999/xlink" width="24" height="24">${inner}</svg>`);
  const styled = (css: string) => wrap(`<rect width="1" height="1" style="${css}"/>`);
  const EXTERNAL = /external resource \(url\("https:\/\/evil\.example/;
  // @import spelled with escapes, in a <style> element and in CDATA
  rejects(t, wrap('<style>@\\69mport "https://evil.example/x.css";</style>'), /imports a style sheet/, '@\\69mport');
  rejects(
    t,
    wrap('<style>@\\000069mport "https://evil.example/x.css";</style>'),
    /imports a style sheet/,
    '@\\000069mport (six hex digits)',
  );
  rejects(
    t,
    wrap('<style>@\\69 mport "https://evil.example/x.css";</style>'),
    /imports a style sheet/,
    'escape ended by a space',
  );
  rejects(
    t,
    wrap('<style>@im\\port "https://evil.example/x.css";</style>'),
    /imports a style sheet/,
    '@im\\port (an escaped letter)',
  );
  rejects(
    t,
    wrap('<style><![CDATA[ @\\69mport "https://evil.example/x.css"; ]]></style>'),
    /imports a style sheet/,
    '@\\69mport in CDATA',
  );
  rejects(
    t,
    wrap('<style>@IMPORT url(https://evil.example/x.css);</style>'),
    /imports a style sheet/,
    'upper-case @IMPORT',
  );
  // url() spelled with escapes, comments, entities or in upper case
  rejects(t, styled('fill:u\\72l(https://evil.example/p)'), EXTERNAL, 'u\\72l( in a style attribute');
  rejects(t, styled('fill:\\75 rl(https://evil.example/p)'), EXTERNAL, '\\75 rl( in a style attribute');
  rejects(
    t,
    wrap('<style><![CDATA[ rect { fill: u\\72l(https://evil.example/p) } ]]></style>'),
    EXTERNAL,
    'u\\72l( in CDATA',
  );
  rejects(
    t,
    wrap('<style>rect { fill: u/**/rl(https://evil.example/p) }</style>'),
    EXTERNAL,
    'u/**/rl( in a style element',
  );
  rejects(t, styled('fill:u/* x */rl(https://evil.example/p)'), EXTERNAL, 'u/* x */rl( in a style attribute');
  rejects(
    t,
    wrap('<rect width="1" height="1" fill="&#117;rl(https://evil.example/p)"/>'),
    EXTERNAL,
    '&#117;rl( in a presentation attribute',
  );
  rejects(t, wrap('<rect width="1" height="1" fill="URL(https://evil.example/p)"/>'), EXTERNAL, 'upper-case URL(');
  rejects(
    t,
    wrap('<style>rect { fill: url(&quot;https://evil.example/p&quot;) }</style>'),
    EXTERNAL,
    'url() with entity-encoded quotes',
  );
  rejects(t, styled('fill:url(j\\61vascript:alert(1))'), /javascript: URL/, 'javascript: spelled with an escape');
  // loading and scripting constructs, plain and escaped
  rejects(t, styled('width:expression(alert(1))'), /uses "expression\(".*can run code/, 'expression()');
  rejects(t, styled('width:e\\78pression(alert(1))'), /uses "expression\("/, 'e\\78pression()');
  rejects(t, styled('-moz-binding:url(https://evil.example/x.xml#b)'), /uses "-moz-binding"/, '-moz-binding');
  rejects(t, wrap('<style>rect { behavior: url(x.htc) }</style>'), /uses "behavior:"/, 'behavior');
  rejects(t, wrap('<style>rect { -ms-behavior : url(x.htc) }</style>'), /uses "-ms-behavior:"/, '-ms-behavior');
  rejects(
    t,
    styled('fill:-webkit-image-set(&quot;https://evil.example/x.png&quot; 1x)'),
    /uses image-set\(\)/,
    '-webkit-image-set() with a string',
  );
  rejects(t, styled('fill:image(&quot;https://evil.example/x.png&quot;)'), /uses image\(\)/, 'image() with a string');
  rejects(
    t,
    wrap('<style>@font-face { font-family: x; src: src(&quot;https://evil.example/f.woff&quot;) }</style>'),
    /uses src\(\)/,
    'src()',
  );
  // data: documents as link targets
  rejects(
    t,
    wrap('<a href="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"><text>x</text></a>'),
    /links to a data: URL \(href="data:image\/svg\+xml;base64/,
    'base64 data: SVG in <a href>',
  );
  rejects(
    t,
    wrap('<a href="data:image/svg+xml,%3Csvg%20onload%3Dalert(1)%3E"><text>x</text></a>'),
    /links to a data: URL/,
    'URL-encoded data: SVG in <a href>',
  );
  rejects(
    t,
    wrap('<a xlink:href="data:text/html;base64,PHNjcmlwdD4="><text>x</text></a>'),
    /links to a data: URL \(xlink:href=/,
    'data: in <a xlink:href>',
  );
  rejects(t, wrap('<use href="data:image/svg+xml;base64,PHN2Zz4="/>'), /links to a data: URL/, 'data: in <use href>');
  rejects(
    t,
    wrap('<a href=" DATA:image/png;base64,iVBORw0KGgo="><text>x</text></a>'),
    /links to a data: URL/,
    'upper-case DATA: with a leading space',
  );

  // What real icons use stays accepted.
  const ok = { contentType: 'image/svg+xml', width: 24, height: 24 } as const;
  accepts(
    t,
    wrap(
      '<style>text { font-family: "Open\\20 Sans", sans-serif } .a { fill: url(#g) }</style><text aria-label="good behavior">x</text>',
    ),
    ok,
    'harmless escapes and words',
  );
  accepts(
    t,
    wrap('<image href="data:image/png;base64,iVBORw0KGgo=" width="1" height="1"/><a href="#x"><text>x</text></a>'),
    ok,
    'data:image/ drawn by <image>, # links',
  );
  accepts(
    t,
    styled('fill:url(#g) /* a comment */; stroke:url(data:image/png;base64,iVBORw0KGgo=)'),
    ok,
    'comments and local url()s',
  );
});

t.test('SVGs without a usable size', async (t) => {
  rejects(
    t,
    svg(`<svg ${NS} width="5em" height="5em">${BODY}</svg>`),
    /width "5em" is in em; only unitless or px sizes are allowed/,
    'width="5em"',
  );
  rejects(
    t,
    svg(`<svg ${NS} width="100%" height="100%" viewBox="0 0 10 10">${BODY}</svg>`),
    /width "100%" is in %/,
    'width="100%"',
  );
  rejects(t, svg(`<svg ${NS} width="2cm" height="2cm">${BODY}</svg>`), /is in cm/, 'width="2cm"');
  rejects(t, svg(`<svg ${NS}>${BODY}</svg>`), /has no size/, 'no size at all');
  rejects(
    t,
    svg(`<svg ${NS} width="24">${BODY}</svg>`),
    /has no size: .*has a width but no height and no viewBox/,
    'only a width',
  );
  rejects(t, svg(`<svg ${NS} width="0" height="10">${BODY}</svg>`), /width "0" is not a positive size/, 'zero width');
  rejects(
    t,
    svg(`<svg ${NS} width="-4" height="10">${BODY}</svg>`),
    /width "-4" is not a positive size/,
    'negative width',
  );
  rejects(
    t,
    svg(`<svg ${NS} width="big" height="10">${BODY}</svg>`),
    /width "big" is not a number/,
    'width that is not a number',
  );
  rejects(
    t,
    svg(`<svg ${NS} viewBox="0 0 0 10">${BODY}</svg>`),
    /viewBox "0 0 0 10" does not give a positive width and height/,
    'zero viewBox',
  );
  rejects(t, svg(`<svg ${NS} viewBox="0 0 10">${BODY}</svg>`), /viewBox "0 0 10" is not four numbers/, 'short viewBox');
});

t.test('malformed SVGs', async (t) => {
  rejects(t, svg(`<svg ${NS} width="10" height="10"><g></svg>`), /not well-formed/, 'mismatched tags');
  rejects(t, svg(`<svg ${NS} width="10" height="10"><g>`), /<g> is never closed/, 'unclosed element');
  rejects(t, svg(`<svg ${NS} width="10" height="10"/><svg ${NS}/>`), /content after its root element/, 'two roots');
  rejects(t, svg(`<svg ${NS} width=10 height="10"/>`), /not quoted/, 'unquoted attribute');
  rejects(
    t,
    svg('<html><body><svg width="10" height="10"/></body></html>'),
    /not a PNG, JPEG or SVG image \(its root element is <html>, not <svg>\)/,
    'HTML',
  );
  rejects(
    t,
    Buffer.concat([svg(`<svg ${NS} width="10" height="10"><text>`), Buffer.from([0xc3, 0x28]), svg('</text></svg>')]),
    /not valid UTF-8/,
    'invalid UTF-8',
  );
  rejects(
    t,
    svg(`<svg ${NS} width="10" height="10"><text>a\u0000b</text></svg>`),
    /control characters/,
    'NUL in the text',
  );
});

t.test('anything else is not an icon', async (t) => {
  const gif = Buffer.concat([
    Buffer.from('GIF89a'),
    Buffer.from([
      1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 1, 0, 0x3b,
    ]),
  ]);
  rejects(t, gif, /^the icon is not a PNG, JPEG or SVG image$/, 'GIF89a');
  // Deterministic "random" bytes (not starting with a PNG/JPEG signature or "<").
  let seed = 12345;
  const noise = Buffer.from(
    Array.from({ length: 500 }, () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 16) & 0xff),
  );
  noise[0] = 0x42;
  rejects(t, noise, /^the icon is not a PNG, JPEG or SVG image$/, 'random bytes');
  rejects(t, Buffer.from('hello, world'), /not a PNG, JPEG or SVG image/, 'plain text');
  rejects(t, Buffer.from('<!-- only a comment -->'), /not a PNG, JPEG or SVG image/, 'markup without an element');
  rejects(t, Buffer.from([0x89, 0x50, 0x4e, 0x47]), /not a PNG, JPEG or SVG image/, 'a PNG signature cut short');
  rejects(t, Buffer.from('BM6\0\0\0'), /not a PNG, JPEG or SVG image/, 'BMP header');
});

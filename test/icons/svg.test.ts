// The SVG icon checks read the markup as an XML parser (and a browser) does: the CSS
// of a <style> element is all its text joined, and only XML's own entities exist.
import t, { type Test } from 'tap';
import { inspectIcon } from '../../src/icons/icons.js';
import { expectIconRefused as rejects } from '../helpers/icon-checks.js';

const NS = 'xmlns="http://www.w3.org/2000/svg"';
const wrap = (inner: string, decl = '') =>
  Buffer.from(`${decl}<svg ${NS} width="24" height="24">${inner}</svg>`, 'utf8');

function accepts(t: Test, bytes: Buffer, name: string) {
  t.strictSame(inspectIcon(bytes), { contentType: 'image/svg+xml', width: 24, height: 24 }, name);
}

t.test('the CSS of a <style> element is its text joined across CDATA, comments and child elements', async (t) => {
  const EXTERNAL = /external resource \(url\("https:\/\/evil\.example\/p"\) in a <style> element\)/;
  rejects(
    t,
    wrap('<style>rect { fill: u<![CDATA[rl(https://evil.example/p)]]> }</style>'),
    EXTERNAL,
    'url( split by CDATA',
  );
  rejects(
    t,
    wrap('<style>rect { fill: u<!-- -->rl(https://evil.example/p) }</style>'),
    EXTERNAL,
    'url( split by an XML comment',
  );
  rejects(
    t,
    wrap('<style>rect { fill: u<g/>rl(https://evil.example/p) }</style>'),
    EXTERNAL,
    'url( split by a child element',
  );
  rejects(
    t,
    wrap('<style>@im<![CDATA[port "https://evil.example/x.css";]]></style>'),
    /imports a style sheet/,
    '@import split by CDATA',
  );
  accepts(
    t,
    wrap('<style>rect { fill: u<!-- -->rl(#g) }</style><text>url(https://example.com) is only text here</text>'),
    'local url() split by a comment; text outside <style>',
  );
});

t.test('entities: only the XML ones and character references', async (t) => {
  rejects(
    t,
    wrap('<text>&constructor;</text>'),
    /undefined entity &constructor;/,
    '&constructor; (not an Object property)',
  );
  rejects(t, wrap('<text fill="&copy;">x</text>'), /undefined entity &copy;/, 'an HTML entity in an attribute');
  rejects(
    t,
    wrap('<text>Tom & Jerry</text>'),
    /a "&" does not start an entity or character reference/,
    'a bare & in text',
  );
  rejects(
    t,
    wrap('<text>Tom & Jerry; and friends</text>'),
    /a "&" does not start an entity or character reference/,
    'a bare & before a ;',
  );
  rejects(t, wrap('<text>&#0;</text>'), /the character reference &#0; is not allowed/, 'a reference to NUL');
  rejects(
    t,
    wrap('<text>&#x1;</text>', '<?xml version="1.1"?>'),
    /the character reference &#x1; is not allowed/,
    'XML 1.1 does not widen the characters allowed',
  );
  accepts(
    t,
    wrap('<!-- &nbsp; is literal in a comment --><text>&lt;&#x41;&#66;&apos;&quot;&gt;&amp;</text>'),
    'predefined entities and character references',
  );
  accepts(t, wrap('<style><![CDATA[ text { font-family: "A&B" } ]]></style>'), 'a literal & in CDATA');
});

t.test('well-formedness errors say where', async (t) => {
  rejects(
    t,
    wrap('<rect width="1" height="1" fill="a" fill="b"/>'),
    /not well-formed: duplicate attribute: fill \(line 1, column \d+\)/,
    'an attribute twice',
  );
  rejects(t, wrap('<g><rect/></svg>'), /not well-formed/, 'mismatched end tag');
  rejects(
    t,
    wrap('<rect/>', ' <?xml version="1.0"?>'),
    /not well-formed: an XML declaration must be at the start/,
    'declaration after a space',
  );
  rejects(
    t,
    wrap('<rect/>', '<!-- before --> text '),
    /^the icon is not a PNG, JPEG or SVG image$/,
    'text before the root',
  );
  rejects(
    t,
    Buffer.from(`<svg ${NS} width="24" height="24"/> text`),
    /content after its root element/,
    'text after the root',
  );
  rejects(t, wrap('<?php echo 1 ?>'), /processing instruction \(<\?php\)/, 'a processing instruction inside the root');
});

t.test('HTML cannot ride inside an SVG icon', async (t) => {
  const XHTML = /binds the XHTML namespace/;
  rejects(
    t,
    wrap('<h:meta xmlns:h="http://www.w3.org/1999/xhtml" http-equiv="refresh" content="0;url=https://evil.example/"/>'),
    XHTML,
    'meta refresh',
  );
  rejects(
    t,
    wrap('<g xmlns:h="http://www.w3.org/1999/xhtml"><h:iframe src="https://evil.example/"/></g>'),
    XHTML,
    'iframe, namespace on a parent',
  );
  rejects(
    t,
    wrap('<g><p xmlns=" http://www.w3.org/1999/XHTML ">x</p></g>'),
    XHTML,
    'default namespace, odd spacing and case',
  );
  accepts(
    t,
    wrap('<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>ok</dc:title></metadata>'),
    'other namespaces (editor metadata) stay allowed',
  );
});

t.test('checks stay linear on hostile 60 KB attributes and text (each took seconds before)', async (t) => {
  const spaces = ' '.repeat(60_000);
  rejects(
    t,
    Buffer.from(`<svg ${NS} width="1${spaces}x" height="1"/>`),
    /width "1 .*" is in x; only unitless or px sizes are allowed/,
    'a width of spaces between a number and junk',
  );
  rejects(
    t,
    Buffer.from(`<svg ${NS} width="1" height="1" fill="${'url('.repeat(15_000)}"/>`),
    /malformed url\(\)/,
    'fifteen thousand url( never closed',
  );
  rejects(
    t,
    Buffer.from(`<svg ${NS} width="1" height="1"><!--${'&'.repeat(60_000)};x`),
    /never closed|does not start an entity/,
    'sixty thousand & in a document never closed',
  );
  accepts(t, Buffer.from(`<svg ${NS} width=" 24px " height="24">${' '.repeat(100)}</svg>`), 'spaces around px');
  accepts(t, wrap(`<rect fill="url( '#a' )"/><rect fill='url("#b")'/>`), 'quoted local url() with spaces');
  rejects(t, wrap('<rect fill="url(#a"/>'), /malformed url\(\)/, 'url( never closed');
  rejects(t, wrap(`<rect fill="url('https://evil.example/x')"/>`), /external resource/, 'a quoted outside url()');
});

// Which addresses are not the public internet (loopback, private, link-local, cloud
// metadata, ...), as IANA's special-purpose registries list them: imports refuse them
// unless CHARTROOM_IMPORT_ALLOW_PRIVATE is set. IPv4 carried inside IPv6 (mapped,
// NAT64, 6to4) is judged as the IPv4 address it reaches.
import net from 'node:net';

/**
 * Ranges that are not the public internet, by the words a message uses for them (IANA's
 * special-purpose registries). The first match names the kind, so the metadata
 * addresses come before the link-local and unique-local ranges holding them.
 */
const NON_PUBLIC: Array<[kind: string, cidrs: string[]]> = [
  ['a cloud metadata', ['169.254.169.254/32', 'fd00:ec2::254/128']],
  ['an unspecified', ['0.0.0.0/32', '::/128']],
  ['a loopback', ['127.0.0.0/8', '::1/128']],
  ['a private', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '64:ff9b:1::/48', 'fec0::/10']],
  ['a link-local', ['169.254.0.0/16', 'fe80::/10']],
  ['a shared (CGNAT)', ['100.64.0.0/10']],
  ['a unique-local', ['fc00::/7']],
  ['a multicast', ['224.0.0.0/4', 'ff00::/8']],
  [
    'a reserved',
    [
      '0.0.0.0/8',
      '192.0.0.0/24',
      '192.0.2.0/24',
      '192.88.99.0/24',
      '198.18.0.0/15',
      '198.51.100.0/24',
      '203.0.113.0/24',
      '240.0.0.0/4',
      '100::/64',
      '2001::/23',
      '2001:db8::/32',
    ],
  ],
];

const BLOCKS: Array<[kind: string, list: net.BlockList]> = NON_PUBLIC.map(([kind, cidrs]) => {
  const list = new net.BlockList();
  for (const cidr of cidrs) {
    const [base, bits] = cidr.split('/') as [string, string];
    list.addSubnet(base, Number(bits), net.isIPv6(base) ? 'ipv6' : 'ipv4');
  }
  return [kind, list];
});

/** Only 2000::/3 is global unicast; anything else in IPv6 is not an upstream. */
const GLOBAL_UNICAST_V6 = new net.BlockList();
GLOBAL_UNICAST_V6.addSubnet('2000::', 3, 'ipv6');

/** True when the address (an IPv4 or IPv6 literal) is one that allowPrivate: false refuses; anything not an address is too. */
export function isNonPublicAddress(address: string): boolean {
  return nonPublicKind(address) !== null;
}

/** "a loopback", "a private"…, or null for a public address. */
export function nonPublicKind(literal: string): string | null {
  const address = literal.replace(/%.*$/, ''); // a zone index (fe80::1%eth0) names an interface, not an address
  const family = net.isIP(address);
  if (family === 0) return 'not an IP';
  if (family === 6) {
    // IPv4 carried inside IPv6 (mapped, NAT64, 6to4) reaches that IPv4 address: judge it as such.
    const inner = embeddedIPv4(address);
    if (inner !== null) return nonPublicKind(inner);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [kind, list] of BLOCKS) if (list.check(address, type)) return kind;
  if (family === 6 && !GLOBAL_UNICAST_V6.check(address, 'ipv6')) return 'a reserved';
  return null;
}

/** The IPv4 address inside ::ffff:0:0/96, 64:ff9b::/96 or 2002::/16, else null. */
function embeddedIPv4(address: string): string | null {
  const b = ipv6Bytes(address);
  if (!b) return null;
  const zero = (from: number, to: number) => b.subarray(from, to).every((x) => x === 0);
  const v4 = (at: number) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return v4(12);
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(4, 12)) return v4(12);
  if (b[0] === 0x20 && b[1] === 0x02) return v4(2);
  return null;
}

/** The 16 bytes of an IPv6 literal (net.isIPv6 has accepted it), or null. */
function ipv6Bytes(address: string): Uint8Array | null {
  // A trailing dotted quad (::ffff:127.0.0.1) is the last two groups written in decimal.
  const text = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) =>
    [((+a << 8) | +b).toString(16), ((+c << 8) | +d).toString(16)].join(':'),
  );
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return null;
  const groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

// IP addresses: documentation-range IPv4 and IPv6 addresses in full, compressed and IPv4-suffixed
// forms are found with their version; versions, dotted numbers, times, MAC addresses and C++ scopes
// are not.
import { describe, expect, it } from 'vitest';
import { detectIpAddresses, isIpv6 } from './ip.js';

const found: Array<[text: string, address: string, version: string]> = [
  ['host 192.0.2.1 is down', '192.0.2.1', 'ipv4'],
  ['198.51.100.23.', '198.51.100.23', 'ipv4'],
  ['203.0.113.255', '203.0.113.255', 'ipv4'],
  ['route 10.0.0.1/24', '10.0.0.1', 'ipv4'],
  ['255.255.255.255', '255.255.255.255', 'ipv4'],
  ['0.0.0.0:8080', '0.0.0.0', 'ipv4'],
  ['server:192.0.2.10', '192.0.2.10', 'ipv4'],
  ['2001:db8::1', '2001:db8::1', 'ipv6'],
  ['full 2001:0db8:0000:0000:0000:ff00:0042:8329', '2001:0db8:0000:0000:0000:ff00:0042:8329', 'ipv6'],
  ['2001:db8:85a3::8a2e:370:7334.', '2001:db8:85a3::8a2e:370:7334', 'ipv6'],
  ['loopback ::1', '::1', 'ipv6'],
  ['fe80::', 'fe80::', 'ipv6'],
  ['[2001:DB8::A]:443', '2001:DB8::A', 'ipv6'],
  ['mapped ::ffff:192.0.2.1', '::ffff:192.0.2.1', 'ipv6'],
  ['64:ff9b::198.51.100.7', '64:ff9b::198.51.100.7', 'ipv6'],
  ['full-width １９２.０.２.１０', '１９２.０.２.１０', 'ipv4'],
  ['zero-width 192.0\u200B.2.10', '192.0\u200B.2.10', 'ipv4'],
];

const ignored: Array<[what: string, text: string]> = [
  ['five-part version', '1.2.3.4.5'],
  ['prefixed version', 'v1.2.3.4'],
  ['named version', 'version 1.2.3.4 and build 10.0.19041.1'],
  ['labelled version', 'Version: 4.3.2.1'],
  ['section number', 'see section 12.3.4.5 and § 2.1.1.4'],
  ['octet over 255', '256.1.1.1'],
  ['three parts', '192.168.1'],
  ['leading zeros', '01.02.03.04'],
  ['dotted date', '12.05.2024'],
  ['decimal', '3.14159'],
  ['time', '12:30:45'],
  ['MAC address', '00:1A:2B:3C:4D:5E'],
  ['C++ scope', 'std::vector and Foo::bar'],
  ['bare double colon', 'a :: b'],
  ['two double colons', '2001:db8::1::2'],
  ['nine groups', '1:2:3:4:5:6:7:8:9'],
  ['group too long', '2001:db8::12345'],
  ['ratio', '16:9 and 4:3'],
  ['full-width version', 'version １.２.３.４'],
];

describe('detectIpAddresses', () => {
  it.each(found)('finds the address in %j', (text, address, version) => {
    const start = text.indexOf(address);
    expect(detectIpAddresses(text)).toEqual([
      { kind: 'ip', start, end: start + address.length, text: address, detail: version },
    ]);
  });

  it.each(ignored)('ignores %s: %j', (_what, text) => {
    expect(detectIpAddresses(text)).toEqual([]);
  });

  it('orders IPv4 and IPv6 addresses by position', () => {
    const text = 'from 2001:db8::2 to 192.0.2.7 via fe80::1';
    expect(detectIpAddresses(text).map((span) => span.text)).toEqual(['2001:db8::2', '192.0.2.7', 'fe80::1']);
  });

  it('validates IPv6 forms', () => {
    expect(isIpv6('1:2:3:4:5:6:7:8')).toBe(true);
    expect(isIpv6('1:2:3:4:5:6:7::')).toBe(true);
    expect(isIpv6('1:2:3:4:5:6:7:8::')).toBe(false);
    expect(isIpv6('1:2:3:4:5:6:192.0.2.1')).toBe(true);
    expect(isIpv6('1:2:3:4:5:6:7:192.0.2.1')).toBe(false);
    expect(isIpv6('::')).toBe(false);
  });
});

/**
 * IP addresses and CIDR prefixes as bytes: the parsing that address rules need, with no Workers globals
 * so that `gatehouse validate` and the Worker read a list the same way.
 *
 * Strict on purpose. A rule list is security policy: `010.0.0.1` (octal to some parsers, decimal to
 * others), `10.1/16` (an inet_aton short form), a zone id or host bits set beyond the prefix length are
 * refused with the reason, never guessed at.
 */

export type IpFamily = 4 | 6;

export interface ParsedPrefix {
  readonly family: IpFamily;
  /** 4 bytes for IPv4, 16 for IPv6; host bits are zero. */
  readonly bytes: Uint8Array;
  /** Leading bits that count: 0–32 or 0–128. */
  readonly length: number;
}

export type PrefixParse = { ok: true; prefix: ParsedPrefix } | { ok: false; reason: string };

/**
 * Parses `a.b.c.d`, `a.b.c.d/n`, an IPv6 address or `ipv6/n`. An address without a length is a host
 * prefix (/32, /128). IPv4-mapped IPv6 prefixes (`::ffff:a.b.c.d/n`, n ≥ 96) are read as the IPv4
 * prefix they name, as request addresses are (see `parseAddressInto`).
 */
export function parsePrefix(text: string): PrefixParse {
  const slash = text.indexOf("/");
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const scratch = new Uint8Array(16);
  const family = parseAddressInto(addressText, scratch);
  if (family === undefined) {
    return { ok: false, reason: `"${addressText}" is not an IPv4 or IPv6 address` };
  }
  const written = addressText.indexOf(":") === -1 ? 32 : 128;
  let length = written;
  if (slash !== -1) {
    const lengthText = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(lengthText) || Number(lengthText) > written) {
      return {
        ok: false,
        reason: `prefix length "${lengthText}" must be a whole number from 0 to ${written}`,
      };
    }
    length = Number(lengthText);
  }
  // A mapped address came back as IPv4: its /96../128 length counts from the IPv4 part.
  if (family === 4 && written === 128) {
    if (length < 96) {
      return { ok: false, reason: "an IPv4-mapped prefix needs a length of at least 96" };
    }
    length -= 96;
  }
  const bytes = scratch.slice(0, family === 4 ? 4 : 16);
  const stray = firstHostBit(bytes, length);
  if (stray) {
    const network = formatPrefix({ family, bytes: clearHostBits(bytes, length), length });
    return { ok: false, reason: `host bits are set beyond /${length}: did you mean ${network}?` };
  }
  return { ok: true, prefix: { family, bytes, length } };
}

/**
 * Writes the address into `out` (at least 16 bytes) and returns its family, or undefined when `text`
 * is not an address. IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is returned as IPv4: Cloudflare and most
 * stacks hand the same client either way, and one rule must cover both spellings.
 * Allocates nothing: this runs once per request on the client's address.
 */
export function parseAddressInto(text: string, out: Uint8Array): IpFamily | undefined {
  if (text.length === 0 || text.length > 45) return undefined;
  if (text.indexOf(":") === -1) return parseIpv4Into(text, out, 0) ? 4 : undefined;
  if (!parseIpv6Into(text, out)) return undefined;
  if (isMappedBytes(out)) {
    out.copyWithin(0, 12, 16);
    return 4;
  }
  return 6;
}

/** Dotted decimal, four parts, no leading zeros, each 0–255, written at `out[at..at+3]`. */
function parseIpv4Into(text: string, out: Uint8Array, at: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const code = i < text.length ? text.charCodeAt(i) : 46; // a final "." closes the last part
    if (code === 46) {
      if (digits === 0 || part > 3) return false;
      out[at + part] = value;
      part++;
      value = 0;
      digits = 0;
    } else if (code >= 48 && code <= 57) {
      if (digits > 0 && value === 0) return false; // leading zero: octal to some parsers
      value = value * 10 + (code - 48);
      digits++;
      if (value > 255) return false;
    } else {
      return false;
    }
  }
  return part === 4;
}

/** RFC 4291 §2.2 text forms: eight groups, one `::`, an IPv4 tail; no zone id. */
function parseIpv6Into(text: string, out: Uint8Array): boolean {
  out.fill(0, 0, 16);
  let group = 0; // 16-bit groups written
  let gapAt = -1; // the group index where `::` stands
  let i = 0;
  if (text.startsWith("::")) {
    gapAt = 0;
    i = 2;
    if (text.length === 2) return true;
  } else if (text.charCodeAt(0) === 58) {
    return false;
  }
  while (i < text.length) {
    if (group === 8) return false;
    let value = 0;
    let digits = 0;
    const start = i;
    while (i < text.length) {
      const hex = hexValue(text.charCodeAt(i));
      if (hex < 0) break;
      value = value * 16 + hex;
      digits++;
      i++;
    }
    if (i < text.length && text.charCodeAt(i) === 46) {
      // An IPv4 tail takes the last two groups.
      if (group > 6 || !parseIpv4Into(text.slice(start), out, group * 2)) return false;
      group += 2;
      i = text.length;
      break;
    }
    if (digits === 0 || digits > 4) return false;
    out[group * 2] = value >> 8;
    out[group * 2 + 1] = value & 0xff;
    group++;
    if (i === text.length) break;
    if (text.charCodeAt(i) !== 58) return false;
    i++;
    if (i < text.length && text.charCodeAt(i) === 58) {
      if (gapAt !== -1) return false;
      gapAt = group;
      i++;
      if (i === text.length) break;
    } else if (i === text.length) {
      return false; // a single trailing ":"
    }
  }
  if (gapAt === -1) return group === 8;
  if (group === 8) return false; // `::` must stand for at least one group
  const tail = group - gapAt;
  out.copyWithin(16 - tail * 2, gapAt * 2, group * 2);
  out.fill(0, gapAt * 2, 16 - tail * 2);
  return true;
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

function isMappedBytes(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

function firstHostBit(bytes: Uint8Array, length: number): boolean {
  for (let bit = length; bit < bytes.length * 8; bit++) {
    if ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1) return true;
  }
  return false;
}

function clearHostBits(bytes: Uint8Array, length: number): Uint8Array {
  const out = bytes.slice();
  for (let bit = length; bit < out.length * 8; bit++) out[bit >> 3]! &= ~(1 << (7 - (bit & 7)));
  return out;
}

/** Canonical text: dotted IPv4, RFC 5952 IPv6 (lower case, the longest run of zero groups as `::`). */
export function formatPrefix(prefix: ParsedPrefix): string {
  const { bytes, family, length } = prefix;
  const address = family === 4 ? Array.from(bytes).join(".") : formatIpv6(bytes);
  return `${address}/${length}`;
}

function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((n) => n.toString(16)).join(":");
  if (bestStart === -1) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

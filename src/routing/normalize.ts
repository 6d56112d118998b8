/**
 * Request paths and hosts in the one form the matcher sees and the origin receives.
 *
 * The gateway decides (route, auth) on the normalised path and forwards that same path, so no origin
 * can interpret a request differently from the gateway. The steps follow RFC 3986 §6.2.2 as Envoy's
 * `normalize_path` and `merge_slashes` do, with the refusals an edge needs on top.
 */

export type NormalizedPath = { ok: true; path: string } | { ok: false; reason: string };

export interface PathOptions {
  /** Keep `%2F` / `%5C` (encoded, never separators) instead of refusing the request. */
  readonly allowEncodedSlashes: boolean;
}

const HEX_DIGITS = "0123456789ABCDEF";

/** ASCII characters that may stand unencoded in a path: RFC 3986 `pchar` without `%`, plus `/`. */
const PATH_CHARS = asciiSet(
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/",
);
/** RFC 3986 unreserved: the only characters whose percent-encoding carries no meaning of its own. */
const UNRESERVED = asciiSet("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~");

function asciiSet(chars: string): Uint8Array {
  const set = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) set[chars.charCodeAt(i)] = 1;
  return set;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

function refuse(reason: string): NormalizedPath {
  return { ok: false, reason };
}

/**
 * Normalises a request path (no query):
 * 1. percent-encodings of unreserved characters are decoded (`%7E` → `~`, `%2E` → `.`), every other
 *    percent-encoding is kept with upper-case hex digits; characters that are not allowed unencoded in
 *    a path (space, `"`, non-ASCII, …) are percent-encoded as UTF-8; a raw `\` is a separator, as in
 *    every browser's URL parser;
 * 2. runs of `/` are merged;
 * 3. dot segments are removed (RFC 3986 §5.2.4), including those that were percent-encoded, and `..`
 *    never climbs above the root.
 *
 * Refused: `%00` always; percent-encoded bytes that are not valid UTF-8 (overlong forms such as
 * `%C0%AE`, stray continuation bytes, surrogates) always; `%2F` and `%5C` unless `allowEncodedSlashes` (then kept encoded and never
 * treated as separators); malformed percent-encodings; dot segments carrying `;` parameters
 * (`..;/`), which servlet containers resolve as `..`.
 */
export function normalizePath(rawPath: string, options: PathOptions): NormalizedPath {
  if (rawPath === "") return { ok: true, path: "/" };
  const first = rawPath.charCodeAt(0);
  if (first !== 0x2f && first !== 0x5c) return refuse("the path does not start with /");
  if (isAlreadyNormal(rawPath)) return { ok: true, path: rawPath };

  const canonical = canonicalCharacters(rawPath, options.allowEncodedSlashes);
  if (!canonical.ok) return canonical;
  return removeDotSegments(canonical.path);
}

/** The common case, checked without allocating: nothing to decode, merge or remove. */
function isAlreadyNormal(path: string): boolean {
  let previous = 0;
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    if (code >= 0x80 || PATH_CHARS[code] === 0) return false;
    if (previous === 0x2f && (code === 0x2f || code === 0x2e)) return false;
    previous = code;
  }
  return true;
}

function canonicalCharacters(path: string, allowEncodedSlashes: boolean): NormalizedPath {
  let out = "";
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    if (code === 0x25) {
      const high = i + 1 < path.length ? hexValue(path.charCodeAt(i + 1)) : -1;
      const low = i + 2 < path.length ? hexValue(path.charCodeAt(i + 2)) : -1;
      if (high < 0 || low < 0) {
        return refuse(`the path has a malformed percent-encoding ("${path.slice(i, i + 3)}")`);
      }
      const byte = high * 16 + low;
      if (byte === 0) return refuse("the path contains an encoded NUL (%00)");
      if (byte >= 0x80) {
        // A UTF-8 sequence, kept encoded, but only when it is valid: an origin's decoder would
        // otherwise choose the meaning (lenient ones read the overlong `%C0%AE` as `.`).
        const length = utf8SequenceLength(path, i);
        if (length === 0) {
          return refuse(`the path has invalid UTF-8 ("${path.slice(i, i + 12)}")`);
        }
        out += path.slice(i, i + length * 3).toUpperCase();
        i += length * 3 - 1;
        continue;
      }
      if (byte === 0x2f || byte === 0x5c) {
        if (!allowEncodedSlashes) {
          return refuse(
            byte === 0x2f
              ? "the path contains an encoded slash (%2F)"
              : "the path contains an encoded backslash (%5C)",
          );
        }
        out += byte === 0x2f ? "%2F" : "%5C";
      } else if (byte < 0x80 && UNRESERVED[byte] === 1) {
        out += String.fromCharCode(byte);
      } else {
        out += `%${HEX_DIGITS[high]}${HEX_DIGITS[low]}`;
      }
      i += 2;
    } else if (code === 0x5c) {
      out += "/";
    } else if (code === 0) {
      return refuse("the path contains a NUL character");
    } else if (code < 0x80 && PATH_CHARS[code] === 1) {
      out += path[i];
    } else {
      const encoded = encodeCodePoint(path, i);
      if (encoded === undefined) return refuse("the path is not valid Unicode (lone surrogate)");
      out += encoded.text;
      i += encoded.width - 1;
    }
  }
  return { ok: true, path: out };
}

/**
 * How many percent-encoded bytes form the valid UTF-8 sequence that starts at `index` (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or 0 when they do not form one.
 */
export function utf8SequenceLength(path: string, index: number): number {
  const lead = encodedByteAt(path, index);
  let length: number;
  let min: number;
  let codePoint: number;
  if (lead >= 0xc2 && lead <= 0xdf) [length, min, codePoint] = [2, 0x80, lead & 0x1f];
  else if (lead >= 0xe0 && lead <= 0xef) [length, min, codePoint] = [3, 0x800, lead & 0x0f];
  else if (lead >= 0xf0 && lead <= 0xf4) [length, min, codePoint] = [4, 0x10000, lead & 0x07];
  else return 0;
  for (let k = 1; k < length; k++) {
    const byte = encodedByteAt(path, index + k * 3);
    if (byte < 0x80 || byte > 0xbf) return 0;
    codePoint = (codePoint << 6) | (byte & 0x3f);
  }
  if (codePoint < min || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return 0;
  return length;
}

/** The byte `%XX` at `index` encodes, or -1 when there is none there. */
function encodedByteAt(path: string, index: number): number {
  if (path.charCodeAt(index) !== 0x25) return -1;
  const high = hexValue(path.charCodeAt(index + 1));
  const low = hexValue(path.charCodeAt(index + 2));
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

function encodeCodePoint(path: string, index: number): { text: string; width: number } | undefined {
  const codePoint = path.codePointAt(index) ?? 0;
  const width = codePoint > 0xffff ? 2 : 1;
  try {
    return { text: encodeURIComponent(path.slice(index, index + width)), width };
  } catch {
    return undefined;
  }
}

function removeDotSegments(path: string): NormalizedPath {
  const input = path.split("/");
  const output: string[] = [];
  let trailingSlash = false;
  // input[0] is the empty string before the leading "/".
  for (let i = 1; i < input.length; i++) {
    const segment = input[i]!;
    const last = i === input.length - 1;
    if (segment === "" || segment === ".") {
      trailingSlash = last;
    } else if (segment === "..") {
      output.pop();
      trailingSlash = last;
    } else if (segment.startsWith(".;") || segment.startsWith("..;")) {
      return refuse(`the path has a dot segment with parameters ("${segment.slice(0, 3)}")`);
    } else {
      output.push(segment);
      trailingSlash = false;
    }
  }
  if (output.length === 0) return { ok: true, path: "/" };
  return { ok: true, path: `/${output.join("/")}${trailingSlash ? "/" : ""}` };
}

/**
 * A Host header (or URL host) as the matcher compares it: lower-case, without port (IPv6 literals keep
 * their brackets), without the trailing dot of a fully qualified name.
 */
export function normalizeHost(host: string): string {
  let name = host.toLowerCase();
  if (name.startsWith("[")) {
    const end = name.indexOf("]");
    return end === -1 ? name : name.slice(0, end + 1);
  }
  const colon = name.indexOf(":");
  // More than one colon without brackets is a bare IPv6 address, not host:port.
  if (colon !== -1 && colon === name.lastIndexOf(":")) name = name.slice(0, colon);
  if (name.endsWith(".")) name = name.slice(0, -1);
  return name;
}

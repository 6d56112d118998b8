/**
 * Origin readings: the other paths a common origin may act on when the gateway forwards the
 * normalised path `P`. Each reading is one way some origin framework resolves a path differently from
 * RFC 3986; the gateway computes them to check that none of them would land on a differently protected
 * rule (`path-ambiguity.ts`).
 *
 * Every reading takes the normalised path and returns a normalised path (the gateway's own form, so it
 * can be matched against the compiled table), or `undefined` when the origin's result has no such form
 * (a second decoding that yields NUL or invalid UTF-8). Plain string functions, no Workers globals: the
 * Worker and `gatehouse explain` share them.
 */
import { PATH_READING_NAMES } from "../config/constants.ts";
import { normalizePath, utf8SequenceLength } from "./normalize.ts";

/** The readings an operator can relax by name (`paths.readings`, `clusters.NAME.pathReadings`). */
export { PATH_READING_NAMES };

export type PathReadingName = (typeof PATH_READING_NAMES)[number];

/** As the route table writes it: a reading set to `false` is relaxed; an omitted one stays on. */
export type PathReadingSettings = Partial<Record<PathReadingName, boolean>>;

/** One bit per reading, in `PATH_READING_NAMES` order. */
export const ALL_READINGS = (1 << PATH_READING_NAMES.length) - 1;

/**
 * The readings enabled for one origin: on unless the cluster, or else the table, sets them to `false`.
 */
export function enabledReadings(
  tableDefault: PathReadingSettings | undefined,
  cluster: PathReadingSettings | undefined,
): number {
  let mask = 0;
  for (let bit = 0; bit < PATH_READING_NAMES.length; bit++) {
    const name = PATH_READING_NAMES[bit]!;
    if ((cluster?.[name] ?? tableDefault?.[name] ?? true) !== false) mask |= 1 << bit;
  }
  return mask;
}

/** `undefined`: the reading does not apply to this path (it would read it as the gateway does). */
type Reading = (path: string, allowEncodedSlashes: boolean) => string | undefined | typeof UNREADABLE;

/** The origin's result is no path the gateway could have matched (NUL, invalid UTF-8, …). */
export const UNREADABLE: unique symbol = Symbol("unreadable");

/**
 * Tomcat, Jetty, Spring (and Java servlet containers generally) drop `;parameters` from each segment
 * before routing: `/private;x/data` is `/private/data` to them.
 */
function semicolonParameters(path: string, slashes: boolean) {
  if (path.indexOf(";") === -1) return undefined;
  return renormalize(path.replace(/;[^/]*/g, ""), slashes);
}

/**
 * Express (default), ASP.NET and IIS compare paths case-insensitively: `/PRIVATE/x` is `/private/x`.
 * ASCII letters are folded; percent-encodings keep their (upper-case) hex digits. Matched against the
 * table with its Exact and PathPrefix values folded the same way (`path-ambiguity.ts`).
 */
function caseInsensitive(path: string) {
  if (!hasUpperCaseLetter(path)) return undefined;
  return path.replace(/%[0-9A-F]{2}|[A-Z]+/g, (part) => (part[0] === "%" ? part : part.toLowerCase()));
}

/** An ASCII upper-case letter outside the hex digits of a percent-encoding; no allocation. */
function hasUpperCaseLetter(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    if (code === 0x25) i += 2;
    else if (code >= 0x41 && code <= 0x5a) return true;
  }
  return false;
}

/** IIS (Windows file names) drops trailing dots and spaces from a segment: `/private./`, `/private%20/`. */
function trailingDotsAndSpaces(path: string, slashes: boolean) {
  if (!TRAILING_DOTS_AND_SPACES.test(path)) return undefined;
  return renormalize(path.replace(TRAILING_DOTS_AND_SPACES_ALL, ""), slashes);
}
const TRAILING_DOTS_AND_SPACES = /(?:\.|%20)+(?=\/|$)/;
const TRAILING_DOTS_AND_SPACES_ALL = /(?:\.|%20)+(?=\/|$)/g;

/**
 * Origins that strip control and invisible characters after decoding (WHATWG URL parsers drop tab, CR
 * and LF; many frameworks trim or normalise Unicode format characters): encoded tab, CR, LF, and the
 * characters that render as nothing: soft hyphen, zero-width space/joiners, word joiner, bidi
 * controls, invisible operators, Hangul fillers, variation selectors, byte-order mark.
 */
function invisibleCharacters(path: string, slashes: boolean) {
  if (path.indexOf("%") === -1 || !INVISIBLE.test(path)) return undefined;
  return renormalize(path.replace(INVISIBLE_ALL, ""), slashes);
}
const INVISIBLE_SOURCE = [
  "%0[9AD]", // tab, LF, CR
  "%C2%AD", // U+00AD soft hyphen
  "%CD%8F", // U+034F combining grapheme joiner
  "%D8%9C", // U+061C Arabic letter mark
  "%E1%85%9F|%E1%85%A0", // U+115F, U+1160 Hangul fillers
  "%E1%9E%B[45]", // U+17B4, U+17B5 Khmer inherent vowels
  "%E1%A0%8[B-F]", // U+180B–U+180F Mongolian variation selectors and vowel separator
  "%E2%80%8[B-F]", // U+200B–U+200F zero-width space, non-joiner, joiner, LRM, RLM
  "%E2%80%A[A-E]", // U+202A–U+202E bidi embeddings and overrides
  "%E2%81%A[0-9A-F]", // U+2060–U+206F word joiner, invisible operators, bidi isolates
  "%E3%85%A4", // U+3164 Hangul filler
  "%EF%B8%8[0-9A-F]", // U+FE00–U+FE0F variation selectors
  "%EF%BB%BF", // U+FEFF byte-order mark
  "%EF%BE%A0", // U+FFA0 half-width Hangul filler
].join("|");
const INVISIBLE = new RegExp(INVISIBLE_SOURCE);
const INVISIBLE_ALL = new RegExp(INVISIBLE_SOURCE, "g");

/**
 * Origins that decode twice (a proxy or framework layer decodes, then the application again): `%25`
 * followed by two hex digits is read as that byte, so `%252F` is a `/` and `%252E%252E` a `..`
 * segment. The bytes the second decoding exposes are read by a lenient decoder, as such origins are:
 * an overlong UTF-8 form (`%C0%AE`, `%E0%80%AE`) is its ASCII character.
 */
function doubleDecoding(path: string, slashes: boolean) {
  if (path.indexOf("%25") === -1) return undefined;
  const once = path.replace(/%25([0-9A-Fa-f]{2})/g, (_, hex: string) => {
    const upper = hex.toUpperCase();
    return upper === "2F" || upper === "5C" ? "/" : `%${upper}`;
  });
  return renormalize(decodeOverlongForms(once), slashes);
}

/**
 * Overlong UTF-8 forms of ASCII characters (`%C0%AE`, `%C1%9C`, `%E0%80%AF`, `%F0%80%80%AE`) replaced
 * by the character (`/` and `\` as separators), as lenient decoders read them. Other invalid UTF-8 is
 * left for `normalizePath` to refuse.
 */
function decodeOverlongForms(path: string): string {
  if (!/%(?:C[01]|E0%[89]|F0%8)/i.test(path)) return path;
  let out = "";
  for (let i = 0; i < path.length; i++) {
    const ascii = path.charCodeAt(i) === 0x25 ? overlongAsciiAt(path, i) : undefined;
    if (ascii === undefined) {
      out += path[i];
      continue;
    }
    const char = String.fromCharCode(ascii.code);
    out += char === "/" || char === "\\" ? "/" : encodeURIComponent(char);
    i += ascii.width - 1;
  }
  return out;
}

function overlongAsciiAt(path: string, index: number): { code: number; width: number } | undefined {
  if (utf8SequenceLength(path, index) !== 0) return undefined;
  const lead = byteAt(path, index);
  const length = lead >= 0xc0 && lead <= 0xc1 ? 2 : lead === 0xe0 ? 3 : lead === 0xf0 ? 4 : 0;
  if (length === 0) return undefined;
  let code = lead & (length === 2 ? 0x1f : length === 3 ? 0x0f : 0x07);
  for (let k = 1; k < length; k++) {
    const byte = byteAt(path, index + 3 * k);
    if (byte < 0x80 || byte > 0xbf) return undefined;
    code = (code << 6) | (byte & 0x3f);
  }
  return code < 0x80 && code > 0 ? { code, width: 3 * length } : undefined;
}

function byteAt(path: string, index: number): number {
  if (path.charCodeAt(index) !== 0x25) return -1;
  const hex = path.slice(index + 1, index + 3);
  return /^[0-9A-Fa-f]{2}$/.test(hex) ? Number.parseInt(hex, 16) : -1;
}

function renormalize(path: string, allowEncodedSlashes: boolean): string | typeof UNREADABLE {
  const normalized = normalizePath(path === "" ? "/" : path, { allowEncodedSlashes });
  return normalized.ok ? normalized.path : UNREADABLE;
}

/** In `PATH_READING_NAMES` order, so bit `i` of a mask is `READINGS[i]`. */
const READINGS: readonly Reading[] = [
  semicolonParameters,
  caseInsensitive,
  trailingDotsAndSpaces,
  invisibleCharacters,
  doubleDecoding,
];

/** The order readings are composed in: decodings first, then what is read off the decoded segments. */
const COMPOSITION_ORDER: readonly number[] = [4, 3, 0, 2, 1];

export const CASE_INSENSITIVE_BIT = 1 << PATH_READING_NAMES.indexOf("caseInsensitive");

export interface OriginReading {
  /** The reading's name, or several joined with `+` for the composition of every enabled reading. */
  readonly name: string;
  /** Bits of the readings that took part (to know whether case was folded). */
  readonly bits: number;
  readonly path: string | typeof UNREADABLE;
}

/**
 * The readings of `path` (a normalised path) that differ from it, for the readings in `mask`: each one
 * alone, then, when more than one applies, all of them composed (an origin may do several: IIS folds
 * case and drops trailing dots). Only readings whose characters the path contains are computed.
 */
export function originReadings(path: string, mask: number, allowEncodedSlashes: boolean): OriginReading[] {
  const readings: OriginReading[] = [];
  for (let bit = 0; bit < READINGS.length; bit++) {
    if ((mask & (1 << bit)) === 0) continue;
    const read = READINGS[bit]!(path, allowEncodedSlashes);
    if (read === undefined || read === path) continue;
    readings.push({ name: PATH_READING_NAMES[bit]!, bits: 1 << bit, path: read });
  }
  // A reading can expose what the next one reads (`%2550RIVATE` decodes twice to `/PRIVATE`), so the
  // composition runs whenever one applies, each reading on the previous one's result.
  if (readings.length > 0 && readings[0]!.path !== UNREADABLE) {
    let composed: string | typeof UNREADABLE = path;
    let bits = 0;
    const names: string[] = [];
    for (const bit of COMPOSITION_ORDER) {
      if ((mask & (1 << bit)) === 0) continue;
      const read: string | typeof UNREADABLE | undefined = READINGS[bit]!(composed, allowEncodedSlashes);
      if (read === undefined || read === composed) continue;
      names.push(PATH_READING_NAMES[bit]!);
      bits |= 1 << bit;
      composed = read;
      if (composed === UNREADABLE) break;
    }
    if (names.length > 1 && !readings.some((reading) => reading.path === composed)) {
      readings.push({ name: names.join("+"), bits, path: composed });
    }
  }
  return readings;
}

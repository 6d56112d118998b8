/**
 * Regular expressions from the table: RE2's syntax and semantics (https://github.com/google/re2/wiki/Syntax),
 * the dialect of Envoy, Istio and Traefik, run by re2js, a port of RE2/J. A pattern matches the whole
 * value (`/users/[0-9]+` does not match `/users/42/x`); RE2 has no lookaround and no backreferences.
 *
 * Why RE2: a table's pattern runs per request on data the client chooses. In a backtracking engine
 * (V8's irregexp) the cost of one match can be exponential in the subject, and no analyser of patterns
 * can be complete: `/r/[a-z]{0,99}…` six times stalled the isolate for 18 s on a 110-character path.
 * RE2 never backtracks exponentially: a match visits each (instruction, position) pair at most once, so
 * it costs at most c · m · n for a program of m instructions and a subject of n characters. Both
 * factors are bounded here, which bounds every match below 1 ms (docs/routing.md, "Regular
 * expressions"; test/routing/regex.property.test.ts):
 *
 * - m, the program size (RE2's measure of a pattern's cost, as Envoy's `max_program_size`), is at most
 *   `MAX_REGEX_PROGRAM_SIZE`, checked by `gatehouse validate` and by the Worker's check of every stored
 *   version (`regexProblem`), and again by `compileTableRegex`;
 * - m · n is at most `MAX_REGEX_WORK`: a pattern runs on values of up to `MAX_REGEX_WORK / m`
 *   characters (`subjectLimit`), and `TableRegex.test` throws `RegexSubjectTooLong` on a longer one.
 *   The gateway then refuses the request: never "no match", since the origin would act on the very
 *   value the gateway declined to judge.
 *
 * The match runs through re2js's `Matcher`, which picks its one-pass engine or, within that work bound,
 * its bit-state backtracker (a bitmap of visited pairs: at most `MAX_REGEX_WORK` bits, no cache that
 * grows). Its lazy DFA is faster on ordinary input but builds states per new character on hostile input
 * and keeps up to 8 MiB per pattern; measured, it took tens of milliseconds (docs/benchmarks.md).
 */
import { RE2JS } from "re2js";

/**
 * RE2 instructions a pattern may compile to: Envoy's default `max_program_size`. Ordinary route
 * patterns compile to 10–40 (`/users/[0-9]+` 11, a UUID 38; an alternation of 23 language codes 81).
 */
export const MAX_REGEX_PROGRAM_SIZE = 100;

/**
 * Program size × subject length one match may cost. The slowest measured case visits an (instruction,
 * position) pair in about 25 ns (docs/benchmarks.md, "Regex match cost"), so 16,384 pairs take about
 * 0.45 ms, half the 1 ms bound, leaving room for a busy machine: `.*` judges values of up to 4,096
 * characters, `/users/[0-9]+` 1,489, a pattern at the program-size cap 163.
 */
export const MAX_REGEX_WORK = 16_384;

/** The longest value a pattern of `programSize` instructions runs on. */
export function subjectLimit(programSize: number): number {
  return Math.floor(MAX_REGEX_WORK / programSize);
}

/** What the matcher holds per distinct pattern: a full-match test, safe to share between candidates. */
export interface TableRegex {
  /** The longest value `test` judges (`subjectLimit` of the program size). */
  readonly subjectLimit: number;
  /** What every matching value starts with (`literalPrefix` of the pattern; may be empty). */
  readonly literalPrefix: string;
  /** Whole-value match. Throws `RegexSubjectTooLong` when `subject` is longer than `subjectLimit`. */
  test(subject: string): boolean;
  /**
   * False when `test` would answer false without a doubt: the subject is within the length bound and
   * lacks the pattern's literal start (`literalPrefix`). A string comparison, never the engine, so a
   * matcher can rule a candidate out before checking its other conditions.
   */
  mayMatch(subject: string): boolean;
}

/** A request value too long to be matched within the bound; the gateway refuses the request. */
export class RegexSubjectTooLong extends Error {
  override readonly name = "RegexSubjectTooLong";
  constructor(
    readonly length: number,
    readonly limit: number,
  ) {
    super(`a value of ${length} characters is longer than the ${limit} a route regular expression judges`);
  }
}

/**
 * Why `pattern` cannot be used in a route table, or undefined when it can: not valid RE2 (with the
 * reason, naming lookaround and backreferences, which RE2 lacks by design), or over the program-size
 * cap. Compiles the pattern; never runs it. One check for `validate` and for the Worker, in one wording.
 */
export function regexProblem(pattern: string): string | undefined {
  if (problems.has(pattern)) return problems.get(pattern);
  const problem = compiled(pattern).problem;
  if (problems.size >= PROBLEMS_REMEMBERED) problems.clear();
  problems.set(pattern, problem);
  return problem;
}

/**
 * `regexProblem`'s answers by pattern: a table repeats its patterns under many routes (the bench's
 * 10,000 routes hold 2,994 regexes, 96 distinct), and an RE2 compile is the costly part of checking
 * one. Only the answers are kept (no program), and at most this many, then forgotten all at once.
 */
const PROBLEMS_REMEMBERED = 10_000;
const problems = new Map<string, string | undefined>();

/** The compiled pattern for a table that passed `regexProblem`; throws with the reason otherwise. */
export function compileTableRegex(pattern: string): TableRegex {
  const { regex, problem } = compiled(pattern);
  if (problem !== undefined || regex === undefined) throw new Error(problem);
  const limit = subjectLimit(regex.programSize());
  const prefix = literalPrefix(pattern);
  return {
    subjectLimit: limit,
    literalPrefix: prefix,
    test(subject) {
      // The length bound first: a value too long to judge is refused whatever it starts with.
      if (subject.length > limit) throw new RegexSubjectTooLong(subject.length, limit);
      // re2js costs microseconds per match; a value without the pattern's literal start cannot match.
      if (prefix !== "" && !subject.startsWith(prefix)) return false;
      return regex.matcher(subject).matches();
    },
    mayMatch(subject) {
      return prefix === "" || subject.length > limit || subject.startsWith(prefix);
    },
  };
}

function compiled(pattern: string): { regex?: RE2JS; problem?: string } {
  let regex: RE2JS;
  try {
    regex = RE2JS.compile(pattern);
  } catch (error) {
    return { problem: unsupported(pattern) ?? invalid(error) };
  }
  const size = regex.programSize();
  if (size > MAX_REGEX_PROGRAM_SIZE) {
    return {
      problem: `regular expression program size ${size} exceeds the limit of ${MAX_REGEX_PROGRAM_SIZE} (use smaller repetition counts or fewer alternatives)`,
    };
  }
  return { regex };
}

/** Constructs of other dialects that RE2 refuses by design, named so that the author knows why. */
const UNSUPPORTED: readonly [RegExp, string][] = [
  [/\(\?<?[=!]/, "uses lookaround (`(?=`, `(?!`, `(?<=`, `(?<!`), which RE2 does not support"],
  [/\\[1-9]|\\k</, "uses a backreference (`\\1`, `\\k<name>`), which RE2 does not support"],
];

function unsupported(pattern: string): string | undefined {
  for (const [construct, reason] of UNSUPPORTED) {
    if (construct.test(pattern)) return `${reason} (route regexes run in linear time)`;
  }
  return undefined;
}

function invalid(error: unknown): string {
  const detail = String((error as Error).message).replace(/^error parsing regexp: /, "");
  return `is not a valid RE2 regular expression (${detail})`;
}

const META = new Set(["^", "$", ".", "*", "+", "?", "(", ")", "[", "]", "{", "}", "|", "\\"]);
/** Quantifiers that make the character before them optional. */
const OPTIONAL_QUANTIFIERS = new Set(["*", "?", "{"]);

/**
 * The complete path segments every match of a path pattern must start with: `/api/v[0-9]+/x` →
 * `["api"]`, `/users/[0-9]+` → `["users"]`, `.*` → `[]`. The matcher files a regular expression under
 * that trie node so that a request only tries the patterns that could match its path.
 *
 * Conservative by construction: any alternation, any metacharacter or escape other than an escaped
 * punctuation character (RE2's `\Q…\E`, `\pL` and `\x41` stop it too) ends the literal; a character
 * made optional by `*`, `?` or `{` is dropped.
 */
export function literalPathSegments(pattern: string): string[] {
  const literal = literalPrefix(pattern);
  if (!literal.startsWith("/")) return [];
  // Only segments followed by a "/" are complete; the text after the last "/" may continue.
  const segments = literal.split("/").slice(1, -1);
  const firstEmpty = segments.indexOf("");
  return firstEmpty === -1 ? segments : segments.slice(0, firstEmpty);
}

/**
 * The text every whole-value match of `pattern` starts with (`/v[0-9]+/x` → `/v`, `.*` → ``), by the
 * same conservative reading as `literalPathSegments`: an alternation anywhere, a flag group, a class or
 * any escape other than escaped punctuation ends it (or empties it), and a character made optional is
 * dropped. A subject that does not start with it cannot match, so `test` answers without running
 * the engine: regexes filed at a trie node all run for every request reaching it, and a table may
 * put many there (`/v[0-9]+/…` under one host).
 */
export function literalPrefix(pattern: string): string {
  if (pattern.includes("|")) return "";
  let literal = "";
  let i = pattern.startsWith("^") ? 1 : 0;
  for (; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === "\\") {
      const next = pattern[i + 1];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) break;
      literal += next;
      i++;
      continue;
    }
    if (META.has(char)) {
      if (OPTIONAL_QUANTIFIERS.has(char)) literal = literal.slice(0, -1);
      break;
    }
    literal += char;
  }
  return literal;
}

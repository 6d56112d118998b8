/**
 * Regular expressions in a route table run on every request against data the client controls, in a
 * backtracking engine (V8's irregexp). A table must not be able to stall the worker, so every pattern is
 * parsed here and refused unless its backtracking is bounded:
 *
 * - at most `MAX_PATTERN_LENGTH` characters; repetition counts at most `MAX_REPEAT_COUNT`;
 * - no backreferences (`\1`, `\k<name>`) and no lookbehind (`(?<=…)`, `(?<!…)`);
 * - no nested quantifiers (`(a+)+`, `(a*)*`, `(\w+\.)*`): a repeated group may contain quantifiers only
 *   when both are small fixed bounds (`(\d{1,3}\.){3}`), so the number of ways through stays a constant;
 * - no repeated alternation whose branches can start with the same character or match nothing
 *   (`(a|a)*`, `(a|ab)+`): each repetition must be decided by its first character;
 * - no two unbounded quantifiers in sequence that can both consume the same characters with nothing
 *   between them that only one can (`.*a.*`, `\d+\d*`): that is quadratic (cubic for three…). A final
 *   `.*` is allowed where the subject never holds a line break (paths, header values), since it then
 *   cannot fail and is never backtracked into.
 *
 * The dialect is JavaScript's, without flags, anchored to the whole subject: `compileTablePattern` is
 * how a validated pattern becomes a RegExp. These rules are conservative (some harmless patterns are
 * refused); every refusal says why and how to write the pattern instead.
 */

export const MAX_PATTERN_LENGTH = 512;
export const MAX_REPEAT_COUNT = 1000;
/** A quantifier whose upper bound exceeds this counts as unbounded for the sequence rule. */
const LOOP_THRESHOLD = 100;
/** How many ways a bounded nested repetition may take through its body, at most. */
const MAX_NESTED_PATHS = 10_000;

export interface RegexContext {
  /** True for paths and header values (no CR/LF can occur); false for decoded query values. */
  readonly subjectHasNoLineBreaks: boolean;
}

/**
 * Why `pattern` must not be used in a route table, or undefined when it is safe. Never throws and never
 * runs the pattern against anything.
 */
export function regexProblem(pattern: string, context: RegexContext): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return `is longer than ${MAX_PATTERN_LENGTH} characters (regular expressions are bounded)`;
  }
  try {
    // Checked alone first: only a pattern that is a whole expression by itself may be wrapped in ^(?:…)$.
    new RegExp(pattern);
  } catch (error) {
    const detail = String((error as Error).message).replace(
      /^Invalid regular expression: \/.*\/[a-z]*: /s,
      "",
    );
    return `is not a valid regular expression (${detail})`;
  }
  try {
    const tree = new Parser(pattern).parse();
    checkTree(tree, context);
    return undefined;
  } catch (error) {
    if (error instanceof Refusal) return error.message;
    throw error;
  }
}

/**
 * The RegExp the matcher uses for a validated table pattern: whole-subject match, no flags. Throws on a
 * pattern that `regexProblem` refuses, so an unvalidated table cannot slip one through.
 */
export function compileTablePattern(pattern: string, context: RegexContext): RegExp {
  const problem = regexProblem(pattern, context);
  if (problem) throw new Error(`regular expression ${JSON.stringify(pattern)} ${problem}`);
  return new RegExp(`^(?:${pattern})$`);
}

class Refusal extends Error {}

// ---------------------------------------------------------------------------------------------------
// Character sets: sorted, disjoint, inclusive UTF-16 code unit ranges (the engine without `u` works on
// code units).

type CharSet = readonly (readonly [number, number])[];

const MAX_UNIT = 0xffff;
const EMPTY: CharSet = [];

function normalize(ranges: (readonly [number, number])[]): CharSet {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function union(...sets: CharSet[]): CharSet {
  return normalize(sets.flat());
}

function complement(set: CharSet): CharSet {
  const out: [number, number][] = [];
  let next = 0;
  for (const [lo, hi] of set) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_UNIT) out.push([next, MAX_UNIT]);
  return out;
}

function intersect(a: CharSet, b: CharSet): CharSet {
  const out: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const lo = Math.max(a[i]![0], b[j]![0]);
    const hi = Math.min(a[i]![1], b[j]![1]);
    if (lo <= hi) out.push([lo, hi]);
    if (a[i]![1] < b[j]![1]) i++;
    else j++;
  }
  return out;
}

function covers(outer: CharSet, inner: CharSet): boolean {
  return (
    intersect(outer, inner).reduce((n, [lo, hi]) => n + hi - lo + 1, 0) ===
    inner.reduce((n, [lo, hi]) => n + hi - lo + 1, 0)
  );
}

const single = (unit: number): CharSet => [[unit, unit]];
const isSingleUnit = (set: CharSet) => set.length === 1 && set[0]![0] === set[0]![1];
const DIGIT: CharSet = [[0x30, 0x39]];
const WORD: CharSet = normalize([
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
]);
const SPACE: CharSet = normalize([
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
]);
const LINE_TERMINATORS: CharSet = normalize([
  [0x0a, 0x0a],
  [0x0d, 0x0d],
  [0x2028, 0x2029],
]);
const DOT: CharSet = complement(LINE_TERMINATORS);

// ---------------------------------------------------------------------------------------------------
// Syntax tree

type Node =
  | { kind: "chars"; set: CharSet }
  | { kind: "assert"; end: boolean }
  | { kind: "look"; body: Node }
  | { kind: "seq"; items: Node[] }
  | { kind: "alt"; options: Node[]; source: string }
  | { kind: "repeat"; body: Node; min: number; max: number; source: string };

/** A recursive-descent parser for JavaScript patterns without flags (Annex B), already known valid. */
class Parser {
  private pos = 0;
  constructor(private readonly src: string) {}

  parse(): Node {
    return this.disjunction(0);
  }

  private peek(offset = 0): string | undefined {
    return this.src[this.pos + offset];
  }

  private disjunction(start: number): Node {
    const options = [this.alternative()];
    while (this.peek() === "|") {
      this.pos++;
      options.push(this.alternative());
    }
    if (options.length === 1) return options[0]!;
    return { kind: "alt", options, source: this.src.slice(start, this.pos) };
  }

  private alternative(): Node {
    const items: Node[] = [];
    while (this.pos < this.src.length && this.peek() !== "|" && this.peek() !== ")") {
      items.push(this.term());
    }
    return items.length === 1 ? items[0]! : { kind: "seq", items };
  }

  private term(): Node {
    const start = this.pos;
    const atom = this.atom();
    return this.quantified(atom, start);
  }

  private atom(): Node {
    const c = this.src[this.pos++]!;
    switch (c) {
      case "^":
        return { kind: "assert", end: false };
      case "$":
        return { kind: "assert", end: true };
      case ".":
        return { kind: "chars", set: DOT };
      case "[":
        return { kind: "chars", set: this.characterClass() };
      case "(":
        return this.group();
      case "\\":
        return this.escape();
      default:
        return { kind: "chars", set: single(c.charCodeAt(0)) };
    }
  }

  private group(): Node {
    const start = this.pos - 1;
    let lookahead = false;
    if (this.peek() === "?") {
      const next = this.peek(1);
      if (next === ":") this.pos += 2;
      else if (next === "=" || next === "!") {
        this.pos += 2;
        lookahead = true;
      } else if (next === "<" && (this.peek(2) === "=" || this.peek(2) === "!")) {
        throw new Refusal("uses a lookbehind ((?<=…) or (?<!…)): not allowed in route tables");
      } else if (next === "<") {
        this.pos = this.src.indexOf(">", this.pos) + 1;
      } else {
        throw new Refusal(`uses an unsupported group "${this.src.slice(start, start + 4)}"`);
      }
    }
    const body = this.disjunction(this.pos);
    this.pos++; // ")"
    if (lookahead) return { kind: "look", body };
    // Keep the group's source on alternations so that messages can quote "(a|ab)".
    if (body.kind === "alt") return { ...body, source: this.src.slice(start, this.pos) };
    return body;
  }

  private quantified(atom: Node, start: number): Node {
    let min: number;
    let max: number;
    const c = this.peek();
    if (c === "*") [min, max] = [0, Number.POSITIVE_INFINITY];
    else if (c === "+") [min, max] = [1, Number.POSITIVE_INFINITY];
    else if (c === "?") [min, max] = [0, 1];
    else if (c === "{") {
      const braces = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
      if (!braces) return atom; // Annex B: a "{" that is not a quantifier is a literal
      min = Number(braces[1]);
      max = braces[2] === undefined ? min : braces[3] === "" ? Number.POSITIVE_INFINITY : Number(braces[3]);
      this.pos += braces[0].length - 1;
    } else {
      return atom;
    }
    this.pos++;
    if (this.peek() === "?") this.pos++; // lazy: same set of ways through, same cost when it fails
    const source = this.src.slice(start, this.pos);
    if (min > MAX_REPEAT_COUNT || (Number.isFinite(max) && max > MAX_REPEAT_COUNT)) {
      throw new Refusal(`repeats more than ${MAX_REPEAT_COUNT} times in "${source}"`);
    }
    return { kind: "repeat", body: atom, min, max, source };
  }

  private escape(): Node {
    const c = this.src[this.pos++]!;
    if (c === "b" || c === "B") return { kind: "assert", end: false };
    if (/[1-9]/.test(c) || c === "k") {
      throw new Refusal(`uses a backreference (\\${c}): not allowed in route tables`);
    }
    return { kind: "chars", set: this.escapeSet(c, false) };
  }

  /** The characters `\c` stands for, `c` already consumed. */
  private escapeSet(c: string, inClass: boolean): CharSet {
    switch (c) {
      case "d":
        return DIGIT;
      case "D":
        return complement(DIGIT);
      case "w":
        return WORD;
      case "W":
        return complement(WORD);
      case "s":
        return SPACE;
      case "S":
        return complement(SPACE);
      case "t":
        return single(0x09);
      case "n":
        return single(0x0a);
      case "v":
        return single(0x0b);
      case "f":
        return single(0x0c);
      case "r":
        return single(0x0d);
      case "b":
        return inClass ? single(0x08) : single(0x62);
      case "0":
        return single(0);
      case "c": {
        const letter = this.peek();
        if (letter && /[A-Za-z]/.test(letter)) {
          this.pos++;
          return single(letter.charCodeAt(0) % 32);
        }
        return single(0x5c); // "\c" not followed by a letter: a backslash, then "c" as a literal
      }
      case "x":
        return this.hexEscape(2) ?? single(0x78);
      case "u":
        return this.hexEscape(4) ?? single(0x75);
      default:
        return single(c.charCodeAt(0));
    }
  }

  private hexEscape(digits: number): CharSet | undefined {
    const hex = this.src.slice(this.pos, this.pos + digits);
    if (hex.length !== digits || !/^[0-9A-Fa-f]+$/.test(hex)) return undefined;
    this.pos += digits;
    return single(Number.parseInt(hex, 16));
  }

  private characterClass(): CharSet {
    const negated = this.peek() === "^";
    if (negated) this.pos++;
    const parts: CharSet[] = [];
    while (this.peek() !== "]") {
      const first = this.classAtom();
      if (this.peek() === "-" && this.peek(1) !== "]" && this.peek(1) !== undefined) {
        this.pos++;
        const second = this.classAtom();
        if (isSingleUnit(first) && isSingleUnit(second)) {
          parts.push([[first[0]![0], second[0]![1]]]);
        } else {
          parts.push(first, single(0x2d), second); // Annex B: `[\w-x]` is \w, "-" and x
        }
      } else {
        parts.push(first);
      }
    }
    this.pos++; // "]"
    const set = union(...parts);
    return negated ? complement(set) : set;
  }

  private classAtom(): CharSet {
    const c = this.src[this.pos++]!;
    if (c !== "\\") return single(c.charCodeAt(0));
    const escaped = this.src[this.pos++]!;
    if (/[1-9]/.test(escaped)) return single(Number.parseInt(escaped, 8) || escaped.charCodeAt(0));
    return this.escapeSet(escaped, true);
  }
}

// ---------------------------------------------------------------------------------------------------
// Analysis

function nullable(node: Node): boolean {
  switch (node.kind) {
    case "chars":
      return false;
    case "assert":
    case "look":
      return true;
    case "seq":
      return node.items.every(nullable);
    case "alt":
      return node.options.some(nullable);
    case "repeat":
      return node.min === 0 || nullable(node.body);
  }
}

/** Characters that can start a non-empty match of `node`. */
function firstChars(node: Node): CharSet {
  switch (node.kind) {
    case "chars":
      return node.set;
    case "assert":
    case "look":
      return EMPTY;
    case "seq": {
      const sets: CharSet[] = [];
      for (const item of node.items) {
        sets.push(firstChars(item));
        if (!nullable(item)) break;
      }
      return union(...sets);
    }
    case "alt":
      return union(...node.options.map(firstChars));
    case "repeat":
      return firstChars(node.body);
  }
}

/** Every character `node` can consume anywhere. */
function allChars(node: Node): CharSet {
  switch (node.kind) {
    case "chars":
      return node.set;
    case "assert":
    case "look":
      return EMPTY;
    case "seq":
      return union(...node.items.map(allChars));
    case "alt":
      return union(...node.options.map(allChars));
    case "repeat":
      return allChars(node.body);
  }
}

function repeatsIn(node: Node): Extract<Node, { kind: "repeat" }>[] {
  switch (node.kind) {
    case "chars":
    case "assert":
      return [];
    case "look":
      return repeatsIn(node.body);
    case "seq":
      return node.items.flatMap(repeatsIn);
    case "alt":
      return node.options.flatMap(repeatsIn);
    case "repeat":
      return [node, ...repeatsIn(node.body)];
  }
}

const isLoop = (node: Node) => node.kind === "repeat" && node.max > LOOP_THRESHOLD;

/** Characters consumed by the unbounded loops inside `node` (empty when it has none). */
function loopChars(node: Node): CharSet {
  return union(
    ...repeatsIn(node)
      .filter(isLoop)
      .map((loop) => allChars(loop.body)),
  );
}

function checkTree(root: Node, context: RegexContext): void {
  const visit = (node: Node): void => {
    switch (node.kind) {
      case "chars":
      case "assert":
        return;
      case "look":
        checkSequence(flatten(node.body), context, false);
        visit(node.body);
        return;
      case "seq":
        node.items.forEach(visit);
        return;
      case "alt":
        for (const option of node.options) {
          checkSequence(flatten(option), context, false);
          visit(option);
        }
        return;
      case "repeat":
        checkRepeat(node);
        checkSequence(flatten(node.body), context, false);
        visit(node.body);
        return;
    }
  };
  checkSequence(flatten(root), context, true);
  visit(root);
}

/** Nested quantifiers and ambiguous repeated alternation: the exponential cases. */
function checkRepeat(node: Extract<Node, { kind: "repeat" }>): void {
  if (node.max <= 1) return;
  const inner = repeatsIn(node.body);
  if (inner.length > 0) {
    const bounded = Number.isFinite(node.max) && inner.every((r) => Number.isFinite(r.max));
    const waysPerRound = inner.reduce((ways, r) => ways * (r.max - r.min + 1), 1);
    if (!bounded || waysPerRound ** node.max > MAX_NESTED_PATHS) {
      throw new Refusal(
        `nests quantifiers in "${node.source}": a repeated group must not contain another quantifier ` +
          "(exponential backtracking); repeat a character class instead, e.g. [a-z0-9.]+",
      );
    }
  }
  if (nullable(node.body)) {
    throw new Refusal(`repeats something that can match the empty string in "${node.source}"`);
  }
  for (const alt of alternationsIn(node.body)) {
    const starts = alt.options.map(firstChars);
    for (let i = 0; i < starts.length; i++) {
      for (let j = i + 1; j < starts.length; j++) {
        if (
          intersect(starts[i]!, starts[j]!).length > 0 ||
          nullable(alt.options[i]!) ||
          nullable(alt.options[j]!)
        ) {
          throw new Refusal(
            `repeats alternatives that can match the same text in "${alt.source}" (exponential backtracking); ` +
              "make each alternative start with a different character",
          );
        }
      }
    }
  }
}

function alternationsIn(node: Node): Extract<Node, { kind: "alt" }>[] {
  switch (node.kind) {
    case "alt":
      return [node, ...node.options.flatMap(alternationsIn)];
    case "seq":
      return node.items.flatMap(alternationsIn);
    case "look":
    case "repeat":
      return alternationsIn(node.body);
    default:
      return [];
  }
}

/** A sequence with plain groups opened up, so `(?:a.*)b.*` is seen as `a .* b .*`. */
function flatten(node: Node): Node[] {
  if (node.kind === "seq") return node.items.flatMap(flatten);
  return [node];
}

/**
 * Two unbounded loops in one sequence that can consume the same characters, with nothing between them
 * that only one could consume: the split between them is ambiguous, and a failing match tries them all.
 */
function checkSequence(items: Node[], context: RegexContext, topLevel: boolean): void {
  for (let i = 0; i < items.length; i++) {
    if (!(isLoop(items[i]!) || repeatsIn(items[i]!).some(isLoop))) continue;
    const first = loopChars(items[i]!);
    for (let j = i + 1; j < items.length; j++) {
      const second = loopChars(items[j]!);
      const candidates = intersect(first, second);
      if (candidates.length === 0) continue;
      // Only the loops that can end where items[i] ends and begin where items[j] begins meet:
      // in `[0-9]+(/items/[0-9]+)?` the "/items/" inside the group keeps the two digit loops apart.
      const shared = intersect(
        edgeLoopChars(items[i]!, "end", candidates),
        edgeLoopChars(items[j]!, "start", candidates),
      );
      if (shared.length === 0) continue;
      const between = items.slice(i + 1, j);
      const separated = between.some(
        (item) => !nullable(item) && intersect(allChars(item), shared).length === 0,
      );
      if (separated) continue;
      if (topLevel && context.subjectHasNoLineBreaks && cannotFail(items, j)) continue;
      throw new Refusal(
        `has unbounded quantifiers "${describe(items[i]!)}" and "${describe(items[j]!)}" that can match the same ` +
          "text one after the other (quadratic backtracking); make them exclusive, e.g. [^/]* for one path segment",
      );
    }
  }
}

/**
 * Characters of the unbounded loops in `node` that can reach its `side` (start or end) without crossing
 * a part that must consume a character outside `chars`: such a part keeps the loop away from whatever
 * lies beyond that side.
 */
function edgeLoopChars(node: Node, side: "start" | "end", chars: CharSet): CharSet {
  switch (node.kind) {
    case "chars":
    case "assert":
    case "look":
      return EMPTY;
    case "seq": {
      const items = side === "start" ? node.items : [...node.items].reverse();
      const sets: CharSet[] = [];
      for (const item of items) {
        sets.push(edgeLoopChars(item, side, chars));
        if (!nullable(item) && intersect(allChars(item), chars).length === 0) break;
      }
      return union(...sets);
    }
    case "alt":
      return union(...node.options.map((option) => edgeLoopChars(option, side, chars)));
    case "repeat":
      return isLoop(node) ? allChars(node.body) : edgeLoopChars(node.body, side, chars);
  }
}

/**
 * `items[j]` is a final `.*`/`.+`: on a subject without line breaks it consumes the rest and nothing after
 * it can fail, so no earlier loop is ever backtracked into because of it.
 */
function cannotFail(items: Node[], j: number): boolean {
  const loop = items[j]!;
  if (loop.kind !== "repeat" || !covers(allChars(loop.body), DOT) || loop.body.kind !== "chars") return false;
  const harmless = (item: Node) =>
    item.kind === "assert"
      ? item.end
      : item.kind !== "look" && nullable(item) && !repeatsIn(item).some(isLoop);
  return items.slice(j + 1).every(harmless);
}

function describe(node: Node): string {
  const loop = node.kind === "repeat" || node.kind === "alt" ? node : repeatsIn(node).find(isLoop);
  const source = loop ? loop.source : "…";
  return source.length > 40 ? `${source.slice(0, 39)}…` : source;
}

/**
 * Regular expressions from the table. The dialect is JavaScript's, anchored to the whole value:
 * `^(?:PATTERN)$`. An unbalanced `)` must never escape the anchoring group (`a)|(.*` is refused
 * instead of matching everything): a pattern whose groups might not balance is first compiled on its
 * own, which throws. Most patterns are plainly balanced, and skipping that second parse is a tenth of
 * a large table's compile time.
 */

export function compileAnchoredRegex(pattern: string): RegExp {
  if (!plainlyBalanced(pattern)) new RegExp(pattern);
  return new RegExp(`^(?:${pattern})$`);
}

/**
 * True when no `)` outside a character class closes more groups than were opened, no class is left
 * open and the pattern does not end in a lone `\`: then the anchoring group cannot be closed early
 * and the wrapped pattern is valid exactly when the pattern is. Anything unusual answers false.
 */
function plainlyBalanced(pattern: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern.charCodeAt(i);
    if (char === 0x5c /* \ */) {
      if (i + 1 >= pattern.length) return false;
      i++;
    } else if (inClass) {
      if (char === 0x5d /* ] */) inClass = false;
    } else if (char === 0x5b /* [ */) {
      inClass = true;
    } else if (char === 0x28 /* ( */) {
      depth++;
    } else if (char === 0x29 /* ) */) {
      if (--depth < 0) return false;
    }
  }
  return !inClass;
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
 * punctuation character ends the literal; a character made optional by `*`, `?` or `{` is dropped.
 */
export function literalPathSegments(pattern: string): string[] {
  if (pattern.includes("|")) return [];
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
  if (!literal.startsWith("/")) return [];
  // Only segments followed by a "/" are complete; the text after the last "/" may continue.
  const segments = literal.split("/").slice(1, -1);
  const firstEmpty = segments.indexOf("");
  return firstEmpty === -1 ? segments : segments.slice(0, firstEmpty);
}

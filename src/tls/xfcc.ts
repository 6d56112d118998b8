/**
 * Envoy's `x-forwarded-client-cert` (XFCC) format, so that origins written for an Envoy or Istio mesh
 * read the edge's client certificate without change:
 *
 *   Hash=<hex SHA-256 of the DER certificate>;Subject="<RFC 2253 subject DN>"
 *
 * An element is `;`-separated `Key=value` pairs; values containing `,` `;` `=` or `"` are double-quoted
 * with `"` written as `\"`. Envoy leaves backslashes alone, which makes a DN that itself contains `\"`
 * ambiguous; here a quoted value is an RFC 9110 quoted-string (`\` → `\\`, `"` → `\"`), which every
 * Envoy-compatible parser that unescapes pairs reads back exactly.
 */

export interface XfccElement {
  /** Lower-case hex SHA-256 of the leaf certificate. */
  readonly hash: string;
  /** Subject distinguished name, RFC 2253 form. */
  readonly subject: string;
}

export function formatXfccElement(element: XfccElement): string {
  const pairs = [`Hash=${element.hash}`];
  // Envoy always quotes Subject: DNs are full of commas and equals signs.
  if (element.subject) pairs.push(`Subject=${quoteXfccValue(toPrintableDn(element.subject))}`);
  return pairs.join(";");
}

/** An RFC 9110 quoted-string: the value in double quotes, with `\` and `"` escaped by a backslash. */
export function quoteXfccValue(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

const encoder = new TextEncoder();

/**
 * A header value must be visible ASCII; a DN may not be (UTF-8 names, and nothing stops a certificate
 * from carrying control characters). Every other character becomes its UTF-8 bytes as RFC 4514 `\XX`
 * pairs, which is still a valid way to write the same DN, and can never split or smuggle a header.
 */
export function toPrintableDn(dn: string): string {
  return dn.replace(/[^\x20-\x7e]/gu, (c) =>
    Array.from(encoder.encode(c), (b) => `\\${b.toString(16).toUpperCase().padStart(2, "0")}`).join(""),
  );
}

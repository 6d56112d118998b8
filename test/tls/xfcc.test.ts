import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatXfccElement, quoteXfccValue, toPrintableDn } from "../../src/tls/xfcc.ts";

const HASH = "3f7a1c0e9b5d2f4a6c8e0b1d3f5a7c9e1b3d5f7a9c0e2b4d6f8a0c1e3b5d7f9a";

/**
 * A reader for one XFCC element as an Envoy-compatible parser sees it: `;`-separated `Key=value`,
 * values optionally in double quotes with backslash pairs. Used to prove what we write reads back.
 */
function parseXfccElement(element: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < element.length) {
    const eq = element.indexOf("=", i);
    const key = element.slice(i, eq);
    i = eq + 1;
    let value = "";
    if (element[i] === '"') {
      i++;
      while (element[i] !== '"') {
        if (i >= element.length) throw new Error("unterminated quoted value");
        if (element[i] === "\\") i++;
        value += element[i++];
      }
      i++;
    } else {
      while (i < element.length && element[i] !== ";" && element[i] !== ",") value += element[i++];
    }
    out[key] = value;
    if (element[i] === ";") i++;
    else if (i < element.length) throw new Error(`unexpected ${element[i]} at ${i}`);
  }
  return out;
}

describe("XFCC (Envoy x-forwarded-client-cert)", () => {
  it("writes Hash then a double-quoted Subject, as Envoy does", () => {
    expect(formatXfccElement({ hash: HASH, subject: "CN=client.acme.test,O=Acme,C=US" })).toBe(
      `Hash=${HASH};Subject="CN=client.acme.test,O=Acme,C=US"`,
    );
  });

  it("leaves Subject out when Cloudflare reported none", () => {
    expect(formatXfccElement({ hash: HASH, subject: "" })).toBe(`Hash=${HASH}`);
  });

  it("escapes double quotes and backslashes inside a quoted value", () => {
    expect(quoteXfccValue('CN=a "quoted" name')).toBe('"CN=a \\"quoted\\" name"');
    // An RFC 2253 DN may itself contain backslash escapes; they survive a round trip.
    expect(quoteXfccValue('CN=Smith\\, John\\"x')).toBe('"CN=Smith\\\\, John\\\\\\"x"');
  });

  it("turns characters a header cannot carry into RFC 4514 hex pairs, so no header is ever split", () => {
    expect(toPrintableDn("CN=Jürgen")).toBe("CN=J\\C3\\BCrgen");
    const element = formatXfccElement({ hash: HASH, subject: "CN=evil\r\nx-admin: 1" });
    expect(element).not.toMatch(/[\r\n]/);
    expect(element).toBe(`Hash=${HASH};Subject="CN=evil\\\\0D\\\\0Ax-admin: 1"`);
  });

  it("reads back exactly for any subject (printable subjects unchanged)", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...' ,;="\\/+<>#abcXYZ019') }), (subject) => {
        const parsed = parseXfccElement(formatXfccElement({ hash: HASH, subject }));
        expect(parsed.Hash).toBe(HASH);
        expect(parsed.Subject ?? "").toBe(subject);
      }),
    );
  });

  it("always yields a value a Headers object accepts verbatim", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (subject) => {
        const value = formatXfccElement({ hash: HASH, subject });
        expect(value).toMatch(/^[\x20-\x7e]*$/);
        expect(new Headers({ "x-forwarded-client-cert": value }).get("x-forwarded-client-cert")).toBe(value);
      }),
    );
  });
});

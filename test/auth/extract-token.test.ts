import { describe, expect, it } from "vitest";
import {
  compileExtraction,
  cookieValue,
  DEFAULT_EXTRACTION,
  extractToken,
  removeQueryTokens,
  removeTokenPlaces,
  type TokenExtraction,
} from "../../src/auth/extract-token.ts";
import type { UpstreamDraft } from "../../src/gateway/draft.ts";

const draftWith = (headers: Record<string, string>, query = ""): UpstreamDraft => ({
  method: "GET",
  path: "/",
  query: new URLSearchParams(query),
  headers: new Headers(headers),
  hostOverride: undefined,
  body: null,
});

/** The token read, or what was found instead ("none", "several"). */
const tokenOf = (found: TokenExtraction) => (typeof found === "string" ? found : found.token);

describe("extractToken", () => {
  it("defaults to Authorization: Bearer only", () => {
    expect(compileExtraction(undefined)).toBe(DEFAULT_EXTRACTION);
    const q = new URLSearchParams("x=1");
    expect(extractToken(DEFAULT_EXTRACTION, new Headers({ authorization: "Bearer abc" }), q)).toEqual({
      token: "abc",
      source: { kind: "header", name: "authorization" },
    });
    const read = (authorization: string) =>
      tokenOf(extractToken(DEFAULT_EXTRACTION, new Headers({ authorization }), q));
    expect(read("bearer   abc  ")).toBe("abc");
    expect(read("Basic abc")).toBe("none");
    expect(read("Bearerabc")).toBe("none");
    expect(read("Bearer")).toBe("");
    expect(tokenOf(extractToken(DEFAULT_EXTRACTION, new Headers({ cookie: "session=x" }), q))).toBe("none");
  });

  it("by default, an access_token query parameter next to a bearer token makes two (RFC 6750 §2.3, §3.1)", () => {
    const read = (headers: Record<string, string>, query: string) =>
      tokenOf(extractToken(DEFAULT_EXTRACTION, new Headers(headers), new URLSearchParams(query)));
    expect(read({ authorization: "Bearer abc" }, "access_token=q")).toBe("several");
    expect(read({ authorization: "Bearer abc" }, "access_token=")).toBe("several");
    // Never read as the token itself: alone, it is no token at all.
    expect(read({}, "access_token=q")).toBe("none");
  });

  it("reads any one place: headers, cookies, params", () => {
    const plan = compileExtraction({
      headers: [{ name: "X-Token" }, { name: "Authorization", valuePrefix: "JWT " }],
      cookies: ["a", "b"],
      params: ["t1", "t2"],
    });
    const read = (h: Record<string, string>, query = new URLSearchParams()) =>
      tokenOf(extractToken(plan, new Headers(h), query));
    expect(read({ "x-token": "h1" })).toBe("h1");
    expect(read({ authorization: "jwt h2", cookie: "c=other" })).toBe("h2");
    expect(read({ authorization: "Bearer no", cookie: "b=c2; z=1" })).toBe("c2");
    expect(read({}, new URLSearchParams("t2=p2&x=1"))).toBe("p2");
    expect(read({}, new URLSearchParams())).toBe("none");
    // The provider's places only: no access_token of RFC 6750 here.
    expect(read({ "x-token": "h1" }, new URLSearchParams("access_token=q"))).toBe("h1");
  });

  it("a token in two places, or twice in the query, is several", () => {
    const plan = compileExtraction({
      headers: [{ name: "X-Token" }, { name: "Authorization", valuePrefix: "JWT " }],
      cookies: ["a", "b"],
      params: ["t1", "t2"],
    });
    const read = (h: Record<string, string>, query = "") =>
      tokenOf(extractToken(plan, new Headers(h), new URLSearchParams(query)));
    expect(read({ "x-token": "h1", authorization: "JWT h2" })).toBe("several");
    expect(read({ "x-token": "h1", cookie: "a=c1" })).toBe("several");
    expect(read({ cookie: "b=c2; a=c1" })).toBe("several");
    expect(read({ cookie: "a=c1" }, "t1=p1")).toBe("several");
    expect(read({}, "t2=p2&t1=p1")).toBe("several");
    expect(read({}, "t1=p1&t1=p2")).toBe("several");
    // Even the same token twice: RFC 6750 §3.1 refuses the request, not the token.
    expect(read({ "x-token": "same" }, "t1=same")).toBe("several");
  });
});

describe("cookieValue", () => {
  it("finds the first cookie of that exact name, unquoted", () => {
    expect(cookieValue("a=1; b=2", "b")).toBe("2");
    expect(cookieValue("ab=1; a=2", "a")).toBe("2");
    expect(cookieValue('a="q v"', "a")).toBe("q v");
    expect(cookieValue("a=1; a=2", "a")).toBe("1");
    expect(cookieValue("a", "a")).toBeUndefined();
    expect(cookieValue("x=1", "a")).toBeUndefined();
    expect(cookieValue("a=b=c", "a")).toBe("b=c");
  });
});

describe("keeping tokens from the origin", () => {
  const plan = compileExtraction({
    headers: [{ name: "authorization", valuePrefix: "Bearer " }, { name: "x-token" }],
    cookies: ["session"],
    params: ["access_token"],
  });

  it("always drops token query parameters", () => {
    const draft = draftWith({}, "a=1&access_token=x&b=2&access_token=y");
    removeQueryTokens(plan, draft);
    expect(draft.query.toString()).toBe("a=1&b=2");
  });

  it("forwardToken false drops every token header and cookie, keeping other cookies", () => {
    const draft = draftWith({
      authorization: "Bearer x",
      "x-token": "y",
      cookie: "theme=dark; session=z; session2=keep",
      other: "1",
    });
    removeTokenPlaces(plan, draft);
    expect([...draft.headers]).toEqual([
      ["cookie", "theme=dark; session2=keep"],
      ["other", "1"],
    ]);
    const onlyToken = draftWith({ cookie: "session=z" });
    removeTokenPlaces(plan, onlyToken);
    expect(onlyToken.headers.has("cookie")).toBe(false);
  });
});

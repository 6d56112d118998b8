import { describe, expect, it } from "vitest";
import {
  compileExtraction,
  cookieValue,
  DEFAULT_EXTRACTION,
  extractToken,
  removeQueryTokens,
  removeTokenPlaces,
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

describe("extractToken", () => {
  it("defaults to Authorization: Bearer only", () => {
    expect(compileExtraction(undefined)).toBe(DEFAULT_EXTRACTION);
    const q = new URLSearchParams("access_token=q");
    expect(extractToken(DEFAULT_EXTRACTION, new Headers({ authorization: "Bearer abc" }), q)).toEqual({
      token: "abc",
      source: { kind: "header", name: "authorization" },
    });
    expect(extractToken(DEFAULT_EXTRACTION, new Headers({ authorization: "bearer   abc  " }), q)?.token).toBe(
      "abc",
    );
    expect(extractToken(DEFAULT_EXTRACTION, new Headers({ authorization: "Basic abc" }), q)).toBeUndefined();
    expect(extractToken(DEFAULT_EXTRACTION, new Headers({ authorization: "Bearerabc" }), q)).toBeUndefined();
    expect(extractToken(DEFAULT_EXTRACTION, new Headers({ authorization: "Bearer" }), q)?.token).toBe("");
    expect(extractToken(DEFAULT_EXTRACTION, new Headers({ cookie: "session=x" }), q)).toBeUndefined();
  });

  it("headers in order, then cookies, then params", () => {
    const plan = compileExtraction({
      headers: [{ name: "X-Token" }, { name: "Authorization", valuePrefix: "JWT " }],
      cookies: ["a", "b"],
      params: ["t1", "t2"],
    });
    const q = new URLSearchParams("t2=p2&t1=p1");
    const read = (h: Record<string, string>, query = q) => extractToken(plan, new Headers(h), query)?.token;
    expect(read({ "x-token": "h1", authorization: "JWT h2", cookie: "a=c1" })).toBe("h1");
    expect(read({ authorization: "jwt h2", cookie: "a=c1" })).toBe("h2");
    expect(read({ authorization: "Bearer no", cookie: "b=c2; a=c1" })).toBe("c1");
    expect(read({ cookie: "b=c2" })).toBe("c2");
    expect(read({})).toBe("p1");
    expect(read({}, new URLSearchParams("t2=p2"))).toBe("p2");
    expect(read({}, new URLSearchParams())).toBeUndefined();
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

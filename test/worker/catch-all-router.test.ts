import { describe, expect, it } from "vitest";
import { CatchAllRouter } from "../../src/worker/catch-all-router.ts";

describe("CatchAllRouter", () => {
  it("answers every method and path with the one catch-all handler", () => {
    const router = new CatchAllRouter<string>();
    router.add("ALL", "/*", "handler");
    expect(router.match("GET", "/")).toEqual([[["handler", {}]]]);
    expect(router.match("POST", "/any/path")).toEqual([[["handler", {}]]]);
  });

  it("matches nothing before the route is added", () => {
    expect(new CatchAllRouter<string>().match("GET", "/")).toEqual([[]]);
  });

  it("refuses any route but one catch-all, naming it", () => {
    const router = new CatchAllRouter<string>();
    expect(() => router.add("GET", "/users", "h")).toThrow(/not GET \/users/);
    router.add("ALL", "*", "h");
    expect(() => router.add("ALL", "*", "again")).toThrow(/one app\.all/);
  });
});

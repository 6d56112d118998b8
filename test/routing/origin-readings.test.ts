/**
 * The origin readings (`src/routing/origin-readings.ts`): each reads a normalised path the way its
 * origins do, only when the path holds the characters it cares about, and a masked-off reading is
 * never computed.
 */
import { describe, expect, it } from "vitest";
import {
  ALL_READINGS,
  enabledReadings,
  originReadings,
  PATH_READING_NAMES,
  UNREADABLE,
} from "../../src/routing/origin-readings.ts";

function readingsOf(path: string, mask = ALL_READINGS) {
  return originReadings(path, mask, false).map((r) => [
    r.name,
    r.path === UNREADABLE ? "unreadable" : r.path,
  ]);
}

const only = (name: (typeof PATH_READING_NAMES)[number]) => 1 << PATH_READING_NAMES.indexOf(name);

describe("each reading", () => {
  it.each([
    ["semicolonParameters", "/private;x/data", "/private/data"],
    ["semicolonParameters", "/private;jsessionid=1", "/private"],
    ["semicolonParameters", "/;x/private", "/private"],
    ["caseInsensitive", "/PRIVATE/Data", "/private/data"],
    ["caseInsensitive", "/Private/%C3%A9", "/private/%C3%A9"],
    ["trailingDotsAndSpaces", "/private./x", "/private/x"],
    ["trailingDotsAndSpaces", "/private%20/x", "/private/x"],
    ["trailingDotsAndSpaces", "/private.%20.", "/private"],
    ["invisibleCharacters", "/pri%09vate", "/private"],
    ["invisibleCharacters", "/private%0D%0A/x", "/private/x"],
    ["invisibleCharacters", "/pri%E2%80%8Bvate", "/private"],
    ["invisibleCharacters", "/pri%C2%ADvate", "/private"],
    ["invisibleCharacters", "/%EF%BB%BFprivate", "/private"],
    ["doubleDecoding", "/%2570rivate", "/private"],
    ["doubleDecoding", "/public/%252E%252E/private", "/private"],
    ["doubleDecoding", "/public%252F..%252Fprivate", "/private"],
    ["doubleDecoding", "/public/%25C0%25AE%25C0%25AE/private", "/private"],
    ["doubleDecoding", "/public/%25E0%2580%25AE%25E0%2580%25AE%25C0%25AFprivate", "/private"],
    ["doubleDecoding", "/a%2500", "unreadable"],
    ["doubleDecoding", "/a%25FF", "unreadable"],
  ] as const)("%s reads %s as %s", (name, path, read) => {
    expect(readingsOf(path, only(name))).toEqual([[name, read]]);
  });

  it("leaves alone a path without the characters it reads (nothing computed)", () => {
    for (const path of ["/private/data", "/a-b_c~d/e.txt", "/%C3%A9t%C3%A9"]) {
      expect(readingsOf(path)).toEqual([]);
    }
  });

  it("composes the readings that apply, each on the previous one's result", () => {
    expect(readingsOf("/PRIVATE;x./data")).toEqual([
      ["semicolonParameters", "/PRIVATE/data"],
      ["caseInsensitive", "/private;x./data"],
      ["trailingDotsAndSpaces", "/PRIVATE;x/data"],
      ["semicolonParameters+caseInsensitive", "/private/data"],
    ]);
    // The second decoding exposes upper case: %2550 is P.
    expect(readingsOf("/%2550rivate")).toEqual([
      ["doubleDecoding", "/Private"],
      ["doubleDecoding+caseInsensitive", "/private"],
    ]);
  });

  it("computes only the readings in the mask", () => {
    const mask = ALL_READINGS & ~only("caseInsensitive");
    expect(readingsOf("/PRIVATE;x", mask)).toEqual([["semicolonParameters", "/PRIVATE"]]);
  });
});

describe("enabledReadings", () => {
  it("is every reading unless the cluster, or else the table, turns one off", () => {
    expect(enabledReadings(undefined, undefined)).toBe(ALL_READINGS);
    expect(enabledReadings({ caseInsensitive: false }, undefined)).toBe(
      ALL_READINGS & ~only("caseInsensitive"),
    );
    expect(enabledReadings({ caseInsensitive: false }, { caseInsensitive: true })).toBe(ALL_READINGS);
    expect(enabledReadings(undefined, { doubleDecoding: false, semicolonParameters: false })).toBe(
      ALL_READINGS & ~only("doubleDecoding") & ~only("semicolonParameters"),
    );
  });
});

/** Route table text → data: YAML and JSON alike, plain data only, every syntax problem with a position. */
import { describe, expect, it } from "vitest";
import { parseRouteTableText } from "../../src/config/parse.ts";

describe("parseRouteTableText", () => {
  it("reads YAML and JSON into the same data", () => {
    const yaml = "version: 1\nroutes:\n  - id: a\n    rules: [{}]\n";
    const json = '{"version": 1, "routes": [{"id": "a", "rules": [{}]}]}';
    expect(parseRouteTableText(yaml)).toEqual(parseRouteTableText(json));
  });

  it("reads JSON objects as the YAML parser does, escapes, numbers and odd keys included", () => {
    const samples = [
      '{"a": "\\u00e9\\n\\"q\\" \\\\ \\/", "b": [1, -0.5, 1e3, 1E-2, 12345678901234567890], "c": null}',
      '{"k:ey": "va:lue", "__proto__": {"x": 1}, "": [], "t": true, "f": false}',
      '\n  {"nested": {"deep": [{"x": {"y": "z"}}]}}  \n',
      '{"a":1,\t"b":\t2}',
    ];
    for (const text of samples) {
      const viaJson = parseRouteTableText(text);
      // The same text as YAML only: a leading comment keeps it off the JSON road.
      const viaYaml = parseRouteTableText(`# yaml\n${text}`);
      expect(viaJson, text).toEqual(viaYaml);
      expect(JSON.stringify(viaJson)).toBe(JSON.stringify(viaYaml));
    }
  });

  it("refuses a key repeated in a JSON object, as YAML does, with its position", () => {
    expect(() => parseRouteTableText('{"version": 1,\n "routes": [],\n "routes": []}')).toThrow(
      "line 3, column 2: duplicate key (each field may appear once in a mapping)",
    );
    expect(() => parseRouteTableText('{"a": {"b": "x:y", "b": 2}}')).toThrow(/duplicate key/);
  });

  it("reads a long JSON key as YAML does", () => {
    const text = `{"${"k".repeat(1025)}": 1}`;
    expect(parseRouteTableText(text)).toEqual(parseRouteTableText(`# yaml\n${text}`));
  });

  it("uses the YAML 1.2 core schema: yes/no/on stay strings, 0o17 and 1e3 are numbers", () => {
    expect(parseRouteTableText("a: yes\nb: on\nc: 0o17\nd: 1e3\ne: 012\n")).toEqual({
      a: "yes",
      b: "on",
      c: 15,
      d: 1000,
      e: 12,
    });
  });

  it("refuses duplicate keys, with the position of the second", () => {
    expect(() => parseRouteTableText("version: 1\nroutes: []\nroutes: []\n")).toThrow(
      "line 3, column 1: duplicate key (each field may appear once in a mapping)",
    );
  });

  it("refuses tags: nothing is constructed from the file", () => {
    expect(() => parseRouteTableText('routes: !!js/function "x"\n')).toThrow(
      /^line 1, column 9: .*tags are not supported/,
    );
  });

  it("refuses a second document", () => {
    expect(() => parseRouteTableText("version: 1\n---\nversion: 1\n")).toThrow(/one YAML document/);
  });

  it("reports syntax errors with their line and column", () => {
    expect(() => parseRouteTableText("version: 1\nroutes:\n  - id: a\n     rules: []\n")).toThrow(
      /^line 3, column 9: /,
    );
    expect(() => parseRouteTableText('{\n  "version": 1\n  "routes": []\n}\n')).toThrow(
      /^line 2, column 14: /,
    );
  });

  it("reports an alias without an anchor at the alias", () => {
    expect(() => parseRouteTableText("version: 1\nroutes: *missing\n")).toThrow(
      'line 2, column 9: no anchor "&missing" before this alias',
    );
  });

  it("bounds alias expansion (no billion laughs)", () => {
    const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++) {
      const name = String.fromCharCode(97 + i);
      const previous = String.fromCharCode(96 + i);
      lines.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(", ")}]`);
    }
    expect(() => parseRouteTableText(`${lines.join("\n")}\n`)).toThrow(/alias/i);
  });

  it("says an empty file is empty", () => {
    expect(() => parseRouteTableText("")).toThrow(/^is empty/);
    expect(() => parseRouteTableText("# only a comment\n")).toThrow(/^is empty/);
  });
});

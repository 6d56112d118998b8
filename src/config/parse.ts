/**
 * Route table text → plain data. YAML 1.2 (core schema) covers JSON too, so one parser reads both and
 * reports positions the same way. Only data comes out: no custom tags, no type coercion beyond YAML's
 * core scalars, duplicate keys refused, and alias expansion bounded (no "billion laughs").
 */
import { parseDocument } from "yaml";

/** Parse a route table file's text. Throws an `Error` naming the line and column of the first problem. */
export function parseRouteTableText(text: string): unknown {
  const document = parseDocument(text, {
    schema: "core",
    uniqueKeys: true,
    prettyErrors: true,
    strict: true,
  });
  const problem = document.errors[0] ?? document.warnings[0];
  if (problem) {
    const at = problem.linePos?.[0];
    const where = at ? `line ${at.line}, column ${at.col}: ` : "";
    throw new Error(`${where}${describe(problem.code, problem.message)}`);
  }
  // `maxAliasCount` bounds how far aliases may expand: a few kilobytes must not become gigabytes.
  return document.toJS({ maxAliasCount: 100 });
}

function describe(code: string, pretty: string): string {
  // The position goes in front; drop the library's own " at line L, column C:" and source excerpt.
  const message = pretty.replace(/ at line \d+, column \d+:?[\s\S]*$/, "");
  // The yaml library's messages are good; a few get the wording a route-table author needs.
  if (code === "DUPLICATE_KEY") return "duplicate key (each field may appear once in a mapping)";
  if (code === "MULTIPLE_DOCS") return 'a route table file holds one YAML document (found a second "---")';
  if (code === "TAG_RESOLVE_FAILED")
    return `${message} (route tables hold plain data: tags are not supported)`;
  return message;
}

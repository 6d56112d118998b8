/**
 * Route table text → plain data. YAML 1.2 (core schema) covers JSON too, so one parser reads both and
 * reports positions the same way. Only data comes out: no custom tags, no type coercion beyond YAML's
 * core scalars, duplicate keys refused, and alias expansion bounded (no "billion laughs").
 */
import { type Document, LineCounter, parseDocument, visit } from "yaml";

/** Parse a route table file's text. Throws an `Error` naming the line and column of the first problem. */
export function parseRouteTableText(text: string): unknown {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, {
    schema: "core",
    uniqueKeys: true,
    prettyErrors: true,
    strict: true,
    lineCounter,
  });
  const problem = document.errors[0] ?? document.warnings[0];
  if (problem) {
    const at = problem.linePos?.[0];
    const where = at ? `line ${at.line}, column ${at.col}: ` : "";
    throw new Error(`${where}${describe(problem.code, problem.message)}`);
  }
  if (document.contents === null) throw new Error("is empty (a route table starts with `version: 1`)");
  // The parser accepts an alias whose anchor is missing; `toJS` would refuse it without a position.
  const alias = firstUnresolvedAlias(document);
  if (alias) {
    const { line, col } = lineCounter.linePos(alias.offset);
    throw new Error(`line ${line}, column ${col}: no anchor "&${alias.name}" before this alias`);
  }
  // `maxAliasCount` bounds how far aliases may expand: a few kilobytes must not become gigabytes.
  return document.toJS({ maxAliasCount: 100 });
}

function firstUnresolvedAlias(document: Document): { name: string; offset: number } | undefined {
  let found: { name: string; offset: number } | undefined;
  visit(document, {
    Alias(_, node) {
      if (node.resolve(document) !== undefined) return undefined;
      found = { name: node.source, offset: node.range?.[0] ?? 0 };
      return visit.BREAK;
    },
  });
  return found;
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

/**
 * Route table text → plain data. YAML 1.2 (core schema) covers JSON too, so one parser reads both and
 * reports positions the same way; a JSON object that reads the same either way takes JSON.parse, the
 * faster road to the same data (`parsedAsJson`). Only data comes out: no custom tags, no type coercion beyond YAML's
 * core scalars, duplicate keys refused, and alias expansion bounded (no "billion laughs").
 */
import { type Document, LineCounter, parseDocument, visit } from "yaml";

/** Parse a route table file's text. Throws an `Error` naming the line and column of the first problem. */
export function parseRouteTableText(text: string): unknown {
  const json = parsedAsJson(text);
  if (json !== undefined) return json.value;
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

/**
 * The JSON reading of `text` when it is a JSON object that YAML reads the same way, else undefined.
 * YAML 1.2 reads JSON as JSON but refuses a key repeated in one object, which JSON.parse accepts
 * (keeping the last): such a text, or anything JSON.parse refuses, goes to the YAML parser, which
 * says where. A large table is mostly JSON written by tools: JSON.parse reads it an order of
 * magnitude faster, with a fraction of the memory of the YAML document (16,000 routes: most of
 * `validate`'s time and garbage went to the YAML parser).
 */
function parsedAsJson(text: string): { value: unknown } | undefined {
  const start = text.search(/\S/);
  if (start === -1 || text[start] !== "{") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  // Fewer keys than `"name":` members written: a key was repeated (JSON.parse kept the last).
  return memberCount(value) === membersWritten(text) ? { value } : undefined;
}

/** Keys of every object in a JSON value. */
function memberCount(value: unknown): number {
  let count = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item !== "object" || item === null) continue;
    if (Array.isArray(item)) {
      for (const element of item) pending.push(element);
      continue;
    }
    for (const key of Object.keys(item)) {
      count++;
      pending.push((item as Record<string, unknown>)[key]);
    }
  }
  return count;
}

/** The `:` outside strings in valid JSON text: one per object member written. */
function membersWritten(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x3a) count++;
    else if (code === 0x22) {
      // Skip the string, escapes included.
      for (i++; i < text.length; i++) {
        const inner = text.charCodeAt(i);
        if (inner === 0x5c) i++;
        else if (inner === 0x22) break;
      }
    }
  }
  return count;
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

/**
 * Walking a zod schema beside the input it judged, for what zod's issues do not say: which keys an object
 * accepts (`zod-problems.ts`) and which parts of a malformed table are still well-shaped (`salvage.ts`).
 * Reads zod v4's `_zod.def`, the internal definition both classic and mini schemas carry.
 */
import type { z } from "zod";

export interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  in?: z.ZodType;
  out?: z.ZodType;
  value?: unknown;
  values?: unknown[];
}

export function def(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/**
 * Through optional/default/nullable/pipe wrappers, and into the union branch the input names (by its
 * discriminator, or the only object branch): the schema that governs `input`, or undefined.
 */
export function resolve(schema: z.ZodType, input: unknown): z.ZodType | undefined {
  for (let depth = 0; depth < 32; depth++) {
    const d = def(schema);
    if (
      d.innerType &&
      ["optional", "default", "nullable", "readonly", "prefault", "catch"].includes(d.type)
    ) {
      schema = d.innerType;
    } else if (d.type === "pipe" && d.in) {
      schema = d.in;
    } else if (d.type === "union" && d.options) {
      const branch = pickBranch(d, input);
      if (!branch) return undefined;
      schema = branch;
    } else {
      return schema;
    }
  }
  return undefined;
}

function pickBranch(d: Def, input: unknown): z.ZodType | undefined {
  const objects = d.options!.map((option) => resolveShape(option)).filter((o) => o !== undefined);
  if (d.discriminator && isRecord(input)) {
    const tag = input[d.discriminator];
    return objects.find((o) => {
      const literal = def(o).shape?.[d.discriminator!];
      return literal !== undefined && literalValues(literal).includes(tag);
    });
  }
  return objects.length === 1 ? objects[0] : undefined;
}

function resolveShape(schema: z.ZodType): z.ZodType | undefined {
  const resolved = resolve(schema, undefined);
  return resolved && def(resolved).type === "object" ? resolved : undefined;
}

function literalValues(schema: z.ZodType): unknown[] {
  const d = def(resolve(schema, undefined) ?? schema);
  if (d.type === "literal") return d.values ?? [d.value];
  return [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

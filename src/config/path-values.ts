/**
 * The percent-encoding rules Gateway API sets for `Exact` and `PathPrefix` values: no encoded `/`
 * (`%2F`, `%2f`), which would stand for a separator no request path can hold, and every `%` followed
 * by two hex digits. Zod-free, so `gatehouse validate` and the Worker's stored-table check share it.
 */
export function pathEncodingProblem(value: string): string | undefined {
  for (let at = value.indexOf("%"); at !== -1; at = value.indexOf("%", at + 1)) {
    const digits = value.slice(at + 1, at + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(digits)) {
      return `has a "%" not followed by two hex digits ("${value.slice(at, at + 3)}")`;
    }
    if (digits.toUpperCase() === "2F") return `must not contain an encoded "/" ("%${digits}")`;
  }
  return undefined;
}

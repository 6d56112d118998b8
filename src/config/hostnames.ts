/**
 * What a hostname in a route table may be: a DNS name (RFC 1123 labels: letters, digits and inner
 * hyphens, at most 63 characters each, 253 in all), or where a wildcard is allowed `*.` followed by one.
 * Decided, as Gateway API does: no IP addresses, no ports (the request's port is ignored when matching),
 * no trailing dot, and `*` only as the whole first label. Letters may be in any case; matching ignores it.
 */

export interface HostnameRules {
  /** `*.example.com` allowed (route hostnames), or a plain name only (rewrites, cluster Host). */
  readonly wildcard: boolean;
}

const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Why `value` is not an acceptable hostname, or undefined when it is. */
export function hostnameProblem(value: string, rules: HostnameRules): string | undefined {
  if (value === "") return "must not be empty";
  if (value.includes("://")) return "must be a hostname, not a URL";
  if (value.startsWith("[") || (value.match(/:/g)?.length ?? 0) > 1) {
    return "must be a DNS name: IP addresses are not allowed";
  }
  if (value.includes(":")) return "must not include a port (the request's port is ignored when matching)";
  if (value.includes("/")) return "must be a hostname without a path";
  if (value === "*") {
    return rules.wildcard
      ? "is not a hostname: leave hostnames out to match every host"
      : "must not be a wildcard";
  }

  let name = value;
  if (value.startsWith("*.")) {
    if (!rules.wildcard) return "must not be a wildcard";
    name = value.slice(2);
  }
  if (name.includes("*")) {
    return rules.wildcard
      ? 'must have its wildcard as the whole first label, as in "*.example.com"'
      : "must not contain a wildcard";
  }
  if (name.endsWith(".")) return "must not end with a dot";
  if (value.length > 253) return "must be at most 253 characters";
  if (IPV4.test(name)) return "must be a DNS name: IP addresses are not allowed";

  const labels = name.split(".");
  for (const label of labels) {
    if (label === "") return "has an empty label (two dots in a row, or a leading dot)";
    if (label.length > 63) return "has a label longer than 63 characters";
    if (!LABEL.test(label)) {
      const bad = label.match(/[^A-Za-z0-9-]/)?.[0];
      return bad === undefined
        ? `has a label that starts or ends with "-"`
        : `has a character not allowed in a DNS name: ${JSON.stringify(bad)}`;
    }
  }
  if (/^\d+$/.test(labels[labels.length - 1]!)) return "must not end in an all-digit label";
  return undefined;
}

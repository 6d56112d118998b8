/**
 * A tagged template for server-rendered HTML in which every interpolated value is escaped unless it
 * is itself the output of `html` — so text from the route table (route ids, header values, URLs) can
 * never become markup.
 */

const SAFE = Symbol("safe-html");

export interface SafeHtml {
  readonly [SAFE]: true;
  readonly text: string;
}

type Fragment = SafeHtml | string | number | boolean | null | undefined | readonly Fragment[];

export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

function render(value: Fragment): string {
  if (value === null || value === undefined || value === false) return "";
  if (Array.isArray(value)) return value.map(render).join("");
  if (typeof value === "object") return (value as SafeHtml).text;
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Fragment[]): SafeHtml {
  let text = strings[0] ?? "";
  values.forEach((value, i) => {
    text += render(value) + (strings[i + 1] ?? "");
  });
  return { [SAFE]: true, text };
}

/** Markup written by us, never built from data (the page's own stylesheet). */
export function trustedHtml(constant: string): SafeHtml {
  return { [SAFE]: true, text: constant };
}

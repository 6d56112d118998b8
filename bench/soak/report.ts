/**
 * The soak run as Markdown: one row per scenario (what was sent, what arrived, what was lost), the
 * figures behind each, the ramp's steps and the checks. docs/reliability.md holds the full run's output
 * between its `soak:begin` and `soak:end` markers; the prose around them is written by hand.
 */
import type { ScenarioResult } from "./scenarios.ts";

const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–");
const ms = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(1) : fmt(n)) : "–");

export function renderReport(results: ScenarioResult[], header: string): string {
  const out: string[] = [header, ""];
  out.push("| # | scenario | sent | arrived | lost | result |", "|---|---|---|---|---|---|");
  for (const r of results) {
    out.push(
      `| ${r.id} | ${r.name} | ${r.sent} | ${r.arrived} | ${r.lost} | ${r.passed ? "pass" : "**FAIL**"} |`,
    );
  }
  out.push(
    "",
    "| # | requests | answered by status | retries | sessions opened / closed / dropped | closed by a killed pod / reconnected | messages sent / received / lost / misrouted / reordered | SSE events | p50 / p99 ms | workerd CPU µs |",
    "|---|---:|---|---:|---|---|---|---:|---|---|",
  );
  for (const r of results) {
    const status =
      Object.entries(r.byStatus)
        .sort()
        .map(([s, n]) => `${s === "0" ? "none" : s}: ${fmt(n)}`)
        .join(", ") || "–";
    const s = r.sessions;
    const m = r.messages;
    out.push(
      `| ${r.id} | ${fmt(r.requests)} | ${status} | ${fmt(r.retries)} | ${fmt(s.opened)} / ${fmt(s.closed)} / ${fmt(s.dropped)} | ` +
        `${fmt(s.closedByPod)} / ${fmt(s.reconnected)} | ${fmt(m.messagesSent)} / ${fmt(m.messagesReceived)} / ${fmt(m.lost)} / ` +
        `${fmt(m.misrouted)} / ${fmt(m.reordered)} | ${fmt(m.events)} | ${ms(r.p50)} / ${ms(r.p99)} (${r.latencyOf === "ws" ? "WebSocket round trip" : "HTTP"}) | ` +
        `${Number.isFinite(r.cpuUs) ? r.cpuUs.toFixed(0) : "–"} per ${r.cpuPer} |`,
    );
  }
  for (const r of results) {
    out.push("", `### ${r.id}. ${r.name}`, "");
    if (r.rows) {
      out.push(`| ${r.rows[0]!.join(" | ")} |`, `|${r.rows[0]!.map(() => "---").join("|")}|`);
      for (const row of r.rows.slice(1)) out.push(`| ${row.join(" | ")} |`);
      out.push("");
    }
    for (const note of r.notes) out.push(note, "");
    for (const c of r.checks) out.push(`- ${c.ok ? "✓" : "✗ **failed**:"} ${c.what}: ${c.detail}`);
  }
  return `${out.join("\n")}\n`;
}

/**
 * One origin pod (scripts/origin-pod.ts) in a process of its own, so the soak suite can SIGKILL it as a
 * node failure would, and start it again on the same port. Prints its port on stdout once listening.
 * Commands arrive on stdin, one JSON object a line:
 *
 *   {"delayMs": 5000}   answer every HTTP request 5 s late (0: on time again); WebSockets are not delayed
 *
 *   node --import tsx bench/soak/pod-process.ts NAME [PORT]
 */
import { createInterface } from "node:readline";
import { startOriginPod } from "../../scripts/origin-pod.ts";

const [name = "pod", port = "0"] = process.argv.slice(2);
// Not recorded: the soak sends hundreds of thousands of requests and reads none of them back.
const pod = await startOriginPod(name, Number(port), { record: false });
process.stdout.write(`${pod.port}\n`);

createInterface({ input: process.stdin }).on("line", (line) => {
  const command = JSON.parse(line) as { delayMs?: number };
  if (command.delayMs !== undefined) {
    pod.delayNext(command.delayMs > 0 ? Number.MAX_SAFE_INTEGER : 0, command.delayMs);
  }
});
// Gone with the suite: on SIGTERM, and when the parent's end of stdin closes (even if it was killed).
process.on("SIGTERM", () => process.exit(0));
process.stdin.on("close", () => process.exit(0));

/**
 * `gatehouse explain FILE "METHOD URL" [-H "name: value"]...` and the batch form
 * `gatehouse explain FILE --requests REQUESTS.jsonl`: which route and rule a request matches and where
 * it would go, one JSON object per request on stdout. The table is compiled once per run.
 */
import { open } from "node:fs/promises";
import { createInterface } from "node:readline";
import { z } from "zod";
import { HEADER_NAME_PATTERN, HEADER_VALUE_PATTERN } from "../../config/constants.ts";
import { formatProblem } from "../../config/validate.ts";
import { issuesToProblems, readableMessage } from "../../config/zod-problems.ts";
import { type CompiledRouteTable, compileRouteTable } from "../../routing/index.ts";
import { parseCommandLine } from "../args.ts";
import {
  CliInputError,
  CliUsageError,
  type Command,
  type CommandIO,
  EXIT_INVALID,
  EXIT_OK,
  progress,
} from "../command.ts";
import { explainRequest, parseRequestUrl } from "../explain-request.ts";
import { loadRouteTableFile, printWarnings } from "../load-table.ts";

const USAGE = `gatehouse explain FILE "METHOD URL" [-H "name: value"]... [--json]
       gatehouse explain FILE --requests REQUESTS.jsonl [--json]`;

const HELP = `What the gateway would do with a request, decided by the worker's own matcher and rewrites:
the route and rule (the rule's name, else its index, as the access log names it), the TLS policy, the
JWT it requires, the rewrites and header changes, and the URL and Host the origin really receives over
the cluster's transport. One JSON object per request on stdout (the output is always JSON; --json is
accepted for symmetry with the other commands).

  FILE                         the route table (YAML or JSON)
  "METHOD URL"                 one argument: a method and an absolute http(s) URL
  -H, --header "name: value"   a request header (repeatable)
  --requests FILE              one request per line, {"method", "url", "headers"}; "-" reads stdin;
                               one result line per input line, in order
  --json                       (the default output)
  -h, --help                   this text

Answers:
  {"matched": true, "route", "rule", "backend", "upstreamUrl", "upstreamHost", "transport",
   "hostNotSent"?, "tls"?, "auth"?, "rewrite"?, "requestHeaders"?, "responseHeaders"?, "mirrors"?, "cors"?}
  {"matched": true, "route", "rule", "redirect": {"status", "location"}, ...}
  {"matched": true, "route", "rule", "status": 500 | 502 | 503, "reason", ...}
  {"matched": false, "status": 404}
  {"matched": false, "status": 400, "reason"}   (a path the gateway refuses)
Not simulated: token verification, passive health, session affinity.`;

export const explainCommand: Command = {
  name: "explain",
  summary: "show which route and rule a request matches, and where it would go",
  usage: USAGE,
  help: HELP,
  async run(args, io) {
    const { positionals, values } = parseCommandLine(args, {
      header: { type: "string", short: "H", multiple: true },
      requests: { type: "string" },
      json: { type: "boolean" },
    });
    const headerArgs = (values.header as string[] | undefined) ?? [];
    const requestsFile = values.requests as string | undefined;

    if (requestsFile !== undefined) {
      if (positionals.length !== 1) throw new CliUsageError("with --requests, expected only FILE");
      if (headerArgs.length > 0)
        throw new CliUsageError("-H cannot be combined with --requests (give headers per line)");
    } else if (positionals.length !== 2) {
      throw new CliUsageError('expected FILE and one "METHOD URL"');
    }
    // Arguments are checked before the table is read, so a usage error is reported as one.
    const single = requestsFile === undefined ? parseRequestArgument(positionals[1]!, headerArgs) : undefined;

    const loaded = await loadRouteTableFile(positionals[0]!, {
      progress: (text) => progress(io, "explain", text),
    });
    printWarnings(io.stderr, loaded.warnings);
    const compiled = compileRouteTable(loaded.table);

    if (single) {
      io.stdout(`${JSON.stringify(explainRequest(compiled, single))}\n`);
      return EXIT_OK;
    }
    return explainBatch(compiled, requestsFile!, io);
  },
};

const TOKEN = HEADER_NAME_PATTERN;

function parseRequestArgument(text: string, headerArgs: string[]) {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 2) throw new CliUsageError(`expected "METHOD URL", got ${JSON.stringify(text)}`);
  const [method, url] = parts as [string, string];
  if (!TOKEN.test(method)) throw new CliUsageError(`${JSON.stringify(method)} is not an HTTP method`);
  try {
    parseRequestUrl(url);
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  const headers = headerArgs.map((header): [string, string] => {
    const colon = header.indexOf(":");
    const name = colon > 0 ? header.slice(0, colon).trim() : "";
    if (!TOKEN.test(name)) throw new CliUsageError(`-H ${JSON.stringify(header)}: expected "name: value"`);
    const value = header.slice(colon + 1).trim();
    if (!HEADER_VALUE_PATTERN.test(value)) {
      throw new CliUsageError(
        `-H ${JSON.stringify(header)}: the value has characters no HTTP header can hold`,
      );
    }
    return [name, value];
  });
  return { method, url, headers };
}

const RequestLineSchema = z.strictObject({
  method: z.string().regex(TOKEN, { message: "is not an HTTP method" }),
  url: z.string(),
  // Checked here, so that a bad header is this line's error in our words, not the Headers class's.
  headers: z
    .record(
      z.string().regex(TOKEN, { message: "is not a valid HTTP header name" }),
      z.string().regex(HEADER_VALUE_PATTERN, { message: "has characters no HTTP header value can hold" }),
    )
    .optional(),
});

/** One result line per input line, in order; a malformed line gets `{"error", "line"}` and exit 1. */
async function explainBatch(compiled: CompiledRouteTable, file: string, io: CommandIO): Promise<number> {
  let input: NodeJS.ReadableStream;
  if (file === "-") {
    input = io.stdin ?? process.stdin;
  } else {
    try {
      input = (await open(file)).createReadStream({ encoding: "utf8" });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new CliInputError([
        `${file}: cannot read (${code === "ENOENT" ? "no such file" : (code ?? String(error))})`,
      ]);
    }
  }

  let malformed = 0;
  let lineNumber = 0;
  let buffered = "";
  for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    lineNumber++;
    let result: unknown;
    try {
      result = explainRequest(compiled, parseRequestLine(line));
    } catch (error) {
      malformed++;
      result = { error: (error as Error).message, line: lineNumber };
    }
    buffered += `${JSON.stringify(result)}\n`;
    if (buffered.length >= 65536) {
      io.stdout(buffered);
      buffered = "";
    }
  }
  if (buffered) io.stdout(buffered);
  if (malformed > 0) {
    io.stderr(`${file}: ${malformed} malformed line${malformed === 1 ? "" : "s"}\n`);
    return EXIT_INVALID;
  }
  return EXIT_OK;
}

function parseRequestLine(line: string) {
  if (line.trim() === "") throw new Error("empty line");
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch (error) {
    throw new Error(`not JSON (${(error as Error).message})`);
  }
  const parsed = RequestLineSchema.safeParse(data, { error: readableMessage, reportInput: true });
  if (!parsed.success) {
    throw new Error(
      issuesToProblems(parsed.error.issues, RequestLineSchema, data).map(formatProblem).join("; "),
    );
  }
  return parsed.data;
}

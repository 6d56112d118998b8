/**
 * `gatehouse import PATH... [--output FILE] [--check] [--class NAME] [--endpoint-source SOURCE] [--transport T]`:
 * Kubernetes manifests in (files, directories, `-` for stdin), a route table out (stdout by default).
 * Every field, annotation or filter that cannot be honoured goes to stderr, one a line, in `validate`'s
 * words; the table itself goes through the same validation as any table before it is written.
 *
 * Exit 0 with the table written (problems, if any, on stderr); with `--check`, nothing is written and
 * the exit is 1 when anything cannot be honoured. 1 also when no table can be made, 2 on usage.
 */
import { writeFile } from "node:fs/promises";
import { stringify } from "yaml";
import type { Transport } from "../../config/schema.ts";
import { formatProblem, validateRouteTable } from "../../config/validate.ts";
import { readManifests } from "../../kubernetes/manifests.ts";
import type { EndpointSource } from "../../kubernetes/objects.ts";
import { formatImportProblem, translate } from "../../kubernetes/translate.ts";
import { parseCommandLine } from "../args.ts";
import { CliInputError, CliUsageError, type Command, EXIT_INVALID, EXIT_OK } from "../command.ts";
import { formatWarning } from "../load-table.ts";

const USAGE = `gatehouse import PATH... [--output FILE] [--check] [--class NAME] [--endpoint-source SOURCE]
                        [--transport TRANSPORT]

  PATH                      a manifest file (YAML, multi-document, kubectl's List, or JSON), a directory
                            of them (*.yaml, *.yml, *.json, recursively), or "-" for stdin
  -o, --output FILE         write the table there instead of stdout
  --check                   write nothing; exit 1 if anything cannot be honoured
  --class NAME              only Gateways of GatewayClass NAME and Ingresses of IngressClass NAME
  --endpoint-source SOURCE  ServiceDNS (default: each Service by its cluster DNS name) or EndpointSlices
                            (each ready pod), for Services no GatehousePolicy decides for
  --transport TRANSPORT     how clusters are reached when no GatehousePolicy says: vpc:BINDING,
                            access:CLIENT_ID_BINDING:CLIENT_SECRET_BINDING, or direct`;

export const importCommand: Command = {
  name: "import",
  summary: "turn Kubernetes Ingress and Gateway API manifests into a route table",
  usage: USAGE,
  async run(args, io) {
    const { positionals, values } = parseCommandLine(args, {
      output: { type: "string", short: "o" },
      check: { type: "boolean" },
      class: { type: "string" },
      "endpoint-source": { type: "string" },
      transport: { type: "string" },
    });
    if (positionals.length === 0) throw new CliUsageError("expected at least one PATH (or - for stdin)");
    const endpointSource = values["endpoint-source"] as string | undefined;
    if (
      endpointSource !== undefined &&
      endpointSource !== "ServiceDNS" &&
      endpointSource !== "EndpointSlices"
    )
      throw new CliUsageError(
        `--endpoint-source must be ServiceDNS or EndpointSlices, not ${JSON.stringify(endpointSource)}`,
      );
    const className = values.class as string | undefined;
    const transport = values.transport === undefined ? undefined : parseTransport(values.transport as string);

    const manifests = await readManifests(positionals, io.stdin);
    for (const problem of manifests.problems)
      io.stderr(`${problem.severity === "warning" ? "warning: " : ""}${problem.source}: ${problem.reason}\n`);
    const ignored = Object.entries(manifests.ignoredKinds).sort(([a], [b]) => a.localeCompare(b));
    if (ignored.length > 0)
      io.stderr(
        `note: not routed from, skipped: ${ignored.map(([kind, n]) => `${kind} (${n})`).join(", ")}\n`,
      );

    const translation = translate(manifests.objects, {
      ...(className !== undefined ? { className } : {}),
      ...(endpointSource !== undefined ? { endpointSource: endpointSource as EndpointSource } : {}),
      ...(transport !== undefined ? { transport } : {}),
    });
    for (const problem of translation.problems) io.stderr(`${formatImportProblem(problem)}\n`);

    const result = validateRouteTable(translation.table);
    if (!result.ok) {
      // The translator keeps out what validation refuses, so this is a translator defect: say so plainly.
      throw new CliInputError([
        "the imported table is not valid (please report it):",
        ...result.problems.map(formatProblem),
        ...result.warnings.map(formatWarning),
      ]);
    }
    for (const warning of result.warnings) io.stderr(`${formatWarning(warning)}\n`);

    const errors =
      manifests.problems.filter((p) => p.severity === "error").length +
      translation.problems.filter((p) => p.severity === "error").length;
    if (values.check) {
      io.stderr(
        errors === 0
          ? `import: everything can be honoured (${translation.table.routes.length} routes)\n`
          : `import: ${errors} problem${errors === 1 ? "" : "s"} cannot be honoured\n`,
      );
      return errors === 0 ? EXIT_OK : EXIT_INVALID;
    }
    const text = renderTable(translation.table, manifests.objects.length);
    const output = values.output as string | undefined;
    if (output === undefined) io.stdout(text);
    else {
      try {
        await writeFile(output, text);
      } catch (error) {
        throw new CliInputError([
          `${output}: cannot write (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        ]);
      }
    }
    return EXIT_OK;
  },
};

/** `vpc:BINDING`, `access:ID:SECRET` (binding names), `direct`: a transport for `--transport`. */
export function parseTransport(text: string): Transport {
  const [type, ...bindings] = text.split(":");
  const binding = /^[A-Za-z_][A-Za-z0-9_]*$/;
  if (type === "direct" && bindings.length === 0) return { type: "direct" };
  if (type === "vpc" && bindings.length === 1 && binding.test(bindings[0]!))
    return { type: "vpc", binding: bindings[0]! };
  if (type === "access" && bindings.length === 2 && bindings.every((b) => binding.test(b)))
    return { type: "access", clientId: { binding: bindings[0]! }, clientSecret: { binding: bindings[1]! } };
  throw new CliUsageError(
    `--transport must be vpc:BINDING, access:CLIENT_ID_BINDING:CLIENT_SECRET_BINDING or direct, not ${JSON.stringify(text)}`,
  );
}

/** The table as YAML, in the order an operator writes it, with where it came from on top. */
export function renderTable(table: unknown, objectCount: number): string {
  const header = `# Generated by gatehouse import from ${objectCount} Kubernetes object${objectCount === 1 ? "" : "s"}.\n`;
  return header + stringify(table, { lineWidth: 0, aliasDuplicateObjects: false });
}

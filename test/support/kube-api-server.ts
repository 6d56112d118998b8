/**
 * A small Kubernetes API server for tests, on 127.0.0.1, written from the API conventions
 * (https://github.com/kubernetes/community/blob/master/contributors/devel/sig-architecture/api-conventions.md)
 * and the API concepts page (list, watch, resource versions, bookmarks, status subresource). It is what
 * the controller's client (`@kubernetes/client-node`) and `kubectl` talk to; neither is told it is a test.
 *
 * What it does as a real API server does:
 * - discovery: /version, /api, /apis, /api/v1 and /apis/GROUP/VERSION resource lists (kubectl falls back
 *   to these when the answer to its aggregated-discovery Accept header is plain JSON, as old servers do);
 * - one global, increasing `resourceVersion` (etcd's revision), stamped on every write; lists carry it;
 * - watch: `?watch=true&resourceVersion=R` streams the events after R as newline-delimited JSON
 *   (`ADDED`, `MODIFIED`, `DELETED`); without R, synthetic `ADDED` for what exists first; with
 *   `allowWatchBookmarks=true`, periodic `BOOKMARK`s carrying the latest revision; a resourceVersion older
 *   than the compacted history gets an `ERROR` event holding a `410 Expired` Status, then the stream ends
 *   (a list with such an exact resourceVersion gets the same Status as a 410 response); `timeoutSeconds`;
 * - `metadata.uid`, `creationTimestamp`, `resourceVersion`; `metadata.generation` starts at 1 and is bumped
 *   only when something other than metadata (and status, where status is a subresource) changes;
 * - the `status` subresource: GET/PUT/PATCH on `.../NAME/status` change status only, never generation;
 *   writes to the main resource leave status as it was;
 * - create (POST), update (PUT, with the optimistic-concurrency check when the body names a
 *   resourceVersion), JSON merge patch, JSON patch (RFC 6902, `test` included) and, for built-in kinds,
 *   strategic merge patch taken as a merge patch (the fields used here have no patch strategy keys);
 *   server-side apply is refused with 415 as an API server without it would;
 * - delete (no finalizers: objects go at once), with `DELETED` carrying the last state at a new revision;
 * - errors as `Status` objects with the conventional reasons (NotFound, AlreadyExists, Conflict, Invalid,
 *   Expired, Unauthorized, MethodNotAllowed, UnsupportedMediaType);
 * - `kubectl get`'s Table form (meta.k8s.io/v1 Table) when asked for it, with NAME and AGE columns;
 * - HTTPS with its own certificate authority (in the kubeconfig), and bearer-token authentication when
 *   tokens are configured (each request is recorded with the user its token names): clients connect as
 *   they would to a cluster.
 *
 * What tests can do besides: compact the history (`compact`), cut every open watch and hold new ones
 * (`pauseWatches`/`resumeWatches`, a network partition), and make the next requests fail
 * (`failNext`). It keeps everything in memory and validates no schemas (no admission, no defaulting).
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ResourceType {
  group: string;
  /** Served versions; objects are stored once and served under any of them. */
  versions: string[];
  kind: string;
  plural: string;
  singular?: string;
  shortNames?: string[];
  namespaced: boolean;
  /** Has a `/status` subresource (status is then written there only). */
  status?: boolean;
  /** Whether the API sets `metadata.generation` (Leases, Events and Namespaces do not). */
  generation?: boolean;
}

/** The kinds a Gatehouse controller reads and writes, plus what kubectl and the cluster need around them. */
export const DEFAULT_RESOURCE_TYPES: ResourceType[] = [
  { group: "", versions: ["v1"], kind: "Namespace", plural: "namespaces", namespaced: false, status: true },
  {
    group: "",
    versions: ["v1"],
    kind: "Service",
    plural: "services",
    shortNames: ["svc"],
    namespaced: true,
    status: true,
    generation: true,
  },
  { group: "", versions: ["v1"], kind: "Event", plural: "events", shortNames: ["ev"], namespaced: true },
  { group: "", versions: ["v1"], kind: "Secret", plural: "secrets", namespaced: true },
  {
    group: "networking.k8s.io",
    versions: ["v1"],
    kind: "Ingress",
    plural: "ingresses",
    shortNames: ["ing"],
    namespaced: true,
    status: true,
    generation: true,
  },
  {
    group: "networking.k8s.io",
    versions: ["v1"],
    kind: "IngressClass",
    plural: "ingressclasses",
    namespaced: false,
    generation: true,
  },
  {
    group: "discovery.k8s.io",
    versions: ["v1"],
    kind: "EndpointSlice",
    plural: "endpointslices",
    namespaced: true,
    generation: true,
  },
  { group: "coordination.k8s.io", versions: ["v1"], kind: "Lease", plural: "leases", namespaced: true },
  {
    group: "events.k8s.io",
    versions: ["v1"],
    kind: "Event",
    plural: "events",
    shortNames: ["ev"],
    namespaced: true,
  },
  {
    group: "gateway.networking.k8s.io",
    versions: ["v1"],
    kind: "GatewayClass",
    plural: "gatewayclasses",
    shortNames: ["gc"],
    namespaced: false,
    status: true,
    generation: true,
  },
  {
    group: "gateway.networking.k8s.io",
    versions: ["v1"],
    kind: "Gateway",
    plural: "gateways",
    shortNames: ["gtw"],
    namespaced: true,
    status: true,
    generation: true,
  },
  {
    group: "gateway.networking.k8s.io",
    versions: ["v1"],
    kind: "HTTPRoute",
    plural: "httproutes",
    namespaced: true,
    status: true,
    generation: true,
  },
  {
    group: "gateway.networking.k8s.io",
    versions: ["v1beta1", "v1"],
    kind: "ReferenceGrant",
    plural: "referencegrants",
    shortNames: ["refgrant"],
    namespaced: true,
    generation: true,
  },
];

/** A CustomResourceDefinition object (apiextensions.k8s.io/v1) as the served resource it declares. */
export function resourceTypeFromCrd(crd: unknown): ResourceType {
  const spec = (crd as { spec?: Record<string, unknown> }).spec ?? {};
  const names = (spec.names ?? {}) as {
    kind: string;
    plural: string;
    singular?: string;
    shortNames?: string[];
  };
  const versions = (spec.versions ?? []) as {
    name: string;
    served?: boolean;
    subresources?: { status?: unknown };
  }[];
  const served = versions.filter((v) => v.served !== false);
  return {
    group: String(spec.group),
    versions: served.map((v) => v.name),
    kind: names.kind,
    plural: names.plural,
    ...(names.singular ? { singular: names.singular } : {}),
    ...(names.shortNames ? { shortNames: names.shortNames } : {}),
    namespaced: spec.scope === "Namespaced",
    status: served.some((v) => v.subresources?.status !== undefined),
    generation: true,
  };
}

type KubeObject = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata: Metadata;
};
interface Metadata {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  [key: string]: unknown;
}

type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

interface StoredEvent {
  revision: number;
  type: WatchEventType;
  resource: ResourceType;
  object: KubeObject;
}

interface OpenWatch {
  resource: ResourceType;
  version: string;
  namespace: string | undefined;
  filter: (object: KubeObject) => boolean;
  response: ServerResponse;
  bookmarks: boolean;
  timers: NodeJS.Timeout[];
}

export interface RecordedRequest {
  /** Who made it (from the bearer token), when the server has users. */
  user?: string;
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  contentType?: string;
}

export interface KubeApiServerOptions {
  resourceTypes?: ResourceType[];
  /** Bearer tokens and the user each one authenticates; when set, a request without one is 401. */
  users?: Record<string, string>;
  /** How often an open watch that allows them gets a BOOKMARK. */
  bookmarkIntervalMs?: number;
}

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

const MICROSECONDS = /\.\d+Z$/;

function nowRfc3339(): string {
  // metav1.Time serialises to whole seconds.
  return new Date().toISOString().replace(MICROSECONDS, "Z");
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stableJson(value: unknown): string {
  if (!isObject(value))
    return Array.isArray(value) ? `[${value.map(stableJson).join(",")}]` : JSON.stringify(value);
  return `{${Object.keys(value)
    .sort()
    .filter((k) => value[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${stableJson(value[k])}`)
    .join(",")}}`;
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** RFC 6902 JSON patch: add, remove, replace, move, copy, test. */
function jsonPatch(document: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw new ApiError(400, "BadRequest", "a JSON patch must be an array");
  let doc = clone(document);
  const parse = (pointer: string): string[] => {
    if (pointer === "") return [];
    if (!pointer.startsWith("/"))
      throw new ApiError(422, "Invalid", `invalid JSON pointer ${JSON.stringify(pointer)}`);
    return pointer
      .slice(1)
      .split("/")
      .map((t) => t.replaceAll("~1", "/").replaceAll("~0", "~"));
  };
  const parentOf = (tokens: string[]): { parent: unknown; key: string } => {
    let node: unknown = doc;
    for (const token of tokens.slice(0, -1)) {
      node = Array.isArray(node) ? node[Number(token)] : isObject(node) ? node[token] : undefined;
      if (node === undefined) throw new ApiError(422, "Invalid", `path ${tokens.join("/")} does not exist`);
    }
    return { parent: node, key: tokens.at(-1)! };
  };
  const read = (tokens: string[]): unknown => {
    let node: unknown = doc;
    for (const token of tokens) {
      node = Array.isArray(node) ? node[Number(token)] : isObject(node) ? node[token] : undefined;
      if (node === undefined) throw new ApiError(422, "Invalid", `path /${tokens.join("/")} does not exist`);
    }
    return node;
  };
  const remove = (tokens: string[]): unknown => {
    const { parent, key } = parentOf(tokens);
    const old = read(tokens);
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete (parent as Record<string, unknown>)[key];
    return old;
  };
  const add = (tokens: string[], value: unknown): void => {
    if (tokens.length === 0) {
      doc = clone(value);
      return;
    }
    const { parent, key } = parentOf(tokens);
    if (Array.isArray(parent)) parent.splice(key === "-" ? parent.length : Number(key), 0, clone(value));
    else if (isObject(parent)) parent[key] = clone(value);
    else throw new ApiError(422, "Invalid", `cannot add at /${tokens.join("/")}`);
  };
  for (const op of operations as { op: string; path: string; from?: string; value?: unknown }[]) {
    const path = parse(op.path);
    switch (op.op) {
      case "add":
        add(path, op.value);
        break;
      case "remove":
        remove(path);
        break;
      case "replace":
        remove(path);
        add(path, op.value);
        break;
      case "move":
        add(path, remove(parse(op.from ?? "")));
        break;
      case "copy":
        add(path, read(parse(op.from ?? "")));
        break;
      case "test":
        if (stableJson(read(path)) !== stableJson(op.value)) {
          throw new ApiError(422, "Invalid", `the test at ${op.path} failed`);
        }
        break;
      default:
        throw new ApiError(422, "Invalid", `unknown JSON patch operation ${JSON.stringify(op.op)}`);
    }
  }
  return doc;
}

/** `a=b,c!=d,e` equality-based label selectors (the set-based form is not needed here). */
function labelSelector(text: string | undefined): (object: KubeObject) => boolean {
  if (!text) return () => true;
  const terms = text.split(",").map((term) => {
    const m = /^\s*([^!=\s]+)\s*(==|=|!=)?\s*([^\s]*)\s*$/.exec(term);
    if (!m) throw new ApiError(400, "BadRequest", `unable to parse requirement ${JSON.stringify(term)}`);
    return { key: m[1]!, op: m[2], value: m[3] ?? "" };
  });
  return (object) =>
    terms.every(({ key, op, value }) => {
      const actual = object.metadata.labels?.[key];
      if (op === undefined) return actual !== undefined;
      return op === "!=" ? actual !== value : actual === value;
    });
}

/** `metadata.name=x,metadata.namespace=y` (what every resource supports). */
function fieldSelector(text: string | undefined): (object: KubeObject) => boolean {
  if (!text) return () => true;
  const terms = text.split(",").map((term) => {
    const m = /^(metadata\.name|metadata\.namespace)(==|=|!=)(.*)$/.exec(term.trim());
    if (!m) throw new ApiError(400, "BadRequest", `field label not supported: ${term}`);
    return { field: m[1] === "metadata.name" ? "name" : "namespace", negate: m[2] === "!=", value: m[3]! };
  });
  return (object) => terms.every(({ field, negate, value }) => (object.metadata[field] === value) !== negate);
}

export class KubeApiServer {
  readonly #types: ResourceType[];
  readonly #users: Record<string, string> | undefined;
  readonly #bookmarkIntervalMs: number;
  /** `group/plural` → `namespace/name` → object (stored with its group's first version). */
  readonly #objects = new Map<string, Map<string, KubeObject>>();
  #revision = 1000;
  /** Events with a revision below this are gone (etcd compaction); a watch from before them gets 410. */
  #compactedBelow = 0;
  readonly #history: StoredEvent[] = [];
  readonly #watches = new Set<OpenWatch>();
  #paused = false;
  readonly #held = new Set<ServerResponse>();
  #failures: { match: (method: string, path: string) => boolean; code: number; left: number }[] = [];
  readonly requests: RecordedRequest[] = [];
  /** Watches refused with 410 Expired (their resourceVersion was compacted away). */
  expiredWatches = 0;
  #server: Server | undefined;
  #url = "";

  constructor(options: KubeApiServerOptions = {}) {
    this.#types = options.resourceTypes ?? DEFAULT_RESOURCE_TYPES;
    this.#users = options.users;
    this.#bookmarkIntervalMs = options.bookmarkIntervalMs ?? 1000;
  }

  get url(): string {
    return this.#url;
  }

  /** The latest revision: what a list made now would carry. */
  get revision(): number {
    return this.#revision;
  }

  async start(): Promise<this> {
    const { key, cert } = serverCertificate();
    const server = createServer({ key, cert }, (req, res) => {
      void this.#handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.#server = server;
    this.#url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const watch of this.#watches) this.#endWatch(watch);
    for (const res of this.#held) res.end();
    this.#held.clear();
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * A kubeconfig for this server (bearer token if one is required; `server` to reach it through a
   * proxy on 127.0.0.1, which its certificate covers); write it to a file with `writeKubeconfig`.
   */
  kubeconfig(options: { namespace?: string; server?: string; token?: string } = {}): string {
    const { namespace = "default", server = this.#url, token = Object.keys(this.#users ?? {})[0] } = options;
    return [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: test",
      "  cluster:",
      `    server: ${server}`,
      `    certificate-authority-data: ${Buffer.from(serverCertificate().cert).toString("base64")}`,
      "users:",
      "- name: test",
      `  user: ${token ? `{ token: ${token} }` : "{}"}`,
      "contexts:",
      "- name: test",
      `  context: { cluster: test, user: test, namespace: ${namespace} }`,
      "current-context: test",
      "",
    ].join("\n");
  }

  /** A kubeconfig file in a fresh directory; `remove` deletes both. */
  writeKubeconfig(options: { token?: string } = {}): { path: string; dir: string; remove(): void } {
    const dir = mkdtempSync(join(tmpdir(), "gatehouse-kubeconfig-"));
    const path = join(dir, "config");
    writeFileSync(path, this.kubeconfig(options));
    return { path, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
  }

  // -------------------------------------------------------------------------------------------------
  // Test controls

  /** Forget the history before the latest revision, as etcd compaction does. */
  compact(): void {
    this.#compactedBelow = this.#revision;
    this.#history.length = 0;
  }

  /** Cut every open watch and hold new ones without events, as a partition between client and server. */
  pauseWatches(): void {
    this.#paused = true;
    for (const watch of [...this.#watches]) this.#endWatch(watch);
  }

  /** End the held watches: clients reconnect from where they were. */
  resumeWatches(): void {
    this.#paused = false;
    for (const res of this.#held) res.end();
    this.#held.clear();
  }

  /** Answer the next `count` requests matching `method` and the path pattern with a `code` Status. */
  failNext(count: number, code: number, method = "", path: RegExp = /./): void {
    this.#failures.push({
      match: (m, p) => (method === "" || m === method) && path.test(p),
      code,
      left: count,
    });
  }

  /** What is stored, as a client would GET it (under the group's first version). */
  get(kind: string, namespace: string | undefined, name: string, group?: string): KubeObject | undefined {
    const found = this.#table(this.#typeOf(kind, group)).get(`${namespace ?? ""}/${name}`);
    return found && clone(found);
  }

  /** Every stored object of a kind (`group` tells apart core Events from events.k8s.io Events). */
  list(kind: string, group?: string): KubeObject[] {
    return [...this.#table(this.#typeOf(kind, group)).values()].map(clone);
  }

  #typeOf(kind: string, group: string | undefined): ResourceType {
    const type = this.#types.find((t) => t.kind === kind && (group === undefined || t.group === group));
    if (!type) throw new Error(`unknown kind ${kind}${group ? ` in ${group}` : ""}`);
    return type;
  }

  // -------------------------------------------------------------------------------------------------
  // HTTP

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const query = Object.fromEntries(url.searchParams);
    const record: RecordedRequest = { method: req.method ?? "GET", path: url.pathname, query, status: 200 };
    if (req.headers["content-type"]) record.contentType = req.headers["content-type"];
    this.requests.push(record);
    if (this.requests.length > 5000) this.requests.splice(0, 1000);
    try {
      if (this.#users) {
        const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
        const user = token === undefined ? undefined : this.#users[token];
        if (user === undefined) throw new ApiError(401, "Unauthorized", "Unauthorized");
        record.user = user;
      }
      const failure = this.#failures.find((f) => f.left > 0 && f.match(record.method, url.pathname));
      if (failure) {
        failure.left--;
        this.#failures = this.#failures.filter((f) => f.left > 0);
        throw new ApiError(
          failure.code,
          failure.code === 429 ? "TooManyRequests" : "InternalError",
          "injected failure",
        );
      }
      const body = await readBody(req);
      const answer = this.#route(req, res, url, body);
      if (answer === undefined) return; // a watch: the response is streaming
      record.status = answer.status;
      this.#send(req, res, answer.status, answer.body);
    } catch (err) {
      const error =
        err instanceof ApiError
          ? err
          : new ApiError(500, "InternalError", err instanceof Error ? err.message : String(err));
      record.status = error.code;
      this.#send(req, res, error.code, statusObject(error));
    }
  }

  #send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
    if (res.headersSent) return;
    const wantsTable = /as=Table/.test(String(req.headers.accept ?? ""));
    const payload = wantsTable && status === 200 && isObject(body) ? toTable(body) : body;
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(payload));
  }

  #route(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    body: string,
  ): { status: number; body: unknown } | undefined {
    const method = req.method ?? "GET";
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    if (method === "GET" && url.pathname === "/version") return { status: 200, body: VERSION };
    if (method === "GET" && url.pathname === "/api") {
      return {
        status: 200,
        body: {
          kind: "APIVersions",
          versions: ["v1"],
          serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: url.host }],
        },
      };
    }
    if (method === "GET" && url.pathname === "/apis") return { status: 200, body: this.#groupList() };

    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === "api" && parts.length >= 2) {
      group = "";
      version = parts[1]!;
      rest = parts.slice(2);
    } else if (parts[0] === "apis" && parts.length >= 2) {
      group = parts[1]!;
      if (parts.length === 2) {
        const found = this.#groupList().groups.find((g) => g.name === group);
        if (!found) throw new ApiError(404, "NotFound", "the server could not find the requested resource");
        return { status: 200, body: { kind: "APIGroup", apiVersion: "v1", ...found } };
      }
      version = parts[2]!;
      rest = parts.slice(3);
    } else {
      throw new ApiError(404, "NotFound", "the server could not find the requested resource");
    }
    const served = this.#types.filter((t) => t.group === group && t.versions.includes(version));
    if (served.length === 0)
      throw new ApiError(404, "NotFound", "the server could not find the requested resource");
    if (rest.length === 0) {
      if (method !== "GET")
        throw new ApiError(405, "MethodNotAllowed", "the server does not allow this method");
      return { status: 200, body: resourceList(group, version, served) };
    }

    // namespaces/NS/PLURAL[/NAME[/status]] | PLURAL[/NAME[/status]], where `namespaces/NAME[/status]` is
    // the Namespace object itself.
    let namespace: string | undefined;
    if (rest[0] === "namespaces" && rest.length >= 3 && rest[2] !== "status") {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [plural, name, subresource, ...extra] = rest;
    const type = served.find((t) => t.plural === plural);
    if (!type || extra.length > 0)
      throw new ApiError(404, "NotFound", "the server could not find the requested resource");
    if (namespace !== undefined && !type.namespaced) {
      throw new ApiError(404, "NotFound", "the server could not find the requested resource");
    }
    if (subresource !== undefined && (subresource !== "status" || !type.status)) {
      throw new ApiError(404, "NotFound", "the server could not find the requested resource");
    }
    if (type.namespaced && name !== undefined && namespace === undefined) {
      throw new ApiError(404, "NotFound", "the server could not find the requested resource");
    }

    const params = url.searchParams;
    if (name === undefined) {
      if (method === "GET" && params.get("watch") === "true") {
        this.#watch(req, res, type, version, namespace, params);
        return undefined;
      }
      if (method === "GET") return { status: 200, body: this.#list(type, version, namespace, params) };
      if (method === "POST")
        return { status: 201, body: this.#create(type, version, namespace, parseJson(body)) };
      throw new ApiError(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
      );
    }
    const key = `${namespace ?? ""}/${name}`;
    const status = subresource === "status";
    switch (method) {
      case "GET":
        return { status: 200, body: this.#served(this.#require(type, key, name), version) };
      case "PUT":
        return { status: 200, body: this.#update(type, version, key, name, parseJson(body), status) };
      case "PATCH": {
        const contentType = String(req.headers["content-type"] ?? "")
          .split(";")[0]!
          .trim();
        return { status: 200, body: this.#patch(type, version, key, name, contentType, body, status) };
      }
      case "DELETE":
        if (status) throw new ApiError(405, "MethodNotAllowed", "the server does not allow this method");
        return { status: 200, body: this.#delete(type, version, key, name) };
      default:
        throw new ApiError(
          405,
          "MethodNotAllowed",
          "the server does not allow this method on the requested resource",
        );
    }
  }

  #groupList(): {
    kind: "APIGroupList";
    apiVersion: "v1";
    groups: { name: string; versions: unknown[]; preferredVersion: unknown }[];
  } {
    const groups = new Map<string, Set<string>>();
    for (const type of this.#types) {
      if (type.group === "") continue;
      const versions = groups.get(type.group) ?? new Set<string>();
      for (const v of type.versions) versions.add(v);
      groups.set(type.group, versions);
    }
    return {
      kind: "APIGroupList",
      apiVersion: "v1",
      groups: [...groups].map(([name, versions]) => {
        const list = [...versions].map((version) => ({ groupVersion: `${name}/${version}`, version }));
        // The preferred version is the most stable one: v1 over v1beta1 over v1alpha1.
        const preferred = [...list].sort((a, b) => stability(b.version) - stability(a.version))[0];
        return { name, versions: list, preferredVersion: preferred };
      }),
    };
  }

  #table(type: ResourceType): Map<string, KubeObject> {
    const id = `${type.group}/${type.plural}`;
    let table = this.#objects.get(id);
    if (!table) {
      table = new Map();
      this.#objects.set(id, table);
    }
    return table;
  }

  #require(type: ResourceType, key: string, name: string): KubeObject {
    const found = this.#table(type).get(key);
    if (!found) throw notFound(type, name);
    return found;
  }

  #served(object: KubeObject, version: string): KubeObject {
    const out = clone(object);
    return { ...out, apiVersion: this.#apiVersion(object, version) };
  }

  #apiVersion(object: KubeObject, version: string): string {
    const group = (object.apiVersion ?? "").includes("/") ? object.apiVersion!.split("/")[0] : "";
    return group ? `${group}/${version}` : version;
  }

  #list(
    type: ResourceType,
    version: string,
    namespace: string | undefined,
    params: URLSearchParams,
  ): unknown {
    const rv = params.get("resourceVersion");
    if (params.get("resourceVersionMatch") === "Exact" && rv && Number(rv) < this.#compactedBelow) {
      throw expired(rv, this.#compactedBelow);
    }
    const labels = labelSelector(params.get("labelSelector") ?? undefined);
    const fields = fieldSelector(params.get("fieldSelector") ?? undefined);
    const items = [...this.#table(type).values()]
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      .filter((o) => labels(o) && fields(o))
      .sort((a, b) =>
        `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
          `${b.metadata.namespace}/${b.metadata.name}`,
        ),
      )
      .map((o) => {
        const served = this.#served(o, version);
        // Built-in lists carry their items without kind and apiVersion (the list says them); custom
        // resources keep them.
        if (isBuiltIn(type)) {
          delete served.kind;
          delete served.apiVersion;
        }
        return served;
      });
    return {
      kind: `${type.kind}List`,
      apiVersion: type.group ? `${type.group}/${version}` : version,
      metadata: { resourceVersion: String(this.#revision) },
      items,
    };
  }

  #nextRevision(): string {
    this.#revision += 1;
    return String(this.#revision);
  }

  #record(type: ResourceType, eventType: WatchEventType, object: KubeObject): void {
    const event: StoredEvent = {
      revision: this.#revision,
      type: eventType,
      resource: type,
      object: clone(object),
    };
    this.#history.push(event);
    if (this.#history.length > 10_000) {
      this.#compactedBelow = this.#history[5000]!.revision;
      this.#history.splice(0, 5000);
    }
    for (const watch of this.#watches) this.#deliver(watch, event);
  }

  #create(type: ResourceType, version: string, namespace: string | undefined, input: unknown): KubeObject {
    if (!isObject(input) || !isObject(input.metadata))
      throw new ApiError(400, "BadRequest", "the body must be an object with metadata");
    checkMicroTimes(type, input);
    const object = clone(input) as KubeObject;
    const meta = object.metadata;
    if (type.namespaced) {
      if (meta.namespace !== undefined && namespace !== undefined && meta.namespace !== namespace) {
        throw new ApiError(
          400,
          "BadRequest",
          "the namespace of the provided object does not match the namespace sent on the request",
        );
      }
      meta.namespace = namespace ?? meta.namespace;
      if (!meta.namespace) throw new ApiError(400, "BadRequest", "a namespaced resource needs a namespace");
    } else {
      delete meta.namespace;
    }
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomUUID().slice(0, 5)}`;
    if (!meta.name) throw invalid(type, "", "metadata.name", "name or generateName is required");
    const key = `${meta.namespace ?? ""}/${meta.name}`;
    if (this.#table(type).has(key)) {
      throw new ApiError(409, "AlreadyExists", `${resourceName(type)} "${meta.name}" already exists`, {
        name: meta.name,
        group: type.group,
        kind: type.plural,
      });
    }
    object.apiVersion = type.group ? `${type.group}/${version}` : version;
    object.kind = type.kind;
    meta.uid = randomUUID();
    meta.creationTimestamp = nowRfc3339();
    if (type.generation) meta.generation = 1;
    else delete meta.generation;
    // A new object's status comes from its controller, not its creator, where status is a subresource.
    if (type.status) delete object.status;
    meta.resourceVersion = this.#nextRevision();
    this.#table(type).set(key, object);
    this.#record(type, "ADDED", object);
    return this.#served(object, version);
  }

  /** Everything a write may not change, and the rules for what it may, applied to a new state. */
  #commit(
    type: ResourceType,
    version: string,
    key: string,
    current: KubeObject,
    next: KubeObject,
    statusOnly: boolean,
  ): KubeObject {
    const expected = next.metadata?.resourceVersion;
    if (expected && expected !== current.metadata.resourceVersion) {
      throw new ApiError(
        409,
        "Conflict",
        `Operation cannot be fulfilled on ${resourceName(type)} "${current.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name: current.metadata.name, group: type.group, kind: type.plural },
      );
    }
    if (next.metadata?.name !== undefined && next.metadata.name !== current.metadata.name) {
      throw invalid(type, current.metadata.name!, "metadata.name", "field is immutable");
    }
    let result: KubeObject;
    if (statusOnly) {
      // The status subresource takes status and nothing else.
      result = { ...clone(current), status: clone(next.status) };
      if (next.status === undefined) delete result.status;
    } else {
      result = clone(next);
      result.metadata = {
        ...clone(next.metadata ?? {}),
        name: current.metadata.name,
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        ...(current.metadata.namespace ? { namespace: current.metadata.namespace } : {}),
      };
      if (type.status) {
        if (current.status === undefined) delete result.status;
        else result.status = clone(current.status);
      }
      result.kind = type.kind;
    }
    result.apiVersion = current.apiVersion;
    const specOf = (o: KubeObject) => {
      const { metadata: _m, status, apiVersion: _a, kind: _k, ...rest } = o;
      return stableJson(type.status ? rest : { ...rest, status });
    };
    result.metadata.generation = current.metadata.generation;
    if (type.generation && specOf(result) !== specOf(current))
      result.metadata.generation = (current.metadata.generation ?? 0) + 1;
    if (!type.generation) delete result.metadata.generation;
    const sameAsBefore =
      stableJson({ ...result, metadata: { ...result.metadata, resourceVersion: "" } }) ===
      stableJson({ ...current, metadata: { ...current.metadata, resourceVersion: "" } });
    if (sameAsBefore) return this.#served(current, version); // a no-op write does not bump the revision
    result.metadata.resourceVersion = this.#nextRevision();
    this.#table(type).set(key, result);
    this.#record(type, "MODIFIED", result);
    return this.#served(result, version);
  }

  #update(
    type: ResourceType,
    version: string,
    key: string,
    name: string,
    input: unknown,
    statusOnly: boolean,
  ): KubeObject {
    if (!isObject(input)) throw new ApiError(400, "BadRequest", "the body must be an object");
    const current = this.#require(type, key, name);
    checkMicroTimes(type, input);
    const next = clone(input) as KubeObject;
    next.metadata ??= {};
    return this.#commit(type, version, key, current, next, statusOnly);
  }

  #patch(
    type: ResourceType,
    version: string,
    key: string,
    name: string,
    contentType: string,
    body: string,
    statusOnly: boolean,
  ): KubeObject {
    const current = this.#require(type, key, name);
    const patch = parseJson(body);
    let next: unknown;
    const base = { ...clone(current), metadata: { ...clone(current.metadata), resourceVersion: undefined } };
    switch (contentType) {
      case "application/merge-patch+json":
        next = mergePatch(base, patch);
        break;
      case "application/strategic-merge-patch+json":
        if (!isBuiltIn(type)) {
          throw new ApiError(
            415,
            "UnsupportedMediaType",
            "strategic merge patch is not supported for custom resources",
          );
        }
        next = mergePatch(base, patch);
        break;
      case "application/json-patch+json":
        next = jsonPatch({ ...clone(current) }, patch);
        // A JSON patch that does not touch resourceVersion does not assert it.
        if (
          isObject(next) &&
          isObject(next.metadata) &&
          next.metadata.resourceVersion === current.metadata.resourceVersion
        ) {
          delete next.metadata.resourceVersion;
        }
        break;
      default:
        throw new ApiError(
          415,
          "UnsupportedMediaType",
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json${isBuiltIn(type) ? ", application/strategic-merge-patch+json" : ""}`,
        );
    }
    if (!isObject(next)) throw new ApiError(422, "Invalid", "the patched object is not an object");
    const object = next as KubeObject;
    object.metadata ??= {};
    return this.#commit(type, version, key, current, object, statusOnly);
  }

  #delete(type: ResourceType, version: string, key: string, name: string): unknown {
    const current = this.#require(type, key, name);
    this.#table(type).delete(key);
    const gone = clone(current);
    gone.metadata.resourceVersion = this.#nextRevision();
    this.#record(type, "DELETED", gone);
    return this.#served(gone, version);
  }

  #watch(
    req: IncomingMessage,
    res: ServerResponse,
    type: ResourceType,
    version: string,
    namespace: string | undefined,
    params: URLSearchParams,
  ): void {
    const labels = labelSelector(params.get("labelSelector") ?? undefined);
    const fields = fieldSelector(params.get("fieldSelector") ?? undefined);
    const watch: OpenWatch = {
      resource: type,
      version,
      namespace,
      filter: (o) =>
        (namespace === undefined || o.metadata.namespace === namespace) && labels(o) && fields(o),
      response: res,
      bookmarks: params.get("allowWatchBookmarks") === "true",
      timers: [],
    };
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    res.flushHeaders();
    if (this.#paused) {
      this.#held.add(res);
      return;
    }
    const rv = params.get("resourceVersion") ?? "";
    if (rv !== "" && rv !== "0" && Number(rv) < this.#compactedBelow) {
      // What the API server does for a watch from a compacted revision: a 200, one ERROR event, the end.
      const error = expired(rv, this.#compactedBelow);
      this.expiredWatches++;
      res.end(`${JSON.stringify({ type: "ERROR", object: statusObject(error) })}\n`);
      return;
    }
    if (rv === "" || rv === "0") {
      // No starting point: the current state first, as synthetic ADDED events.
      for (const object of this.#table(type).values()) {
        if (watch.filter(object)) this.#write(watch, "ADDED", object);
      }
    } else {
      for (const event of this.#history) {
        if (event.revision > Number(rv)) this.#deliver(watch, event);
      }
    }
    this.#watches.add(watch);
    if (watch.bookmarks) {
      const timer = setInterval(() => {
        const bookmark = {
          kind: type.kind,
          apiVersion: type.group ? `${type.group}/${version}` : version,
          metadata: { resourceVersion: String(this.#revision) },
        };
        res.write(`${JSON.stringify({ type: "BOOKMARK", object: bookmark })}\n`);
      }, this.#bookmarkIntervalMs);
      watch.timers.push(timer);
    }
    const timeout = Number(params.get("timeoutSeconds") ?? 0);
    if (timeout > 0) watch.timers.push(setTimeout(() => this.#endWatch(watch), timeout * 1000));
    req.on("close", () => this.#endWatch(watch));
  }

  #deliver(watch: OpenWatch, event: StoredEvent): void {
    if (event.resource !== watch.resource || !watch.filter(event.object)) return;
    this.#write(watch, event.type, event.object);
  }

  #write(watch: OpenWatch, type: WatchEventType, object: KubeObject): void {
    watch.response.write(`${JSON.stringify({ type, object: this.#served(object, watch.version) })}\n`);
  }

  #endWatch(watch: OpenWatch): void {
    if (!this.#watches.delete(watch)) return;
    for (const timer of watch.timers) clearTimeout(timer);
    watch.response.end();
  }
}

let certificate: { key: string; cert: string } | undefined;

/** A self-signed certificate for 127.0.0.1, made once per process with openssl (no key is committed). */
function serverCertificate(): { key: string; cert: string } {
  if (certificate) return certificate;
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-kube-tls-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
        "-days",
        "2",
        "-subj",
        "/CN=kube-apiserver",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
      ],
      { stdio: "ignore" },
    );
    certificate = {
      key: readFileSync(join(dir, "key.pem"), "utf8"),
      cert: readFileSync(join(dir, "cert.pem"), "utf8"),
    };
    return certificate;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const VERSION = {
  major: "1",
  minor: "34",
  gitVersion: "v1.34.0-gatehouse-test",
  gitCommit: "0000000000000000000000000000000000000000",
  gitTreeState: "clean",
  buildDate: "2026-01-01T00:00:00Z",
  goVersion: "go1.24",
  compiler: "gc",
  platform: "linux/amd64",
};

function stability(version: string): number {
  const m = /^v(\d+)(alpha|beta)?(\d*)$/.exec(version);
  if (!m) return 0;
  return Number(m[1]) * 1000 + (m[2] === undefined ? 900 : m[2] === "beta" ? 500 : 100) + Number(m[3] || 0);
}

function isBuiltIn(type: ResourceType): boolean {
  return type.group === "" || (type.group.endsWith(".k8s.io") && !type.group.startsWith("gateway."));
}

function resourceName(type: ResourceType): string {
  return type.group ? `${type.plural}.${type.group}` : type.plural;
}

function resourceList(group: string, version: string, types: ResourceType[]): unknown {
  const verbs = ["create", "delete", "get", "list", "patch", "update", "watch"];
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: group ? `${group}/${version}` : version,
    resources: types.flatMap((t) => [
      {
        name: t.plural,
        singularName: t.singular ?? t.kind.toLowerCase(),
        namespaced: t.namespaced,
        kind: t.kind,
        verbs,
        ...(t.shortNames ? { shortNames: t.shortNames } : {}),
      },
      ...(t.status
        ? [
            {
              name: `${t.plural}/status`,
              singularName: "",
              namespaced: t.namespaced,
              kind: t.kind,
              verbs: ["get", "patch", "update"],
            },
          ]
        : []),
    ]),
  };
}

function statusObject(error: ApiError): unknown {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: error.message,
    reason: error.reason,
    ...(error.details ? { details: error.details } : {}),
    code: error.code,
  };
}

function notFound(type: ResourceType, name: string): ApiError {
  return new ApiError(404, "NotFound", `${resourceName(type)} "${name}" not found`, {
    name,
    group: type.group,
    kind: type.plural,
  });
}

function invalid(type: ResourceType, name: string, field: string, reason: string): ApiError {
  return new ApiError(422, "Invalid", `${type.kind} "${name}" is invalid: ${field}: ${reason}`, {
    name,
    group: type.group,
    kind: type.kind,
    causes: [{ reason: "FieldValueInvalid", message: reason, field }],
  });
}

function expired(rv: string, compactedBelow: number): ApiError {
  return new ApiError(410, "Expired", `too old resource version: ${rv} (${compactedBelow})`);
}

/**
 * `metav1.MicroTime` fields decode with the layout 2006-01-02T15:04:05.000000Z07:00: six fractional
 * digits, no more, no fewer. A client that sends a plain millisecond timestamp gets the API server's 400.
 */
const MICRO_TIME_FIELDS: Record<string, string[]> = {
  "coordination.k8s.io/Lease": ["spec.acquireTime", "spec.renewTime"],
  "events.k8s.io/Event": ["eventTime"],
};
const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;

function checkMicroTimes(type: ResourceType, object: Record<string, unknown>): void {
  for (const field of MICRO_TIME_FIELDS[`${type.group}/${type.kind}`] ?? []) {
    let value: unknown = object;
    for (const part of field.split(".")) value = isObject(value) ? value[part] : undefined;
    if (value === undefined || value === null) continue;
    if (typeof value !== "string" || !MICRO_TIME.test(value)) {
      throw new ApiError(
        400,
        "BadRequest",
        `${field}: parsing time ${JSON.stringify(value)} as "2006-01-02T15:04:05.000000Z07:00": cannot parse`,
      );
    }
  }
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new ApiError(400, "BadRequest", "the body of the request is not valid JSON");
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** kubectl's `get` asks for a meta.k8s.io/v1 Table; give the columns every kind has. */
function toTable(body: Record<string, unknown>): unknown {
  const items = Array.isArray(body.items)
    ? (body.items as KubeObject[])
    : isObject(body.metadata)
      ? [body as KubeObject]
      : undefined;
  if (!items) return body;
  const age = (created: string | undefined) => {
    if (!created) return "<unknown>";
    const s = Math.max(0, Math.floor((Date.now() - Date.parse(created)) / 1000));
    return s < 120 ? `${s}s` : s < 7200 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 3600)}h`;
  };
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion: (body.metadata as Metadata | undefined)?.resourceVersion ?? "" },
    columnDefinitions: [
      {
        name: "Name",
        type: "string",
        format: "name",
        description: "Name must be unique within a namespace.",
        priority: 0,
      },
      {
        name: "Age",
        type: "string",
        format: "",
        description: "CreationTimestamp of the object.",
        priority: 0,
      },
    ],
    rows: items.map((item) => ({
      cells: [item.metadata.name, age(item.metadata.creationTimestamp)],
      object: { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: item.metadata },
    })),
  };
}

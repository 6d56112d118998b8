/**
 * The Kubernetes objects Gatehouse reads, typed as far as the translator looks into them: Ingress and
 * IngressClass (networking.k8s.io/v1), Gateway, GatewayClass, HTTPRoute (gateway.networking.k8s.io/v1),
 * ReferenceGrant (v1beta1), Service and EndpointSlice (v1, discovery.k8s.io/v1) and Gatehouse's own
 * policy (`GatehousePolicy`, gatehouse.dev/v1alpha1, deploy/crds).
 *
 * These types say what a well-formed object looks like; they are not a promise about the input. Objects
 * come from files and from the API server, so every field is optional here and the translator checks
 * each value it uses, reporting the field path when one is missing or malformed.
 *
 * Plain data, no Node or Workers globals: the CLI (`gatehouse import`) and the controller share it.
 */

/** The kinds Gatehouse routes from. Anything else in the input is reported and otherwise ignored. */
export const ROUTING_KINDS = [
  "Ingress",
  "IngressClass",
  "Gateway",
  "GatewayClass",
  "HTTPRoute",
  "ReferenceGrant",
  "Service",
  "EndpointSlice",
  "GatehousePolicy",
] as const;
export type RoutingKind = (typeof ROUTING_KINDS)[number];

export const GATEWAY_API_GROUP = "gateway.networking.k8s.io";
export const NETWORKING_GROUP = "networking.k8s.io";
export const GATEHOUSE_GROUP = "gatehouse.dev";
export const GATEHOUSE_POLICY_API_VERSION = `${GATEHOUSE_GROUP}/v1alpha1`;

/**
 * The object a status, event or problem belongs to. `namespace` is `""` for cluster-scoped kinds
 * (IngressClass, GatewayClass).
 */
export interface ObjectRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  deletionTimestamp?: string;
}

interface Base<K extends RoutingKind, Spec> {
  apiVersion?: string;
  kind: K;
  metadata?: ObjectMeta;
  spec?: Spec;
  status?: unknown;
}

// ---------------------------------------------------------------------------------------------------
// networking.k8s.io/v1

export interface IngressServiceBackend {
  name?: string;
  port?: { name?: string; number?: number };
}
export interface IngressBackend {
  service?: IngressServiceBackend;
  resource?: { apiGroup?: string; kind?: string; name?: string };
}
export interface HTTPIngressPath {
  path?: string;
  pathType?: "Exact" | "Prefix" | "ImplementationSpecific";
  backend?: IngressBackend;
}
export interface IngressRule {
  host?: string;
  http?: { paths?: HTTPIngressPath[] };
}
export interface IngressSpec {
  ingressClassName?: string;
  defaultBackend?: IngressBackend;
  tls?: { hosts?: string[]; secretName?: string }[];
  rules?: IngressRule[];
}
export type Ingress = Base<"Ingress", IngressSpec>;

export interface IngressClassSpec {
  controller?: string;
  parameters?: { apiGroup?: string; kind?: string; name?: string; namespace?: string; scope?: string };
}
export type IngressClass = Base<"IngressClass", IngressClassSpec>;

// ---------------------------------------------------------------------------------------------------
// gateway.networking.k8s.io/v1

export interface GatewayClassSpec {
  controllerName?: string;
  parametersRef?: { group?: string; kind?: string; name?: string; namespace?: string };
  description?: string;
}
export type GatewayClass = Base<"GatewayClass", GatewayClassSpec>;

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: {
    key?: string;
    operator?: "In" | "NotIn" | "Exists" | "DoesNotExist";
    values?: string[];
  }[];
}

export interface Listener {
  name?: string;
  hostname?: string;
  port?: number;
  protocol?: string;
  tls?: {
    mode?: "Terminate" | "Passthrough";
    certificateRefs?: { group?: string; kind?: string; name?: string; namespace?: string }[];
    options?: Record<string, string>;
  };
  allowedRoutes?: {
    namespaces?: { from?: "All" | "Same" | "Selector"; selector?: LabelSelector };
    kinds?: { group?: string; kind?: string }[];
  };
}
export interface GatewaySpec {
  gatewayClassName?: string;
  listeners?: Listener[];
  addresses?: { type?: string; value?: string }[];
  infrastructure?: unknown;
}
export type Gateway = Base<"Gateway", GatewaySpec>;

export interface ParentReference {
  group?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  sectionName?: string;
  port?: number;
}

export interface HTTPPathMatch {
  type?: "Exact" | "PathPrefix" | "RegularExpression";
  value?: string;
}
export interface HTTPHeaderMatch {
  type?: "Exact" | "RegularExpression";
  name?: string;
  value?: string;
}
export interface HTTPRouteMatch {
  path?: HTTPPathMatch;
  headers?: HTTPHeaderMatch[];
  queryParams?: HTTPHeaderMatch[];
  method?: string;
}
export interface HTTPHeader {
  name?: string;
  value?: string;
}
export interface HTTPHeaderFilter {
  set?: HTTPHeader[];
  add?: HTTPHeader[];
  remove?: string[];
}
export interface HTTPPathModifier {
  type?: "ReplaceFullPath" | "ReplacePrefixMatch";
  replaceFullPath?: string;
  replacePrefixMatch?: string;
}
export interface BackendObjectReference {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  port?: number;
}
export interface HTTPRouteFilter {
  type?:
    | "RequestHeaderModifier"
    | "ResponseHeaderModifier"
    | "RequestMirror"
    | "RequestRedirect"
    | "URLRewrite"
    | "CORS"
    | "ExtensionRef";
  requestHeaderModifier?: HTTPHeaderFilter;
  responseHeaderModifier?: HTTPHeaderFilter;
  requestMirror?: {
    backendRef?: BackendObjectReference;
    percent?: number;
    fraction?: { numerator?: number; denominator?: number };
  };
  requestRedirect?: {
    scheme?: string;
    hostname?: string;
    path?: HTTPPathModifier;
    port?: number;
    statusCode?: number;
  };
  urlRewrite?: { hostname?: string; path?: HTTPPathModifier };
  cors?: {
    allowOrigins?: string[];
    allowMethods?: string[];
    allowHeaders?: string[];
    exposeHeaders?: string[];
    allowCredentials?: boolean;
    maxAge?: number;
  };
  extensionRef?: { group?: string; kind?: string; name?: string };
}
export interface HTTPBackendRef extends BackendObjectReference {
  weight?: number;
  filters?: HTTPRouteFilter[];
}
export interface HTTPRouteRule {
  name?: string;
  matches?: HTTPRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: HTTPBackendRef[];
  timeouts?: { request?: string; backendRequest?: string };
  retry?: { codes?: number[]; attempts?: number; backoff?: string };
  sessionPersistence?: {
    sessionName?: string;
    absoluteTimeout?: string;
    idleTimeout?: string;
    type?: "Cookie" | "Header";
    cookieConfig?: { lifetimeType?: "Session" | "Permanent" };
  };
}
export interface HTTPRouteSpec {
  parentRefs?: ParentReference[];
  hostnames?: string[];
  rules?: HTTPRouteRule[];
}
export type HTTPRoute = Base<"HTTPRoute", HTTPRouteSpec>;

// gateway.networking.k8s.io/v1beta1
export interface ReferenceGrantSpec {
  from?: { group?: string; kind?: string; namespace?: string }[];
  to?: { group?: string; kind?: string; name?: string }[];
}
export type ReferenceGrant = Base<"ReferenceGrant", ReferenceGrantSpec>;

// ---------------------------------------------------------------------------------------------------
// core/v1 and discovery.k8s.io/v1

export interface ServicePort {
  name?: string;
  port?: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}
export interface ServiceSpec {
  type?: "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName";
  clusterIP?: string;
  externalName?: string;
  ports?: ServicePort[];
  selector?: Record<string, string>;
}
export type Service = Base<"Service", ServiceSpec>;

export interface EndpointSliceEndpoint {
  addresses?: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  hostname?: string;
  nodeName?: string;
  zone?: string;
  targetRef?: { kind?: string; name?: string; namespace?: string };
}
/** EndpointSlice keeps its fields at the top level, not under `spec`. */
export interface EndpointSlice extends Base<"EndpointSlice", never> {
  addressType?: "IPv4" | "IPv6" | "FQDN";
  endpoints?: EndpointSliceEndpoint[];
  ports?: { name?: string; port?: number; protocol?: string; appProtocol?: string }[];
}

// ---------------------------------------------------------------------------------------------------
// gatehouse.dev/v1alpha1 GatehousePolicy (deploy/crds/gatehouse.dev_gatehousepolicies.yaml)

export interface PolicyTargetRef {
  group?: string;
  kind?: string;
  name?: string;
  /** A listener name (Gateway), a rule name (HTTPRoute) or a port name (Service). */
  sectionName?: string;
}

/** Where a cluster's endpoints come from: pod addresses from EndpointSlices, or the Service's DNS name. */
export type EndpointSource = "EndpointSlices" | "ServiceDNS";

/**
 * Gatehouse's additions to the Kubernetes objects, with the route table's field names. Which fields apply
 * depends on the target: route-level fields (`tls`, `auth`, `trustRequestId`) on a Gateway, HTTPRoute or
 * Ingress; cluster-level fields (`transport`, `loadBalancer`, `healthCheck`, `hostname`, `endpointSource`)
 * on a Service; `providers` on any. The values are route-table objects (src/config/schema.ts) and are
 * checked by the same validation as any table once translated.
 */
export interface GatehousePolicySpec {
  targetRefs?: PolicyTargetRef[];
  providers?: Record<string, unknown>;
  auth?: unknown;
  tls?: unknown;
  trustRequestId?: boolean;
  transport?: unknown;
  loadBalancer?: unknown;
  healthCheck?: unknown;
  hostname?: string;
  endpointSource?: EndpointSource;
}
export type GatehousePolicy = Base<"GatehousePolicy", GatehousePolicySpec>;

export type KubeObject =
  | Ingress
  | IngressClass
  | Gateway
  | GatewayClass
  | HTTPRoute
  | ReferenceGrant
  | Service
  | EndpointSlice
  | GatehousePolicy;

export function isRoutingKind(kind: unknown): kind is RoutingKind {
  return typeof kind === "string" && (ROUTING_KINDS as readonly string[]).includes(kind);
}

/** The `ObjectRef` of an object; cluster-scoped kinds get `namespace: ""`, namespaced ones `default`. */
export function refOf(object: { kind: string; metadata?: ObjectMeta }): ObjectRef {
  const clusterScoped = object.kind === "IngressClass" || object.kind === "GatewayClass";
  return {
    kind: object.kind,
    namespace: clusterScoped ? "" : (object.metadata?.namespace ?? "default"),
    name: object.metadata?.name ?? "",
  };
}

/** `HTTPRoute default/orders`, `GatewayClass gatehouse`: how problems and logs name an object. */
export function describeRef(ref: ObjectRef): string {
  return ref.namespace ? `${ref.kind} ${ref.namespace}/${ref.name}` : `${ref.kind} ${ref.name}`;
}

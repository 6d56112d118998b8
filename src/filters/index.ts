/**
 * Gateway API filters of one rule, compiled once per rule (memoised on the compiled rule, so once per
 * table version) and applied in the order the rule lists them:
 *
 *   request side   RequestHeaderModifier, URLRewrite, RequestRedirect (answers), RequestMirror (after
 *                  all the others, so the mirror sees the request the origin sees)
 *   response side  ResponseHeaderModifier on the origin's response; CORS on every response of the rule
 *   before auth    CORS preflights (a browser sends no credentials on them)
 */
import type { Filter, PathMatch } from "../config/schema.ts";
import type { UpstreamDraft } from "../gateway/draft.ts";
import type { RequestRedirect } from "../routing/index.ts";
import type { CompiledRule } from "../routing/types.ts";
import { type CorsPolicy, compileCors, decorateCors, isPreflight, preflightResponse } from "./cors.ts";
import {
  applyRequestHeaderModifier,
  type CompiledHeaderModifier,
  compileHeaderModifier,
} from "./request-header-modifier.ts";
import type { MirrorPlan } from "./request-mirror.ts";
import { redirectResponse } from "./request-redirect.ts";
import { applyResponseHeaderModifier } from "./response-header-modifier.ts";
import { applyUrlRewrite, type UrlRewrite } from "./url-rewrite.ts";

export { type MirrorInput, startMirror } from "./request-mirror.ts";

type RequestStep =
  | { readonly type: "headers"; readonly modifier: CompiledHeaderModifier }
  | { readonly type: "rewrite"; readonly rewrite: UrlRewrite }
  | { readonly type: "redirect"; readonly redirect: RequestRedirect };

export interface FilterPlan {
  readonly request: readonly RequestStep[];
  readonly response: readonly CompiledHeaderModifier[];
  readonly mirrors: readonly MirrorPlan[];
  readonly cors: CorsPolicy | undefined;
  /** A RequestRedirect answers: such a rule needs no backend. */
  readonly redirects: boolean;
}

export function compileFilters(filters: readonly Filter[]): FilterPlan {
  const request: RequestStep[] = [];
  const response: CompiledHeaderModifier[] = [];
  const mirrors: MirrorPlan[] = [];
  let cors: CorsPolicy | undefined;
  for (const filter of filters) {
    switch (filter.type) {
      case "RequestHeaderModifier":
        request.push({ type: "headers", modifier: compileHeaderModifier(filter.requestHeaderModifier) });
        break;
      case "URLRewrite":
        request.push({ type: "rewrite", rewrite: filter.urlRewrite });
        break;
      case "RequestRedirect":
        request.push({ type: "redirect", redirect: filter.requestRedirect });
        break;
      case "RequestMirror":
        mirrors.push({
          cluster: filter.requestMirror.backendRef.name,
          percent: filter.requestMirror.percent,
        });
        break;
      case "ResponseHeaderModifier":
        response.push(compileHeaderModifier(filter.responseHeaderModifier));
        break;
      case "CORS":
        cors = compileCors(filter.cors);
        break;
    }
  }
  return { request, response, mirrors, cors, redirects: request.some((s) => s.type === "redirect") };
}

const plans = new WeakMap<CompiledRule, FilterPlan>();

export function filterPlanFor(rule: CompiledRule): FilterPlan {
  let plan = plans.get(rule);
  if (plan === undefined) {
    plan = compileFilters(rule.filters);
    plans.set(rule, plan);
  }
  return plan;
}

export interface RequestFilterContext {
  readonly draft: UpstreamDraft;
  readonly url: URL;
  readonly pathMatch: PathMatch;
  readonly requestId: string;
}

/** Runs the request-side filters in order; a Response when one of them answers (a redirect). */
export function applyRequestFilters(plan: FilterPlan, context: RequestFilterContext): Response | undefined {
  for (const step of plan.request) {
    switch (step.type) {
      case "headers":
        applyRequestHeaderModifier(context.draft, step.modifier);
        break;
      case "rewrite":
        applyUrlRewrite(context.draft, context.pathMatch, step.rewrite);
        break;
      case "redirect":
        return redirectResponse(
          context.draft,
          context.url,
          context.pathMatch,
          step.redirect,
          context.requestId,
        );
    }
  }
  return undefined;
}

/** The origin's response headers on their way back. */
export function applyResponseFilters(plan: FilterPlan, headers: Headers): void {
  for (const modifier of plan.response) applyResponseHeaderModifier(headers, modifier);
}

/** The edge's answer to a CORS preflight on a rule with a CORS filter; undefined otherwise. */
export function answerPreflight(
  rule: CompiledRule,
  request: Request,
  requestId: string,
): Response | undefined {
  const { cors } = filterPlanFor(rule);
  if (cors === undefined || !isPreflight(request)) return undefined;
  return preflightResponse(cors, request, requestId);
}

/**
 * Adds the rule's CORS headers to any response (the origin's, or the gateway's own refusal), so that a
 * browser can read errors too. Returns the response unchanged when the rule has no CORS filter.
 */
export function withCors(rule: CompiledRule, request: Request, response: Response): Response {
  const { cors } = filterPlanFor(rule);
  if (cors === undefined || !request.headers.has("origin") || response.status === 101) return response;
  const headers = new Headers(response.headers);
  decorateCors(cors, request.headers, headers);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

export { decorateCors };

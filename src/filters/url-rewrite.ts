/**
 * Gateway API `URLRewrite`: the path (ReplaceFullPath / ReplacePrefixMatch, computed by the routing core
 * from the match that held) and the `Host` the origin sees. The rewritten path is what the origin
 * receives, byte for byte; the query string is kept.
 */
import type { Filter, PathMatch } from "../config/schema.ts";
import type { UpstreamDraft } from "../gateway/draft.ts";
import { rewritePath } from "../routing/index.ts";

export type UrlRewrite = Extract<Filter, { type: "URLRewrite" }>["urlRewrite"];

export function applyUrlRewrite(draft: UpstreamDraft, pathMatch: PathMatch, rewrite: UrlRewrite): void {
  if (rewrite.path !== undefined) draft.path = rewritePath(draft.path, pathMatch, rewrite.path);
  if (rewrite.hostname !== undefined) draft.hostOverride = rewrite.hostname;
}

// STUB: replaced by the edge TLS policy (issue 6).
import type { TlsPolicy } from "../config/schema.ts";
import type { UpstreamDraft } from "../gateway/draft.ts";

export type TlsDecision = { ok: true; hsts: string | undefined } | { ok: false; response: Response };

export interface TlsInput {
  policy: TlsPolicy | undefined;
  request: Request;
  url: URL;
  draft: UpstreamDraft;
  requestId: string;
}

export function enforceTlsPolicy(_input: TlsInput): TlsDecision {
  return { ok: true, hsts: undefined };
}

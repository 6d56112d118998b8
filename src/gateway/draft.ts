/**
 * The request the origin will receive, built up stage by stage. Stages change the draft; only the
 * forwarder turns it into a real `Request`, so nothing is copied more than once.
 */
export interface UpstreamDraft {
  method: string;
  /** Normalised path as matched; rewrites replace it. */
  path: string;
  /** Query parameters as they will be sent (auth removes a token taken from the query). */
  query: URLSearchParams;
  /** Headers as they will be sent, already stripped of hop-by-hop and spoofable identity headers. */
  headers: Headers;
  /** Host header the origin sees when set (URLRewrite.hostname); else the cluster's or endpoint's. */
  hostOverride: string | undefined;
  body: ReadableStream | null;
  /**
   * Set when the client's streamed body went past the route's `requestLimits.bodyBytes` and was cut:
   * the failed exchange is the client's doing, so it answers 413 and never counts against the endpoint.
   */
  bodyCut?: boolean;
}

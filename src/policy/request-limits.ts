/**
 * Request size limits (`requestLimits`), checked before anything else reads the request:
 *
 * - `urlBytes`: the request target as received, path and query, percent-encoded (so characters are
 *   bytes); scheme and host are not counted. Over it: 414 `url_too_long`.
 * - `headerBytes`: every request header as it would be written on HTTP/1.1, `name: value\r\n`,
 *   including the ones Cloudflare's edge adds (`cf-*`, `x-forwarded-*`: a few hundred bytes). Over it:
 *   431 `headers_too_large`.
 * - `bodyBytes`: a declared `Content-Length` is checked up front (413 before the origin is contacted);
 *   a body without one (chunked) is counted as it streams to the origin, never buffered, and cut when
 *   it passes the limit: the origin sees the upload abort, and the client gets 413 `body_too_large` if
 *   the origin has not answered yet. If it has (an origin that answers before reading the whole body),
 *   its answer stands: the client already has its status line. docs/traffic-policy.md#request-limits.
 */
import type { RequestLimits } from "../config/schema.ts";
import type { UpstreamDraft } from "../gateway/draft.ts";
import { errorResponse } from "../gateway/errors.ts";

export interface RequestLimitsPlan {
  readonly bodyBytes: number | undefined;
  readonly headerBytes: number | undefined;
  readonly urlBytes: number | undefined;
}

export function compileRequestLimits(limits: RequestLimits | undefined): RequestLimitsPlan | undefined {
  if (!limits) return undefined;
  const { bodyBytes, headerBytes, urlBytes } = limits;
  if (bodyBytes === undefined && headerBytes === undefined && urlBytes === undefined) return undefined;
  return { bodyBytes, headerBytes, urlBytes };
}

/** A 414, 431 or 413 when the request is over a limit; undefined to go on (with a counted body). */
export function checkRequestLimits(
  plan: RequestLimitsPlan,
  request: Request,
  url: URL,
  draft: UpstreamDraft,
  requestId: string,
): Response | undefined {
  if (plan.urlBytes !== undefined) {
    const targetBytes = url.pathname.length + url.search.length;
    if (targetBytes > plan.urlBytes) {
      return errorResponse(
        414,
        "url_too_long",
        `the request target is ${targetBytes} bytes; this route accepts at most ${plan.urlBytes}`,
        requestId,
      );
    }
  }
  if (plan.headerBytes !== undefined) {
    const bytes = headerBytes(request.headers);
    if (bytes > plan.headerBytes) {
      return errorResponse(
        431,
        "headers_too_large",
        `the request headers are ${bytes} bytes; this route accepts at most ${plan.headerBytes}`,
        requestId,
      );
    }
  }
  if (plan.bodyBytes !== undefined && draft.body !== null) {
    const declared = request.headers.get("content-length");
    if (declared !== null) {
      // The runtime holds a body to its declared length, so a declared length within the limit needs no count.
      if (!/^[0-9]{1,16}$/.test(declared) || Number(declared) > plan.bodyBytes)
        return bodyTooLarge(plan.bodyBytes, requestId);
    } else {
      draft.body = countedBody(draft.body, plan.bodyBytes, draft);
    }
  }
  return undefined;
}

/** Header bytes as HTTP/1.1 would carry them: `name: value\r\n` each. Header strings are bytes (Latin-1). */
export function headerBytes(headers: Headers): number {
  let total = 0;
  headers.forEach((value, name) => {
    total += name.length + value.length + 4;
  });
  return total;
}

/**
 * Passes the client's body on until the total goes past `limit`, then aborts what the origin reads (its
 * upload fails), cancels the client's body and marks the draft, so the pipeline answers 413 and the
 * endpoint is not blamed for the failure. Nothing is buffered: each chunk is written only when the
 * upload has taken the one before.
 */
export function countedBody(
  body: ReadableStream<Uint8Array>,
  limit: number,
  draft: UpstreamDraft,
): ReadableStream<Uint8Array> {
  const { readable, writable } = new IdentityTransformStream();
  const writer = writable.getWriter();
  const reader = body.getReader();
  const pump = async (): Promise<void> => {
    let seen = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return writer.close();
      seen += value.byteLength;
      if (seen > limit) {
        draft.bodyCut = true;
        await reader.cancel();
        return writer.abort(new RangeError(`the request body passed ${limit} bytes`));
      }
      await writer.write(value);
    }
  };
  // Driven by the upload's reads; a failure on either side ends both.
  pump().catch(async (err: unknown) => {
    await Promise.allSettled([reader.cancel(err), writer.abort(err)]);
  });
  return readable;
}

export function bodyTooLarge(limit: number, requestId: string): Response {
  return errorResponse(
    413,
    "body_too_large",
    `the request body is over the ${limit} bytes this route accepts`,
    requestId,
  );
}

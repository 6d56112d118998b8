/**
 * The client's request body on its way to the origin, and whether the client has finished sending it.
 *
 * Passive health needs the answer: an attempt that timed out or broke while the client was still
 * sending (a `Content-Length: 10` and no bytes, an upload cut off) says nothing about the endpoint, and
 * charging it would let any client eject every pod. Envoy makes the same cut: its route timeout starts
 * only once the downstream request is complete, and a request that does not arrive in time is the
 * client's `408` (`request_timeout`), never an upstream failure.
 *
 * The body is passed on through a workerd `FixedLengthStream` (an `IdentityTransformStream` when the
 * length is not known) by a loop that reads from the client and writes to the origin, one chunk at a
 * time with backpressure: that loop sees which side failed. (A fixed length keeps the `Content-Length`
 * the client sent, where a plain stream would go out chunked, and refuses a body that ends short of it.
 * `pipeTo` would hide which side failed, and workerd does not pipe between two of its own transform
 * streams.)
 */

/**
 * `complete`: every byte the client sent has been handed on; `pending`: the client has not finished
 * (it is still sending, or the origin side stopped taking the body first); `broken`: the client's body
 * failed or ended short of its length.
 */
export type ClientBodyState = "complete" | "pending" | "broken";

export interface TrackedBody {
  /** What the origin is sent. */
  readonly stream: ReadableStream<Uint8Array>;
  readonly state: () => ClientBodyState;
}

const DECIMAL = /^\d{1,15}$/;

export function trackClientBody(body: ReadableStream<Uint8Array>, contentLength: string | null): TrackedBody {
  const expected = contentLength !== null && DECIMAL.test(contentLength) ? Number(contentLength) : undefined;
  const pass = expected === undefined ? new IdentityTransformStream() : new FixedLengthStream(expected);
  const reader = body.getReader();
  const writer = pass.writable.getWriter();
  let state: ClientBodyState = "pending";
  let originGone = false;
  // The origin side stopped taking the body (the attempt timed out or its connection failed): stop
  // reading the client's. The client had not finished: the state stays `pending`.
  writer.closed.catch(() => {
    originGone = true;
    reader.cancel().catch(() => {});
  });
  const clientBroke = (reason: unknown) => {
    state = "broken";
    writer.abort(reason).catch(() => {});
    reader.cancel(reason).catch(() => {});
  };

  const pump = async (): Promise<void> => {
    let received = 0;
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (reason) {
        if (!originGone) clientBroke(reason);
        return;
      }
      if (originGone) return;
      if (chunk.done) break;
      received += chunk.value.byteLength;
      if (expected !== undefined && received > expected) return clientBroke(new RangeError("body too long"));
      // A write refused: the origin side is gone (see above), not the client's doing.
      if (!(await succeeds(writer.write(chunk.value)))) return;
    }
    // Counted here rather than left to the fixed-length stream, so that the verdict is in before the
    // origin's connection fails on it.
    if (expected !== undefined && received < expected) return clientBroke(new RangeError("body too short"));
    if (await succeeds(writer.close())) state = "complete";
  };
  void pump();
  return { stream: pass.readable, state: () => state };
}

function succeeds(operation: Promise<unknown>): Promise<boolean> {
  return operation.then(
    () => true,
    () => false,
  );
}

/**
 * Live sessions through the gateway, as real clients hold them: WebSockets (`ws`) that send one
 * message a second and expect each back from the pod the session started on, and server-sent event
 * streams (one per five sockets) opened with a socket's affinity cookie, which must come from that
 * same pod, one event a second, in order.
 *
 * Every message is accounted for: sent, received, lost (no answer within LOST_AFTER_MS), misrouted
 * (answered by another pod than the session's), reordered (an answer older than one already seen).
 * A session the other side closes is `dropped`, unless the caller said it expects that (a killed pod):
 * then it is `closedByPod`, with its close code and how long the close took.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import WebSocket from "ws";
import { Histogram, SOAK_HOST } from "./harness.ts";

const LOST_AFTER_MS = 10_000;
const OPEN_TIMEOUT_MS = 15_000;

export interface FleetCounts {
  socketsOpened: number;
  streamsOpened: number;
  /** Could not be opened at all (refused, timed out, not a 101 / 200). */
  openFailures: number;
  /** Closed by this side when the scenario ended. */
  closed: number;
  /** Closed or cut by the other side when nothing asked for it. */
  dropped: number;
  /** Closed by the other side because their pod was killed (expected), with a close code. */
  closedByPod: number;
  reconnected: number;
  messagesSent: number;
  messagesReceived: number;
  lost: number;
  /** Sent to the pod that was then killed, unanswered: lost with the pod, not by the gateway. */
  lostWithPod: number;
  misrouted: number;
  reordered: number;
  eventsReceived: number;
  /** Streams whose first response was not from their socket's pod (affinity not kept). */
  unpinnedStreams: number;
}

function zeroCounts(): FleetCounts {
  return {
    socketsOpened: 0,
    streamsOpened: 0,
    openFailures: 0,
    closed: 0,
    dropped: 0,
    closedByPod: 0,
    reconnected: 0,
    messagesSent: 0,
    messagesReceived: 0,
    lost: 0,
    lostWithPod: 0,
    misrouted: 0,
    reordered: 0,
    eventsReceived: 0,
    unpinnedStreams: 0,
  };
}

/** A session whose pod was killed: how its close went and where its reconnect landed. */
export interface PodLossRecord {
  closeCode: number;
  closeMs: number;
  oldPod: string;
  newPod: string | undefined;
  oldCookie: string | undefined;
  newCookie: string | undefined;
}

export interface FleetOptions {
  port: number;
  /** Path prefix of the session rule: sockets on `<prefix>/ws`, streams on `<prefix>/sse`. */
  prefix: string;
  /** One stream per this many sockets (5). */
  socketsPerStream: number;
  /** Affinity cookie name of the session rule. */
  cookieName: string;
}

export class SessionFleet {
  readonly counts = zeroCounts();
  readonly rtt = new Histogram();
  /** Round trips since the last `takeWindow()`. */
  private window = new Histogram();
  readonly podLosses: PodLossRecord[] = [];
  private readonly sockets: SocketSession[] = [];
  private readonly streams: StreamSession[] = [];
  private sweeper: NodeJS.Timeout;
  /** Sessions on this pod may be closed by the other side (it was killed), and then reconnect. */
  expectPodLoss: { pod: string; at: number } | undefined;

  constructor(readonly options: FleetOptions) {
    this.sweeper = setInterval(() => this.sweep(), 1000);
  }

  /** The round trips since the last call, and a new window from now. */
  takeWindow(): Histogram {
    const taken = this.window;
    this.window = new Histogram();
    return taken;
  }

  recordRtt(ms: number): void {
    this.rtt.record(ms);
    this.window.record(ms);
  }

  get size(): number {
    return this.sockets.length + this.streams.length;
  }

  /** Opens `sockets` WebSockets and one stream per `socketsPerStream` of them, `parallel` at a time. */
  async open(sockets: number, parallel = 100): Promise<void> {
    const fresh: SocketSession[] = [];
    let next = 0;
    const worker = async () => {
      while (next < sockets) {
        next++;
        const session = new SocketSession(this);
        if (await session.connect(undefined)) {
          this.sockets.push(session);
          fresh.push(session);
        }
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    const carriers = fresh.filter(
      (_, i) => (this.sockets.length - fresh.length + i + 1) % this.options.socketsPerStream === 0,
    );
    next = 0;
    const streamWorker = async () => {
      while (next < carriers.length) {
        const carrier = carriers[next++]!;
        const stream = new StreamSession(this, carrier);
        if (await stream.connect()) this.streams.push(stream);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, carriers.length) }, streamWorker));
  }

  /** Pods the open sockets are on, with how many each. */
  podsInUse(): Record<string, number> {
    const byPod: Record<string, number> = {};
    for (const s of this.sockets) if (s.pod) byPod[s.pod] = (byPod[s.pod] ?? 0) + 1;
    return byPod;
  }

  /** Closes every session from this side and counts what was still unanswered after a grace period. */
  async close(graceMs = 2000): Promise<void> {
    for (const s of this.sockets) s.stopSending();
    await new Promise((resolve) => setTimeout(resolve, graceMs));
    clearInterval(this.sweeper);
    this.sweep(0);
    for (const s of this.sockets) s.close();
    for (const s of this.streams) s.close();
    await new Promise((resolve) => setTimeout(resolve, 500));
  }

  private sweep(after = LOST_AFTER_MS): void {
    const now = performance.now();
    for (const s of this.sockets) s.countLost(now, after);
  }
}

class SocketSession {
  socket: WebSocket | undefined;
  pod: string | undefined;
  cookie: string | undefined;
  private seq = 0;
  private lastAnswered = -1;
  private readonly pending = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(private readonly fleet: SessionFleet) {}

  /** Resolves true once open (and sending once a second), false when it could not be opened. */
  connect(cookie: string | undefined): Promise<boolean> {
    const { port, prefix, cookieName } = this.fleet.options;
    return new Promise((resolve) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}${prefix}/ws`, {
        headers: { host: SOAK_HOST, ...(cookie ? { cookie } : {}) },
        perMessageDeflate: false,
        handshakeTimeout: OPEN_TIMEOUT_MS,
      });
      let opened = false;
      socket.on("upgrade", (response: IncomingMessage) => {
        this.pod = header(response, "x-pod");
        const set = response.headers["set-cookie"]?.find((c) => c.startsWith(`${cookieName}=`));
        this.cookie = set ? set.split(";")[0] : cookie;
      });
      socket.on("open", () => {
        opened = true;
        this.socket = socket;
        this.fleet.counts.socketsOpened++;
        // Spread over the second, so a thousand sockets do not all speak at once.
        this.timer = setTimeout(() => {
          this.send();
          this.timer = setInterval(() => this.send(), 1000);
        }, Math.random() * 1000);
        resolve(true);
      });
      socket.on("message", (data) => this.answer(String(data)));
      socket.on("error", () => {
        if (!opened) {
          this.fleet.counts.openFailures++;
          resolve(false);
        }
      });
      socket.on("close", (code) => {
        if (opened) this.closedByPeer(code);
      });
    });
  }

  private send(): void {
    if (this.socket?.readyState !== WebSocket.OPEN) return;
    const seq = this.seq++;
    this.pending.set(seq, performance.now());
    this.fleet.counts.messagesSent++;
    this.socket.send(`whoami:${seq}`);
  }

  private answer(text: string): void {
    const colon = text.lastIndexOf(":");
    const pod = text.slice(0, colon);
    const seq = Number(text.slice(colon + 1));
    const sentAt = this.pending.get(seq);
    const counts = this.fleet.counts;
    if (sentAt === undefined) {
      // Already counted as lost, or never sent: either way not a clean answer.
      counts.reordered++;
      return;
    }
    this.pending.delete(seq);
    counts.messagesReceived++;
    this.fleet.recordRtt(performance.now() - sentAt);
    this.pod ??= pod;
    if (pod !== this.pod) counts.misrouted++;
    if (seq < this.lastAnswered) counts.reordered++;
    this.lastAnswered = Math.max(this.lastAnswered, seq);
  }

  countLost(now: number, after: number): void {
    for (const [seq, sentAt] of this.pending) {
      if (now - sentAt < after) continue;
      this.pending.delete(seq);
      this.fleet.counts.lost++;
    }
  }

  stopSending(): void {
    clearTimeout(this.timer);
    clearInterval(this.timer);
  }

  close(): void {
    this.closing = true;
    this.stopSending();
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.socket.close(1000, "done");
      this.fleet.counts.closed++;
    }
  }

  private closedByPeer(code: number): void {
    if (this.closing) return;
    this.stopSending();
    const counts = this.fleet.counts;
    const loss = this.fleet.expectPodLoss;
    if (!loss || loss.pod !== this.pod) {
      counts.dropped++;
      counts.lost += this.pending.size;
      this.pending.clear();
      return;
    }
    // Its pod was killed: what was in flight went with it. Reconnect with the cookie it had.
    counts.closedByPod++;
    counts.lostWithPod += this.pending.size;
    this.pending.clear();
    const record: PodLossRecord = {
      closeCode: code,
      closeMs: Date.now() - loss.at,
      oldPod: this.pod,
      newPod: undefined,
      oldCookie: this.cookie,
      newCookie: undefined,
    };
    this.fleet.podLosses.push(record);
    const oldCookie = this.cookie;
    this.pod = undefined;
    this.lastAnswered = -1;
    void this.connect(oldCookie).then((ok) => {
      if (!ok) return;
      counts.socketsOpened--; // a reconnect, not a new session
      counts.reconnected++;
      record.newPod = this.pod;
      record.newCookie = this.cookie;
    });
  }
}

class StreamSession {
  private response: IncomingMessage | undefined;
  private pod: string | undefined;
  private expected = 0;
  private closing = false;

  constructor(
    private readonly fleet: SessionFleet,
    private readonly carrier: SocketSession,
  ) {}

  connect(): Promise<boolean> {
    const { port, prefix } = this.fleet.options;
    const counts = this.fleet.counts;
    return new Promise((resolve) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port,
          path: `${prefix}/sse?count=1000000&interval=1000`,
          headers: {
            host: SOAK_HOST,
            accept: "text/event-stream",
            ...(this.carrier.cookie ? { cookie: this.carrier.cookie } : {}),
          },
          agent: false,
        },
        (res) => {
          if (res.statusCode !== 200) {
            counts.openFailures++;
            res.resume();
            resolve(false);
            return;
          }
          this.response = res;
          counts.streamsOpened++;
          this.pod = header(res, "x-pod");
          if (this.pod !== this.carrier.pod) counts.unpinnedStreams++;
          resolve(true);
          let buffer = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            buffer += chunk;
            let end = buffer.indexOf("\n\n");
            while (end >= 0) {
              this.event(buffer.slice(0, end));
              buffer = buffer.slice(end + 2);
              end = buffer.indexOf("\n\n");
            }
          });
          const cut = () => {
            if (this.closing) return;
            this.closing = true;
            // A stream whose pod was killed ends with it (not reconnected: its carrier socket is).
            if (this.fleet.expectPodLoss?.pod === this.pod) counts.closedByPod++;
            else counts.dropped++;
          };
          res.on("end", cut);
          res.on("error", cut);
          res.on("close", cut);
        },
      );
      req.setTimeout(OPEN_TIMEOUT_MS, () => req.destroy(new Error("stream did not open")));
      req.on("error", () => {
        if (!this.response) {
          counts.openFailures++;
          resolve(false);
        }
      });
      req.end();
    });
  }

  private event(text: string): void {
    const data = /^data: (.*)$/m.exec(text)?.[1];
    if (!data) return;
    const { pod, n } = JSON.parse(data) as { pod: string; n: number };
    const counts = this.fleet.counts;
    counts.eventsReceived++;
    if (pod !== this.pod) counts.misrouted++;
    if (n < this.expected) counts.reordered++;
    else if (n > this.expected) counts.lost += n - this.expected;
    this.expected = n + 1;
  }

  close(): void {
    if (this.closing || !this.response) return;
    this.closing = true;
    this.fleet.counts.closed++;
    this.response.destroy();
  }
}

function header(message: IncomingMessage, name: string): string | undefined {
  const value = message.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

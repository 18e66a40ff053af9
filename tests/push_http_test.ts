/**
 * The HTTP POST transport against a real loopback HTTP server: what each
 * answer means to the pipeline, and the pipeline delivering through it.
 */
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { getStats, reset, setLogger } from "@scales/core";
import { HttpPostTransport } from "../push/http.ts";
import { PushPipeline } from "../push/pipeline.ts";
import type { QueuedPush } from "../push/queue.ts";

const T = 1_800_000_000_000;

/** One scripted answer: status, headers, body; `"hang"` never answers. */
type Answer = { status: number; headers?: Record<string, string>; body?: string } | "hang";

/** A loopback server that answers each POST with the next scripted answer (default 200). */
class Receiver {
  server: Server;
  answers: Answer[] = [];
  /** Every request, as method, content type, a custom header and body. */
  requests: Array<{ method: string; type: string; token: string; body: string }> = [];
  /** The bodies answered with 2xx, in order. */
  delivered: string[] = [];
  hung: ServerResponse[] = [];

  constructor() {
    this.server = createServer((request: IncomingMessage, response: ServerResponse) => {
      let body = "";
      request.setEncoding("utf8");
      request.on("data", (chunk: string) => body += chunk);
      request.on("end", () => {
        this.requests.push({
          method: request.method ?? "",
          type: request.headers["content-type"] ?? "",
          token: String(request.headers["x-token"] ?? ""),
          body,
        });
        const answer = this.answers.shift() ?? { status: 200 };
        if (answer === "hang") {
          this.hung.push(response);
          return;
        }
        if (answer.status >= 200 && answer.status < 300) this.delivered.push(body);
        response.writeHead(answer.status, answer.headers ?? {});
        response.end(answer.body ?? "");
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/metrics`;
  }

  async stop(): Promise<void> {
    for (const response of this.hung) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A transport that POSTs each push as `payload@ms-after-T` lines. */
function transport(url: string, extra: { timeoutMs?: number; clock?: () => number } = {}) {
  return new HttpPostTransport<string>({
    url,
    headers: { "X-Token": "secret" },
    encode: (batch: readonly QueuedPush<string>[]) => ({
      body: batch.map((push) => `${push.payload}@${push.timestamp - T}`).join("\n"),
      contentType: "text/plain",
    }),
    partialSuccess: (body) => {
      const parsed = JSON.parse(new TextDecoder().decode(body));
      return { rejectedValues: parsed.rejected, message: parsed.message };
    },
    ...extra,
  });
}

const PUSH: QueuedPush<string> = { payload: "x", values: 1, bytes: 1, timestamp: T };
const signal = new AbortController().signal;

describe("HttpPostTransport answers", () => {
  const receiver = new Receiver();
  before(() => receiver.start());
  after(() => receiver.stop());

  it("POSTs the encoded batch with its content type and the configured headers", async () => {
    const outcome = await transport(receiver.url).send([PUSH, { ...PUSH, payload: "y" }], signal);
    assert.deepEqual(outcome, { outcome: "delivered" });
    assert.deepEqual(receiver.requests.at(-1), {
      method: "POST",
      type: "text/plain",
      token: "secret",
      body: "x@0\ny@0",
    });
  });

  it("turns 503 with Retry-After in seconds into a retry after that delay", async () => {
    receiver.answers = [{ status: 503, headers: { "Retry-After": "2" }, body: "busy" }];
    assert.deepEqual(await transport(receiver.url).send([PUSH], signal), {
      outcome: "retry",
      reason: `HTTP 503 from ${receiver.url}: busy`,
      retryAfterMs: 2_000,
    });
  });

  it("reads a Retry-After given as an HTTP date against the clock", async () => {
    const date = new Date(T + 30_000).toUTCString();
    receiver.answers = [{ status: 429, headers: { "Retry-After": date } }];
    const outcome = await transport(receiver.url, { clock: () => T }).send([PUSH], signal);
    assert.deepEqual(outcome, {
      outcome: "retry",
      reason: `HTTP 429 from ${receiver.url}`,
      retryAfterMs: 30_000,
    });
  });

  it("retries 502 and 504 without a delay of their own", async () => {
    receiver.answers = [{ status: 502 }, { status: 504 }];
    const http = transport(receiver.url);
    assert.deepEqual(
      [(await http.send([PUSH], signal)).outcome, (await http.send([PUSH], signal)).outcome],
      ["retry", "retry"],
    );
  });

  it("refuses for good on 400 and 500, with the answer in the reason", async () => {
    receiver.answers = [{ status: 400, body: "bad\nmetric" }, { status: 500 }];
    const http = transport(receiver.url);
    assert.deepEqual(await http.send([PUSH], signal), {
      outcome: "rejected",
      reason: `HTTP 400 from ${receiver.url}: bad metric`,
    });
    assert.deepEqual(await http.send([PUSH], signal), {
      outcome: "rejected",
      reason: `HTTP 500 from ${receiver.url}`,
    });
  });

  it("reports the values a 200 answer says it refused", async () => {
    receiver.answers = [{ status: 200, body: '{"rejected":3,"message":"too old"}' }];
    assert.deepEqual(await transport(receiver.url).send([PUSH], signal), {
      outcome: "delivered",
      rejectedValues: 3,
      message: "too old",
    });
  });

  it("refuses for good a batch that cannot be encoded, without a request", async () => {
    const before = receiver.requests.length;
    const http = new HttpPostTransport<string>({
      url: receiver.url,
      encode: () => {
        throw new Error("unencodable");
      },
    });
    const outcome = await http.send([PUSH], signal);
    assert.deepEqual([outcome.outcome, outcome.outcome === "rejected" && outcome.reason], [
      "rejected",
      `encoding a batch for ${receiver.url} failed`,
    ]);
    assert.equal(receiver.requests.length, before);
  });

  it("retries when nothing listens", async () => {
    const closed = new Receiver();
    await closed.start();
    const url = closed.url;
    await closed.stop();
    const outcome = await transport(url).send([PUSH], signal);
    assert.deepEqual([outcome.outcome, outcome.outcome === "retry" && outcome.reason], [
      "retry",
      `cannot reach ${url}`,
    ]);
  });

  it("rejects a URL that is not http: or https:, naming it", () => {
    assert.throws(() => transport("ftp://127.0.0.1/x"), {
      name: "TypeError",
      message: 'url must be http: or https:, got "ftp://127.0.0.1/x"',
    });
  });
});

describe("PushPipeline over HTTP POST", () => {
  const receiver = new Receiver();
  let now = T;
  let logged: string[] = [];
  let previous: ReturnType<typeof setLogger> | undefined;
  before(() => receiver.start());
  after(() => receiver.stop());
  beforeEach(() => {
    reset();
    now = T;
    logged = [];
    receiver.answers = [];
    receiver.delivered = [];
    previous = setLogger((message) => logged.push(message));
  });
  afterEach(() => {
    setLogger(previous);
  });

  function pipeline(timeoutMs = 10_000): PushPipeline<string> {
    return new PushPipeline("otlp-test", transport(receiver.url, { timeoutMs }), {
      clock: () => now,
      random: () => 0,
      minBackoffMs: 60_000,
      maxBackoffMs: 60_000,
    });
  }
  const push = (p: PushPipeline<string>, name: string, values = 1) =>
    p.push(() => ({ payload: name, values, bytes: name.length }));
  const stats = () => getStats("/scales/otlp-test") as Record<string, number>;

  it("after three periods of 503, delivers every period's push with its own timestamp", async () => {
    const p = pipeline();
    receiver.answers = [{ status: 503 }, { status: 503 }, { status: 503 }];
    for (const name of ["p1", "p2", "p3"]) {
      assert.equal(await push(p, name), false);
      now += 60_000;
    }
    assert.equal(await push(p, "p4"), true);
    assert.deepEqual(receiver.delivered, ["p1@0\np2@60000\np3@120000\np4@180000"]);
    assert.deepEqual([stats().errors, stats().sentPushes, stats().resent], [3, 4, 0]);
    await p.close();
  });

  it("honours Retry-After: no request before it has passed", async () => {
    const p = pipeline();
    receiver.answers = [{ status: 429, headers: { "Retry-After": "120" } }];
    const before = receiver.requests.length;
    await push(p, "p1");
    now += 90_000; // past the 60 s backoff, not the 120 s Retry-After
    assert.equal(await push(p, "p2"), false);
    assert.equal(receiver.requests.length - before, 1);
    now += 30_000;
    assert.equal(await p.flush(), true);
    assert.deepEqual(receiver.delivered, ["p1@0\np2@90000"]);
    await p.close();
  });

  it("drops and counts a batch answered 400, logs it once and never sends it again", async () => {
    const p = pipeline();
    receiver.answers = [{ status: 400, body: "bad" }, { status: 400, body: "bad" }];
    const before = receiver.requests.length;
    assert.equal(await push(p, "bad1", 2), true);
    assert.equal(await push(p, "bad2", 3), true);
    assert.equal(await push(p, "good"), true);
    assert.equal(receiver.requests.length - before, 3);
    assert.deepEqual(receiver.delivered, ["good@0"]);
    assert.deepEqual([stats().rejectedPushes, stats().rejected, stats().errors], [2, 5, 0]);
    assert.deepEqual(logged, [
      `otlp-test: HTTP 400 from ${receiver.url}: bad; dropped 1 pushes (2 values), not to be sent again`,
    ]);
    await p.close();
  });

  it("close() returns by its deadline while a request hangs, and drops what is left", async () => {
    const p = pipeline(60_000);
    receiver.answers = ["hang"];
    void push(p, "p1", 4);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    assert.equal(await p.close(100), false);
    const took = Date.now() - started;
    assert.ok(took < 1_000, `close(100) took ${took} ms`);
    assert.deepEqual([stats().droppedPushes, stats().dropped, stats().queued], [1, 4, 0]);
  });
});

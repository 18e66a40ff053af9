import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { collection, IntStat, reset, setLogger } from "@scales/core";
import { statsHandler, toNodeListener } from "@scales/core/http";

/** Serves `listener` on a free loopback port for the length of `body`. */
async function withServer(
  listener: Parameters<typeof createServer>[1],
  body: (origin: string) => Promise<void>,
): Promise<void> {
  const server: Server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    await body(`http://127.0.0.1:${port}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe("toNodeListener", () => {
  it("answers ?format=json from a node:http server", async () => {
    reset();
    collection("/web", IntStat("requests", 3));
    const stats = toNodeListener(statsHandler());
    await withServer((req, res) => void stats(req, res), async (origin) => {
      const response = await fetch(`${origin}/status/web?format=json`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("cache-control"), "no-store");
      assert.equal(await response.text(), '{"requests":3}');
    });
  });

  it("sends HEAD without a body", async () => {
    reset();
    const stats = toNodeListener(statsHandler());
    await withServer((req, res) => void stats(req, res), async (origin) => {
      const response = await fetch(`${origin}/status/?format=json`, { method: "HEAD" });
      assert.equal(response.status, 200);
      assert.equal(await response.text(), "");
    });
  });

  it("answers a request whose Host header is not a valid host", async () => {
    reset();
    collection("/web", IntStat("requests", 3));
    const logged: string[] = [];
    const previous = setLogger((message) => logged.push(message));
    try {
      let status = 0;
      let text = "";
      await toNodeListener(statsHandler())(
        { method: "GET", url: "/status/web?format=json", headers: { host: "bad host" } },
        {
          headersSent: false,
          writeHead: (code) => (status = code),
          end: (body) => (text = new TextDecoder().decode(body)),
        },
      );
      assert.deepEqual([status, text, logged], [200, '{"requests":3}', []]);
    } finally {
      setLogger(previous);
    }
  });

  it("answers 500 and logs when the handler throws", async () => {
    const logged: string[] = [];
    const previous = setLogger((message) => logged.push(message));
    try {
      const broken = toNodeListener(() => {
        throw new Error("boom");
      });
      await withServer((req, res) => void broken(req, res), async (origin) => {
        const response = await fetch(`${origin}/status/`);
        assert.equal(response.status, 500);
        await response.body?.cancel();
      });
      assert.deepEqual(logged, ["stats viewer: failed to answer a request"]);
    } finally {
      setLogger(previous);
    }
  });
});

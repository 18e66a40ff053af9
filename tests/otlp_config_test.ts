import { describe, it } from "node:test";
import process from "node:process";
import assert from "node:assert/strict";
import { OtlpPeriodicPusher, OtlpPusher } from "@scales/core/otlp";
import { captureLog } from "./_otlp.ts";

function fromEnv(vars: Record<string, string>) {
  return { env: (name: string) => vars[name] };
}

describe("OtlpPusher settings from the OTEL_* environment variables", () => {
  const logged = captureLog();

  it("with nothing set: localhost:4318, protobuf, no compression, unknown_service, one minute", () => {
    const { config } = new OtlpPeriodicPusher(fromEnv({}));
    assert.deepEqual(config, {
      endpoint: "http://localhost:4318/v1/metrics",
      headers: {},
      protocol: "http/protobuf",
      compression: "none",
      timeoutMs: 10_000,
      resource: { "service.name": "unknown_service" },
      periodMs: 60_000,
    });
  });

  it("reads every variable the issue lists, and the metrics-specific ones over the general ones", () => {
    const { config, periodMs } = new OtlpPeriodicPusher(fromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: "https://collector.example:4318/otlp",
      OTEL_EXPORTER_OTLP_HEADERS: "api-key=a%20b, x-team = web",
      OTEL_EXPORTER_OTLP_METRICS_HEADERS: "x-team=metrics",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_COMPRESSION: "gzip",
      OTEL_EXPORTER_OTLP_TIMEOUT: "2500",
      OTEL_RESOURCE_ATTRIBUTES: "service.name=ignored,deployment.environment=prod",
      OTEL_SERVICE_NAME: "checkout",
      OTEL_METRIC_EXPORT_INTERVAL: "15000",
    }));
    assert.deepEqual(config, {
      endpoint: "https://collector.example:4318/otlp/v1/metrics",
      headers: { "api-key": "a b", "x-team": "metrics" },
      protocol: "http/json",
      compression: "gzip",
      timeoutMs: 2500,
      resource: { "service.name": "checkout", "deployment.environment": "prod" },
      periodMs: 15_000,
    });
    assert.equal(periodMs, 15_000);
  });

  it("takes OTEL_EXPORTER_OTLP_METRICS_ENDPOINT as is, over OTEL_EXPORTER_OTLP_ENDPOINT", () => {
    const pusher = new OtlpPusher(fromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318/",
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://b:9090/api/otlp",
    }));
    assert.equal(pusher.endpoint, "http://b:9090/api/otlp");
    assert.equal(
      new OtlpPusher(fromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318/" })).endpoint,
      "http://a:4318/v1/metrics",
    );
  });

  it("options win over the environment; resource attributes merge over it", () => {
    const pusher = new OtlpPeriodicPusher({
      ...fromEnv({
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_SERVICE_NAME: "from-env",
        OTEL_RESOURCE_ATTRIBUTES: "team=web",
        OTEL_METRIC_EXPORT_INTERVAL: "15000",
      }),
      protocol: "http/protobuf",
      periodMs: 1_000,
      resource: { "service.name": "from-options" },
    });
    assert.deepEqual(
      [pusher.protocol, pusher.periodMs, pusher.config.resource],
      ["http/protobuf", 1_000, { team: "web", "service.name": "from-options" }],
    );
  });

  it("a bad variable is logged and its default used, never thrown", () => {
    const { config } = new OtlpPeriodicPusher(fromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318",
      OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
      OTEL_METRIC_EXPORT_INTERVAL: "soon",
    }));
    assert.deepEqual(
      [config.endpoint, config.protocol, config.periodMs],
      ["http://localhost:4318/v1/metrics", "http/protobuf", 60_000],
    );
    assert.deepEqual(logged, [
      'otlp: OTEL_EXPORTER_OTLP_ENDPOINT="collector:4318" is not an http: or https: URL; using the default',
      'otlp: OTEL_EXPORTER_OTLP_PROTOCOL="grpc" is not "http/protobuf" or "http/json"; using the default',
      'otlp: OTEL_METRIC_EXPORT_INTERVAL="soon" is not a number of milliseconds of at least 1; using the default',
    ]);
  });

  it("reads the process environment by default", () => {
    const name = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT";
    const before = process.env[name];
    process.env[name] = "http://127.0.0.1:4999/v1/metrics";
    try {
      assert.equal(new OtlpPusher().endpoint, "http://127.0.0.1:4999/v1/metrics");
    } finally {
      if (before === undefined) delete process.env[name];
      else process.env[name] = before;
    }
  });
});

describe("OtlpPusher options", () => {
  it("rejects a bad option, naming it and what was expected", () => {
    assert.throws(() => new OtlpPusher({ endpoint: "localhost:4318" }), {
      name: "TypeError",
      message:
        'endpoint must be an http: or https: URL such as "http://localhost:4318/v1/metrics", got "localhost:4318"',
    });
    assert.throws(() => new OtlpPusher({ protocol: "grpc" as "http/json" }), {
      name: "RangeError",
      message: 'protocol must be "http/protobuf" or "http/json", got "grpc"',
    });
    assert.throws(() => new OtlpPusher({ compression: "br" as "gzip" }), {
      message: 'compression must be "gzip" or "none", got "br"',
    });
    assert.throws(
      () => new OtlpPusher({ resource: { "service.name": null as unknown as string } }),
      {
        message: "resource.service.name must be a string, a finite number or a boolean, got null",
      },
    );
    assert.throws(() => new OtlpPeriodicPusher({ periodMs: 0 }), {
      message: "periodMs must be a number of at least 1, got 0",
    });
    assert.throws(() => new OtlpPusher({ maxQueuedPushes: -1 }), {
      message: "maxQueuedPushes must be a positive integer, got -1",
    });
  });
});

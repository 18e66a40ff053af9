/**
 * The Prometheus exposition messages (`io.prometheus.client`, the fields
 * this library sends) as a protobufjs schema, to decode what the viewer
 * encodes by hand and to measure protobufjs' own encoder against it.
 *
 * @module
 */

import protobuf from "protobufjs";

const double = (id: number) => ({ type: "double", id });
const root = protobuf.Root.fromJSON({
  nested: {
    MetricFamily: {
      fields: {
        name: { type: "string", id: 1 },
        help: { type: "string", id: 2 },
        type: { type: "int32", id: 3 },
        metric: { rule: "repeated", type: "Metric", id: 4 },
        unit: { type: "string", id: 5 },
      },
    },
    Metric: {
      fields: {
        label: { rule: "repeated", type: "LabelPair", id: 1 },
        gauge: { type: "Value", id: 2 },
        counter: { type: "Value", id: 3 },
        summary: { type: "Summary", id: 4 },
        histogram: { type: "Histogram", id: 7 },
      },
    },
    LabelPair: { fields: { name: { type: "string", id: 1 }, value: { type: "string", id: 2 } } },
    Value: { fields: { value: double(1) } },
    Quantile: { fields: { quantile: double(1), value: double(2) } },
    Summary: {
      fields: {
        sampleCount: { type: "uint64", id: 1 },
        sampleSum: double(2),
        quantile: { rule: "repeated", type: "Quantile", id: 3 },
      },
    },
    BucketSpan: {
      fields: { offset: { type: "sint32", id: 1 }, length: { type: "uint32", id: 2 } },
    },
    Histogram: {
      fields: {
        sampleCount: { type: "uint64", id: 1 },
        sampleSum: double(2),
        schema: { type: "sint32", id: 5 },
        zeroThreshold: double(6),
        zeroCount: { type: "uint64", id: 7 },
        negativeSpan: { rule: "repeated", type: "BucketSpan", id: 9 },
        negativeDelta: { rule: "repeated", type: "sint64", id: 10 },
        positiveSpan: { rule: "repeated", type: "BucketSpan", id: 12 },
        positiveDelta: { rule: "repeated", type: "sint64", id: 13 },
      },
    },
  },
});

/** The `MetricFamily` message type. */
export const MetricFamily: protobuf.Type = root.lookupType("MetricFamily");

/** Decodes a delimited stream of `MetricFamily` messages into plain objects (64-bit integers as numbers). */
export function decodeFamilies(bytes: Uint8Array): Record<string, unknown>[] {
  const reader = protobuf.Reader.create(bytes);
  const out: Record<string, unknown>[] = [];
  while (reader.pos < reader.len) {
    const message = MetricFamily.decodeDelimited(reader);
    out.push(MetricFamily.toObject(message, { longs: Number, defaults: false }));
  }
  return out;
}

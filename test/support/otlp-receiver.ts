import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { closeServer, listenOnLoopback } from '../../dev/loopback-server';

/** A span as exported, read back from OTLP/HTTP protobuf or JSON. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  resource: Record<string, string | number | boolean>;
}

export interface OtlpReceiver {
  /** The value for OTEL_EXPORTER_OTLP_ENDPOINT (the exporter adds /v1/traces). */
  endpoint: string;
  /** Every export request's body as received (decompressed), for scanning. */
  bodies: Buffer[];
  contentTypes: string[];
  /** Each export's Content-Encoding (`identity` when none). */
  encodings: string[];
  spans: ReceivedSpan[];
  stop(): Promise<void>;
}

/** An OTLP/HTTP traces endpoint in the test process: what the BFF would send to a collector. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const receiver: Omit<OtlpReceiver, 'endpoint' | 'stop'> = { bodies: [], contentTypes: [], encodings: [], spans: [] };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      const type = req.headers['content-type'] ?? '';
      receiver.bodies.push(body);
      receiver.contentTypes.push(type);
      receiver.encodings.push(req.headers['content-encoding'] ?? 'identity');
      if (req.url === '/v1/traces') receiver.spans.push(...(type.includes('json') ? spansFromJson(body) : spansFromProtobuf(body)));
      res.writeHead(200, { 'content-type': type.includes('json') ? 'application/json' : 'application/x-protobuf' }).end(type.includes('json') ? '{}' : '');
    });
  });
  const port = await listenOnLoopback(server, 0);
  return { ...receiver, endpoint: `http://127.0.0.1:${port}`, stop: () => closeServer(server) };
}

type JsonValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type JsonAttribute = { key: string; value: JsonValue };

function jsonAttributes(list: JsonAttribute[] | undefined): Record<string, string | number | boolean> {
  const attributes: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) attributes[key] = value.stringValue ?? value.boolValue ?? value.doubleValue ?? Number(value.intValue);
  return attributes;
}

function spansFromJson(body: Buffer): ReceivedSpan[] {
  type JsonSpan = { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: JsonAttribute[]; status?: { code?: number } };
  const request = JSON.parse(body.toString()) as { resourceSpans: { resource?: { attributes?: JsonAttribute[] }; scopeSpans: { spans: JsonSpan[] }[] }[] };
  return request.resourceSpans.flatMap((resourceSpans) =>
    resourceSpans.scopeSpans.flatMap(({ spans }) =>
      spans.map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        name: span.name,
        kind: span.kind,
        attributes: jsonAttributes(span.attributes),
        statusCode: span.status?.code ?? 0,
        resource: jsonAttributes(resourceSpans.resource?.attributes),
      })),
    ),
  );
}

/** Protobuf wire format, read field by field: enough of opentelemetry/proto/trace/v1 for these tests. */
type Field = { number: number; varint?: bigint; bytes?: Buffer };

function fields(buffer: Buffer): Field[] {
  const out: Field[] = [];
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buffer[offset++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (offset < buffer.length) {
    const tag = Number(varint());
    const number = tag >>> 3;
    switch (tag & 7) {
      case 0:
        out.push({ number, varint: varint() });
        break;
      case 1:
        out.push({ number, bytes: buffer.subarray(offset, offset + 8) });
        offset += 8;
        break;
      case 2: {
        const length = Number(varint());
        out.push({ number, bytes: buffer.subarray(offset, offset + length) });
        offset += length;
        break;
      }
      case 5:
        out.push({ number, bytes: buffer.subarray(offset, offset + 4) });
        offset += 4;
        break;
      default:
        throw new Error(`unexpected wire type in OTLP protobuf: ${tag & 7}`);
    }
  }
  return out;
}

const sub = (list: Field[], number: number) => list.filter((field) => field.number === number).map((field) => fields(field.bytes!));
const bytesOf = (list: Field[], number: number) => list.find((field) => field.number === number)?.bytes;

function protobufAttributes(list: Field[][]): Record<string, string | number | boolean> {
  const attributes: Record<string, string | number | boolean> = {};
  for (const keyValue of list) {
    const key = bytesOf(keyValue, 1)?.toString() ?? '';
    const value = fields(bytesOf(keyValue, 2) ?? Buffer.alloc(0));
    const string = bytesOf(value, 1);
    const bool = value.find((field) => field.number === 2)?.varint;
    const int = value.find((field) => field.number === 3)?.varint;
    const double = bytesOf(value, 4);
    attributes[key] = string !== undefined ? string.toString() : bool !== undefined ? bool === 1n : int !== undefined ? Number(BigInt.asIntN(64, int)) : (double?.readDoubleLE(0) ?? '');
  }
  return attributes;
}

function spansFromProtobuf(body: Buffer): ReceivedSpan[] {
  return sub(fields(body), 1).flatMap((resourceSpans) => {
    const resource = protobufAttributes(sub(sub(resourceSpans, 1)[0] ?? [], 1));
    return sub(resourceSpans, 2).flatMap((scopeSpans) =>
      sub(scopeSpans, 2).map((span) => ({
        traceId: bytesOf(span, 1)?.toString('hex') ?? '',
        spanId: bytesOf(span, 2)?.toString('hex') ?? '',
        parentSpanId: bytesOf(span, 4)?.toString('hex') ?? '',
        name: bytesOf(span, 5)?.toString() ?? '',
        kind: Number(span.find((field) => field.number === 6)?.varint ?? 0n),
        attributes: protobufAttributes(sub(span, 9)),
        statusCode: Number(sub(span, 15)[0]?.find((field) => field.number === 3)?.varint ?? 0n),
        resource,
      })),
    );
  });
}

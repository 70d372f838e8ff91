import { createServer, type Server } from 'node:http';
import { closeServer, listenOnLoopback } from '../dev/loopback-server';
import { freePort } from '../test/support/free-port';
import { memoryLimit, type MemoryLimit } from './memory-limit';
import type { Subject } from './measure';
import type { BffTarget } from './targets';

type Launch = (name: string, env: Record<string, string>, nodeArgs?: string[], cgroupProcs?: string) => Promise<BffTarget>;
type BffEnv = (port: number, adminPort: number, extra?: Record<string, string>) => Record<string, string>;

/** Where a traced BFF sends its spans: an OTLP/HTTP endpoint in the bench process that counts and discards them. */
export interface OtlpSink {
  endpoint: string;
  exports: number;
  bytes: number;
  close(): Promise<void>;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  const sink = { exports: 0, bytes: 0 };
  const server: Server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (sink.bytes += chunk.length));
    req.on('end', () => {
      sink.exports += 1;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  const port = await listenOnLoopback(server, 0);
  return Object.assign(sink, { endpoint: `http://127.0.0.1:${port}`, close: () => closeServer(server) });
}

/**
 * The session scenario against a BFF exporting spans (OTLP/HTTP protobuf, default batching): every request's
 * (`ratio` 1, the default sampler), or a sampled share of the traces (`parentbased_traceidratio`).
 */
export async function tracedBff(launch: Launch, bffEnv: BffEnv, sink: OtlpSink, session: Subject['load'], ratio = 1): Promise<{ target: BffTarget; subject: Subject }> {
  const port = await freePort();
  const sampler: Record<string, string> = ratio === 1 ? {} : { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: String(ratio) };
  const target = await launch(`bff-traced-${ratio}`, bffEnv(port, await freePort(), { OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint, OTEL_SERVICE_NAME: 'bff-bench', ...sampler }));
  const name = ratio === 1 ? 'bff session, span export on' : `bff session, span export on, ${ratio * 100} % sampled`;
  return { target, subject: { name, pid: target.pid, load: { ...session, url: session.url.replace(/^http:\/\/[^/]+/, target.url) } } };
}

/**
 * The session scenario against a BFF started inside a memory cgroup of `mib` MiB, as a container with that limit would
 * run it (Node sizes its heap from the cgroup). Without a writable cgroupfs, `--max-old-space-size` at half the limit.
 */
export async function limitedBff(launch: Launch, bffEnv: BffEnv, mib: number, session: Subject['load']): Promise<{ target: BffTarget; subject: Subject; limit: MemoryLimit | undefined }> {
  const limit = memoryLimit(mib, `bff-bench-${process.pid}`);
  const port = await freePort();
  const nodeArgs = limit ? [] : [`--max-old-space-size=${Math.floor(mib / 2)}`];
  const target = await launch(`bff-${mib}mib`, bffEnv(port, await freePort()), nodeArgs, limit?.procsFile);
  return { target, limit, subject: { name: `bff session in ${mib} MiB`, pid: target.pid, load: { ...session, url: session.url.replace(/^http:\/\/[^/]+/, target.url) } } };
}

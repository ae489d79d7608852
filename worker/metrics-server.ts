import http from 'node:http';
import net from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { metrics } from '../server/metrics/registry.ts';

export interface MetricsServerOptions {
  /** host:port to serve `/metrics` on (WORKER_METRICS_ADDRESS); port 0 picks a free one (tests). */
  address: string;
  registry: Registry;
  /** Where Temporal Core's own exporter listens (loopback only), or null when this worker runs no Temporal worker. */
  coreAddress: string | null;
  log: Logger;
  coreTimeoutMs?: number;
}

export interface MetricsServer {
  /** The URL of `/metrics` as bound. */
  url: string;
  stop(): Promise<void>;
}

export function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

/**
 * A free loopback port for Temporal Core's exporter: Core binds the address it is given and cannot say which port
 * it chose, so one is found here first (released just before Core binds it).
 */
export async function freeLoopbackAddress(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  return `127.0.0.1:${port}`;
}

/**
 * One `/metrics` for the worker: Temporal Core's worker metrics (fetched from its loopback exporter at each scrape)
 * followed by DashOps's own (server/metrics/registry.ts). If Core's exporter does not answer, DashOps's metrics are
 * still served, with a comment line saying why Core's are missing; the miss is logged and counted
 * (`dashops_metrics_sample_failures_total{reading="temporal_core"}`), so the worker is not reported down for it.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const log = options.log.child({ component: 'metrics-server' });
  const coreTimeoutMs = options.coreTimeoutMs ?? 5_000;

  const coreText = async (): Promise<string> => {
    if (options.coreAddress === null) return '';
    try {
      const response = await fetch(`http://${options.coreAddress}/metrics`, { signal: AbortSignal.timeout(coreTimeoutMs) });
      if (!response.ok) throw new Error(`Temporal Core's exporter answered ${response.status}`);
      const text = await response.text();
      return text.endsWith('\n') || text === '' ? text : `${text}\n`;
    } catch (err) {
      log.warn({ err, coreAddress: options.coreAddress }, "Temporal Core's metrics not read; serving DashOps's alone");
      metrics().sampleFailures.inc({ reading: 'temporal_core' });
      return `# Temporal Core metrics unavailable: ${(err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ')}\n`;
    }
  };

  const server = http.createServer((request, response) => {
    if (request.method !== 'GET' || new URL(request.url ?? '/', 'http://localhost').pathname !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: metrics are at /metrics\n');
      return;
    }
    // Core's first, so a failure to read it is already counted in this scrape.
    coreText()
      .then(async (core) => core + (await options.registry.metrics()))
      .then((text) => response.writeHead(200, { 'content-type': options.registry.contentType }).end(text))
      .catch((err: unknown) => {
        log.error({ err }, 'metrics scrape failed');
        response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics could not be collected; see the worker log\n');
      });
  });
  const { host, port } = splitAddress(options.address);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  const bound = server.address() as net.AddressInfo;
  const url = `http://${host}:${bound.port}/metrics`;

  return {
    url,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

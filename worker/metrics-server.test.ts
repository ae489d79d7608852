import http from 'node:http';
import type net from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { countProcessorOutcome, metrics } from '../server/metrics/registry.ts';
import { freeLoopbackAddress, startMetricsServer, type MetricsServer } from './metrics-server.ts';

const log = pino({ level: 'silent' });
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

/** A stand-in for Temporal Core's exporter: a real HTTP server answering Prometheus text. */
async function coreExporter(body: string): Promise<string> {
  const server = http.createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

async function serve(coreAddress: string | null): Promise<MetricsServer> {
  const server = await startMetricsServer({ address: '127.0.0.1:0', registry: metrics().registry, coreAddress, log, coreTimeoutMs: 1_000 });
  stops.push(() => server.stop());
  return server;
}

describe('the worker metrics server', () => {
  it("serves Temporal Core's metrics and DashOps's at one /metrics", async () => {
    countProcessorOutcome('inventory_levels', 'server-test', 'applied', 120);
    const core = await coreExporter('# HELP temporal_request Core RPCs\n# TYPE temporal_request counter\ntemporal_request{operation="PollWorkflowTaskQueue"} 7');
    const server = await serve(core);
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(/^# HELP temporal_request Core RPCs\n/);
    expect(text).toContain('temporal_request{operation="PollWorkflowTaskQueue"} 7\n# HELP dashops_');
    expect(text).toContain('dashops_processor_messages_total{table="inventory_levels",sub_processor="server-test",outcome="applied"} 1');
    expect(text).toContain('dashops_processor_latency_seconds_bucket{le="0.25",table="inventory_levels",sub_processor="server-test"} 1');
    expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404);
  });

  it("still serves DashOps's metrics when Core's exporter does not answer, saying why and counting it", async () => {
    const before = (await metrics().sampleFailures.get()).values.find((v) => v.labels.reading === 'temporal_core')?.value ?? 0;
    const server = await serve(await freeLoopbackAddress());
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/^# Temporal Core metrics unavailable: /);
    expect(text).toContain(`dashops_metrics_sample_failures_total{reading="temporal_core"} ${before + 1}`);
  });

  it('serves DashOps metrics alone where the worker runs no Temporal worker', async () => {
    const server = await serve(null);
    const text = await (await fetch(server.url)).text();
    expect(text).toMatch(/^# HELP dashops_/);
    expect(text).not.toContain('Temporal Core');
  });
});

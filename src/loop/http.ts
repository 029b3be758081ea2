/**
 * `/healthz`, `/readyz` and `/metrics` for a controller loop. Loopback by default: the
 * metrics name resources and commits, so exposing them is an explicit choice
 * (`--metrics-host 0.0.0.0`, e.g. on Cloud Run where the platform probes the port).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { redact } from '../engine/redact';
import { RunctlError } from '../engine/types';
import type { LoopMetrics } from './metrics';

export interface StatusSource {
  /** True once the first reconcile pass has finished. */
  ready(): boolean;
  /** Why the loop is not ready (shown by `/readyz`). */
  notReadyReason(): string;
  /** False once the loop has stopped (shutting down). */
  alive(): boolean;
}

export interface OpsServer {
  /** `http://host:port` the server listens on. */
  url: string;
  close(): Promise<void>;
}

/** Start the server; resolves once it listens. */
export async function startOpsServer(opts: { host?: string; port: number; metrics: LoopMetrics; status: StatusSource }): Promise<OpsServer> {
  const { metrics, status } = opts;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      // Reasons and label values may quote a repository URL: never with its credentials.
      res.end(req.method === 'HEAD' ? undefined : redact(body));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    if (path === '/healthz') return status.alive() ? send(200, 'ok\n') : send(503, 'shutting down\n');
    if (path === '/readyz') return status.ready() ? send(200, 'ready\n') : send(503, `not ready: ${status.notReadyReason()}\n`);
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => send(200, text, metrics.registry.contentType),
        (err) => send(500, `${(err as Error).message}\n`),
      );
      return;
    }
    send(404, 'not found: try /healthz, /readyz or /metrics\n');
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new RunctlError('Usage', `cannot serve metrics on ${opts.host ?? '127.0.0.1'}:${opts.port}: ${err.code ?? err.message}`, { source: 'user', cause: err })),
    );
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

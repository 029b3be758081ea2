/**
 * Start the emulator: a gRPC server on port P and an HTTP server on P+1, both on
 * loopback, with every API module registered. Used standalone (`runctl emulator`),
 * embedded by the CLI, and by tests.
 */
import * as http from 'node:http';
import { EmulatorCore } from './core';
import { type EmulatorOptions } from './options';
import { grpc } from './grpc';
import { Router } from './http';
import { MODULES } from './modules/index';
import { adminRoutes } from './admin';
import { GrpcRegistry } from './rest/registry';
import { RestTranscoder, sendGoogleError, sendUnimplemented } from './rest/transcoder';

export interface RunningEmulator {
  core: EmulatorCore;
  /** `127.0.0.1:P` */
  grpc: string;
  /** `127.0.0.1:P+1` */
  http: string;
  /** The JSON line printed on start. */
  banner: string;
  stop(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
    throw new Error(`the emulator binds to loopback only (got ${host})`);
  }
  const core = new EmulatorCore(options);
  const router = new Router();
  adminRoutes(router, core);
  for (const m of MODULES) m.http?.(router, core);
  // Every gRPC method a module registers is served over REST/JSON too (rest/transcoder.ts).
  const registry = new GrpcRegistry();
  // Built on the first REST call: reading the API descriptors costs start-up time.
  let transcoder: RestTranscoder | undefined;
  const restCalls: Record<string, number> = {};
  // Which calls came over REST/JSON (the main stats count both transports alike).
  router.add('GET', '/__emulator/rest/stats', () => ({ calls: { ...restCalls } }));

  for (let attempt = 0; attempt < 20; attempt++) {
    const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
    registry.record(server);
    for (const m of MODULES) m.grpc?.(server, core);
    const grpcPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host}:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
    const httpServer = http.createServer((req, res) => {
      router
        .handle(req, res)
        .then(async (handled) => {
          if (handled) return;
          transcoder ??= new RestTranscoder(registry, restCalls);
          if (!(await transcoder.handle(req, res))) sendUnimplemented(res, req.method ?? 'GET', new URL(req.url ?? '/', 'http://localhost').pathname);
        })
        .catch((err) => (res.headersSent ? res.destroy() : sendGoogleError(res, err)));
    });
    const ok = await new Promise<boolean>((resolve, reject) => {
      httpServer.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE' && !options.port) resolve(false);
        else reject(err);
      });
      httpServer.listen(grpcPort + 1, host, () => resolve(true));
    });
    if (!ok) {
      server.forceShutdown();
      continue;
    }
    const grpcAddr = `${host}:${grpcPort}`;
    const httpAddr = `${host}:${grpcPort + 1}`;
    for (const m of MODULES) m.start?.(core);
    return {
      core,
      grpc: grpcAddr,
      http: httpAddr,
      banner: JSON.stringify({ grpc: grpcAddr, http: httpAddr }),
      async stop() {
        for (const m of MODULES) m.stop?.(core);
        // New calls are refused and those in flight finish before the last write, so
        // whoever loads the state next sees every answered write.
        await core.close();
        server.forceShutdown();
        httpServer.closeAllConnections?.();
        await new Promise<void>((r) => httpServer.close(() => r()));
      },
    };
  }
  throw new Error('could not find a free pair of ports for the emulator');
}

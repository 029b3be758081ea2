/**
 * The seam between the transports: every gRPC service an emulator module registers is
 * recorded here (definition and implementation), so the REST transcoder calls the very
 * handler the gRPC server calls, with the request object gRPC would have decoded.
 */
import type * as grpcJs from '@grpc/grpc-js';

/** One registered unary method, keyed by its gRPC path (`/google.cloud.run.v2.Services/GetService`). */
export interface RegisteredMethod {
  path: string;
  /** Binary protobuf -> the request object the handler sees (proto-loader's conversion). */
  requestDeserialize(bytes: Buffer): unknown;
  /** The handler's answer -> binary protobuf. */
  responseSerialize(value: unknown): Buffer;
  handler: grpcJs.handleUnaryCall<unknown, unknown>;
}

/** The gRPC methods the emulator implements, by gRPC path. */
export class GrpcRegistry {
  private readonly methods = new Map<string, RegisteredMethod>();

  /**
   * Record every service added to `server` (then add it as usual). Only unary methods
   * are recorded: the REST mapping of the emulated APIs has no streaming method.
   */
  record(server: grpcJs.Server): grpcJs.Server {
    const add = server.addService.bind(server);
    server.addService = (definition, implementation) => {
      for (const [key, def] of Object.entries(definition)) {
        if (def.requestStream || def.responseStream) continue;
        const impl = implementation[key] ?? (def.originalName ? implementation[def.originalName] : undefined);
        if (typeof impl !== 'function') continue;
        this.methods.set(def.path, {
          path: def.path,
          requestDeserialize: def.requestDeserialize,
          responseSerialize: def.responseSerialize as (v: unknown) => Buffer,
          handler: impl as grpcJs.handleUnaryCall<unknown, unknown>,
        });
      }
      add(definition, implementation);
    };
    return server;
  }

  /** The method at a gRPC path, when the emulator implements it. */
  get(path: string): RegisteredMethod | undefined {
    return this.methods.get(path);
  }

  /** Every implemented gRPC path (for the spec test). */
  paths(): string[] {
    return [...this.methods.keys()].sort();
  }
}

/**
 * gRPC plumbing for the emulator: proto loading from the official client packages
 * (so the wire format is exactly what the clients expect) and a unary-handler wrapper
 * that applies the core's stats, latency and faults and maps errors to gRPC statuses.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EmulatorCore } from './core';
import { EmulatorError, Code } from './errors';

/** The gRPC implementation the Google clients use (one copy only). */
export const grpc: typeof import('google-gax').grpc = require('google-gax').grpc;

function packageDir(pkg: string): string {
  try {
    return path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    // Packages with an `exports` map (google-gax) hide package.json: walk up from the main file.
    let dir = path.dirname(require.resolve(pkg));
    while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    return dir;
  }
}

/** Include directories: the client packages' protos, then google-gax's common protos. */
export function protoIncludeDirs(): string[] {
  return [
    path.join(packageDir('@google-cloud/run'), 'build', 'protos'),
    path.join(packageDir('@google-cloud/monitoring'), 'build', 'protos'),
    path.join(packageDir('@google-cloud/secret-manager'), 'build', 'protos'),
    path.join(packageDir('@google-cloud/artifact-registry'), 'build', 'protos'),
    path.join(packageDir('@google-cloud/scheduler'), 'build', 'protos'),
    path.join(packageDir('@google-cloud/vpc-access'), 'build', 'protos'),
    path.join(packageDir('@google-cloud/resource-manager'), 'build', 'protos'),
    path.join(packageDir('google-gax'), 'build', 'protos'),
  ];
}

/** Load proto files into a gRPC package definition (camelCase fields, enum names as strings). */
export function loadProtos(files: string[]): any {
  const protoLoader = require('@grpc/proto-loader') as typeof import('@grpc/proto-loader');
  const def = protoLoader.loadSync(files, {
    includeDirs: protoIncludeDirs(),
    keepCase: false,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(def);
}

/** Convert any thrown value into a gRPC ServiceError. */
export function toGrpcError(err: unknown): import('@grpc/grpc-js').ServiceError {
  const e = err instanceof EmulatorError ? err : new EmulatorError(Code.INTERNAL, (err as Error)?.message ?? String(err));
  const metadata = new grpc.Metadata();
  if (e.retryAfter) metadata.set('retry-after', String(e.retryAfter));
  return Object.assign(new Error(e.message), { code: e.grpcCode, details: e.message, metadata }) as any;
}

export type UnaryImpl = (request: any, metadata: import('@grpc/grpc-js').Metadata) => unknown | Promise<unknown>;

/**
 * Wrap a unary implementation: `method` is the stats name (`Services.GetService`),
 * `kind` counts it as a read or a write.
 */
export function unary(core: EmulatorCore, method: string, kind: 'read' | 'write', impl: UnaryImpl) {
  return (call: any, callback: (err: any, value?: unknown) => void) => {
    core
      .call(method, kind, () => impl(call.request, call.metadata))
      .then((value) => callback(null, value ?? {}))
      .catch((err) => callback(toGrpcError(err)));
  };
}

/** Build an `Any` from a protobufjs type and a plain object. */
export function packAny(typeName: string, type: { fromObject(o: any): any; encode(m: any): { finish(): Uint8Array } }, value: unknown): { typeUrl: string; value: Buffer } {
  const msg = type.fromObject(value);
  const typeUrl = `type.googleapis.com/${typeName}`;
  // protobufjs' bundled google/protobuf/any.proto keeps the field name `type_url` even when
  // loaded with keepCase:false, so give both spellings or the type URL is silently dropped.
  return { typeUrl, type_url: typeUrl, value: Buffer.from(type.encode(msg).finish()) } as { typeUrl: string; value: Buffer };
}

/**
 * gRPC plumbing for the emulator: proto loading from the official client packages
 * (so the wire format is exactly what the clients expect) and a unary-handler wrapper
 * that applies the core's stats, latency and faults and maps errors to gRPC statuses.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EmulatorCore } from './core';
import { EmulatorError, Code } from './errors';
import { grpcNamespace, lazyRoot, type Conversion } from '../util/grpc-defs';
import { subsetFor } from '../util/proto-subsets';

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

/** Options of every message conversion: camelCase fields, enum names and int64 as strings. */
const CONVERSION: Conversion = { longs: String, enums: String, defaults: false, oneofs: true };

/** google-gax's JSON descriptors of the mixin services every package imports. */
const GAX_MIXINS: Record<string, string> = {
  'google/longrunning/operations.proto': 'operations.json',
  'google/cloud/location/locations.proto': 'locations.json',
  'google/iam/v1/iam_policy.proto': 'iam_service.json',
};

/** The protobufjs that @grpc/proto-loader uses, so conversions are exactly the ones it makes. */
function protobufjs(): typeof import('protobufjs') {
  return require(require.resolve('protobufjs', { paths: [path.dirname(require.resolve('@grpc/proto-loader'))] }));
}

/**
 * The JSON descriptor file holding a proto file's definitions: the `build/protos/protos.json`
 * of the client package that ships the file (the very descriptors the client is generated
 * from), or google-gax's descriptor of a mixin. Undefined when no package ships one.
 */
function jsonSourceOf(file: string): string | undefined {
  const gaxDir = path.join(packageDir('google-gax'), 'build', 'protos');
  if (GAX_MIXINS[file]) return path.join(gaxDir, GAX_MIXINS[file]);
  for (const dir of protoIncludeDirs()) {
    if (dir === gaxDir) continue;
    if (fs.existsSync(path.join(dir, file)) && fs.existsSync(path.join(dir, 'protos.json'))) return path.join(dir, 'protos.json');
  }
  return undefined;
}

const jsonRoots = new Map<string, import('protobufjs').Root>();

/**
 * The descriptor a package's files are served from: the build's subset of the package
 * (`dist/generated/protos/`, what runctl's own clients load) once a `loadProtos` call
 * has found there every service it serves, else the package's whole `protos.json`.
 */
const sourceChoice = new Map<string, { subset: object; services: Set<string> } | null>();

/** The build's subset for the package whose `protos.json` is `source`, when it holds `services`. */
function subsetHolding(source: string, services: string[]): object | undefined {
  if (!services.length || path.basename(source) !== 'protos.json') return undefined;
  let choice = sourceChoice.get(source);
  if (choice === undefined) {
    choice = null;
    try {
      const pkgDir = path.resolve(path.dirname(source), '..', '..');
      const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { name: string; version: string };
      const subset = subsetFor(pkg.name, pkg.version);
      if (subset) choice = { subset: subset.protos as object, services: new Set(Object.values(subset.services)) };
    } catch {
      /* no subset: the whole file */
    }
    sourceChoice.set(source, choice);
  }
  return choice && services.every((s) => choice!.services.has(s)) ? choice.subset : undefined;
}

/**
 * The protobufjs Root of the client package that ships a proto file (its JSON descriptor),
 * or undefined when none does. Shared with `loadProtos`: one parse per package; the
 * build's subset when `loadProtos` chose it for the package (messages of a service the
 * subset holds are in it: it keeps everything the services reach).
 */
export function protoRootOf(file: string): import('protobufjs').Root | undefined {
  const source = jsonSourceOf(file);
  if (!source) return undefined;
  const chosen = subsetRoots.get(source);
  return chosen ?? jsonRoot(source);
}

/** Roots built from subsets, by the `protos.json` they stand in for. */
const subsetRoots = new Map<string, import('protobufjs').Root>();

/** One protobufjs Root per JSON descriptor file, built once per process. */
export function jsonRoot(file: string): import('protobufjs').Root {
  let root = jsonRoots.get(file);
  if (!root) {
    root = lazyRoot(protobufjs(), JSON.parse(fs.readFileSync(file, 'utf8')));
    jsonRoots.set(file, root);
  }
  return root;
}

/**
 * The gRPC services of proto files, as `grpc.loadPackageDefinition` shapes them
 * (`pkg.google.cloud.run.v2.Services.service`). Read from the client packages' JSON
 * descriptors (`protos.json`): parsing the .proto text and building proto-loader's
 * reflection descriptors cost most of an embedded emulator's start. The namespace holds
 * every service of the packages the files come from (callers pick theirs by name).
 * `services` (full names) are those the caller will pick: when the build's subset of the
 * package holds all of them, the subset is read instead of the whole file (a quarter of
 * its size; in the embedded emulator, the very Root the clients use). Falls back to
 * parsing the .proto files when a file has no JSON descriptor.
 */
export function loadProtos(files: string[], services: string[] = []): any {
  const sources = files.map(jsonSourceOf);
  if (sources.some((s) => !s)) return loadProtoText(files);
  const roots = (sources as string[]).map((source) => {
    const subset = subsetHolding(source, services);
    if (!subset) return jsonRoot(source);
    const root = lazyRoot(protobufjs(), subset as never);
    subsetRoots.set(source, root);
    return root;
  });
  // A client constructor whose `.service` is the definition, as loadPackageDefinition makes.
  return grpcNamespace(roots, CONVERSION, (def, name) => grpc.makeClientConstructor(def as any, name));
}

const textRoots = new Map<string, import('protobufjs').Root>();

/**
 * The protobufjs Root holding a proto file's messages: the shipping package's JSON
 * descriptor (`protoRootOf`), else the .proto text parsed once per file.
 */
export function messageRoot(file: string): import('protobufjs').Root {
  const json = protoRootOf(file);
  if (json) return json;
  let root = textRoots.get(file);
  if (!root) {
    const root0 = new (protobufjs().Root)();
    const dirs = protoIncludeDirs();
    root0.resolvePath = (_origin, target) => {
      // protobufjs bundles the well-known types; let it use them.
      if (target.startsWith('google/protobuf/')) return target;
      for (const dir of dirs) {
        const candidate = path.join(dir, target);
        if (fs.existsSync(candidate)) return candidate;
      }
      return target;
    };
    root0.loadSync([file], { keepCase: false });
    textRoots.set(file, (root = root0));
  }
  return root;
}

const resolvedTypes = new Map<string, import('protobufjs').Type>();

/**
 * A message type of the package shipping `file`, with every type its fields use resolved
 * (roots are read unresolved for a fast start; code that walks `field.resolvedType`
 * needs the whole tree).
 */
export function messageType(file: string, fullName: string): import('protobufjs').Type {
  const key = `${file}#${fullName}`;
  let type = resolvedTypes.get(key);
  if (!type) {
    type = messageRoot(file).lookupType(fullName);
    resolveDeep(type, new Set());
    resolvedTypes.set(key, type);
  }
  return type;
}

function resolveDeep(type: import('protobufjs').Type, seen: Set<import('protobufjs').Type>): void {
  if (seen.has(type)) return;
  seen.add(type);
  type.resolveAll();
  for (const field of type.fieldsArray) {
    const t = field.resolve().resolvedType;
    if (t && 'fieldsArray' in t) resolveDeep(t as import('protobufjs').Type, seen);
  }
}

/** Load .proto files as text into a gRPC package definition (the fallback of `loadProtos`). */
export function loadProtoText(files: string[]): any {
  const protoLoader = require('@grpc/proto-loader') as typeof import('@grpc/proto-loader');
  const def = protoLoader.loadSync(files, {
    includeDirs: protoIncludeDirs(),
    keepCase: false,
    ...CONVERSION,
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

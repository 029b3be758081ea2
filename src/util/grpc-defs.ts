/**
 * gRPC service definitions straight from protobufjs reflection: the serializers
 * @grpc/proto-loader makes, without the reflection descriptors (`toDescriptor` of every
 * message in the file set) it also builds and that neither a client stub nor a server
 * ever reads. Those descriptors were the largest single cost of starting a gRPC client
 * or the emulator. Both sides share this file: the emulator (`src/emulator/grpc.ts`) and
 * the Google clients' loader (`src/gcp/light-protos.ts`).
 */
import type * as protobuf from 'protobufjs';

/** How messages become plain objects (proto-loader's options of the same names). */
export interface Conversion {
  longs: typeof String;
  enums: typeof String;
  /** Fill absent fields with their defaults when decoding (google-gax: true; the emulator: false). */
  defaults: boolean;
  oneofs: boolean;
}

/** One method, as `@grpc/grpc-js` `makeClientConstructor` and `Server.addService` read it. */
export interface MethodDefinition {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize(value: object): Buffer;
  requestDeserialize(bytes: Buffer): object;
  responseSerialize(value: object): Buffer;
  responseDeserialize(bytes: Buffer): object;
  originalName: string;
}

function serializer(type: protobuf.Type): (value: object) => Buffer {
  return (value) => {
    if (Array.isArray(value)) throw new Error(`Failed to serialize message: expected object with ${type.name} structure, got array instead`);
    return Buffer.from(type.encode(type.fromObject(value)).finish());
  };
}

function deserializer(type: protobuf.Type, conversion: Conversion): (bytes: Buffer) => object {
  return (bytes) => type.toObject(type.decode(bytes), conversion);
}

/** The definition of one service (method name -> definition). */
export function serviceDefinition(service: protobuf.Service, conversion: Conversion): Record<string, MethodDefinition> {
  const name = service.fullName.replace(/^\./, '');
  const def: Record<string, MethodDefinition> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const req = method.resolvedRequestType!;
    const res = method.resolvedResponseType!;
    def[method.name] = {
      path: `/${name}/${method.name}`,
      requestStream: !!method.requestStream,
      responseStream: !!method.responseStream,
      requestSerialize: serializer(req),
      requestDeserialize: deserializer(req, conversion),
      responseSerialize: serializer(res),
      responseDeserialize: deserializer(res, conversion),
      originalName: method.name[0].toLowerCase() + method.name.slice(1),
    };
  }
  return def;
}

/**
 * A Root from a JSON descriptor without resolving it: `Root.fromJSON` resolves every
 * type of the file (most of its cost); a type used for encoding resolves its own fields
 * when first set up, and a method its request and response types when asked.
 */
export function lazyRoot(pb: typeof protobuf, json: { nested?: Record<string, unknown>; options?: Record<string, unknown> }): protobuf.Root {
  const root = new pb.Root();
  if (json.options) root.setOptions(json.options);
  return root.addJSON((json.nested ?? {}) as never) as protobuf.Root;
}

function* servicesIn(ns: protobuf.NamespaceBase): Generator<protobuf.Service> {
  for (const nested of ns.nestedArray) {
    if ('methods' in nested) yield nested as protobuf.Service;
    if ('nestedArray' in nested) yield* servicesIn(nested as protobuf.Namespace);
  }
}

/**
 * Every service of `roots` in the namespace shape `grpc.loadPackageDefinition` makes
 * (`pkg.google.cloud.run.v2.Services`), each built by `make` on first access: a caller
 * touches the few services it uses. The first root defining a service wins.
 */
export function grpcNamespace(roots: protobuf.Root[], conversion: Conversion, make: (def: Record<string, MethodDefinition>, name: string) => unknown): Record<string, any> {
  const pkg: Record<string, any> = {};
  for (const root of roots) {
    for (const service of servicesIn(root)) {
      const parts = service.fullName.replace(/^\./, '').split('.');
      let ns = pkg;
      for (const part of parts.slice(0, -1)) ns = ns[part] ??= {};
      const last = parts[parts.length - 1];
      if (Object.prototype.hasOwnProperty.call(ns, last)) continue;
      let made: unknown;
      Object.defineProperty(ns, last, { enumerable: true, get: () => (made ??= make(serviceDefinition(service, conversion), last)) });
    }
  }
  return pkg;
}

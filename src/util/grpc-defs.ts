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

/** protobufjs internals `Type.prototype.setup` uses (all exported by its full build). */
interface CodegenInternals {
  encoder(type: protobuf.Type): (scope: object) => unknown;
  decoder(type: protobuf.Type): (scope: object) => unknown;
  verifier(type: protobuf.Type): (scope: object) => unknown;
  converter: { fromObject(type: protobuf.Type): (scope: object) => unknown; toObject(type: protobuf.Type): (scope: object) => unknown };
  wrappers: Record<string, unknown>;
}

const lazySetups = new WeakSet<object>();

/**
 * Generate a message type's functions when each is first called, not all five at once.
 * protobufjs's `Type#setup` compiles `encode`, `decode`, `verify`, `fromObject` and
 * `toObject` together (each a `new Function` of generated source) the first time any of
 * them is used; a gRPC call needs two of them per message type (a request: `fromObject`
 * and `encode`; a response: `decode` and `toObject`), and a no-op plan decodes the whole
 * tree of types of every listed resource. The generated functions are protobufjs's own,
 * made from the same generators with the same scope; only when they are made changes.
 * Types with a custom wrapper (`google.protobuf.Any`, ...) keep protobufjs's setup.
 */
export function lazyCodegen(pb: typeof protobuf): void {
  const TypeProto = pb.Type.prototype as unknown as Record<string, unknown> & { setup(): protobuf.Type };
  if (lazySetups.has(TypeProto)) return;
  const gen = pb as unknown as CodegenInternals;
  if (typeof gen.encoder !== 'function' || typeof gen.decoder !== 'function' || typeof gen.verifier !== 'function' || !gen.converter || !gen.wrappers) return;
  lazySetups.add(TypeProto);
  const eager = TypeProto.setup;
  TypeProto.setup = function setup(this: protobuf.Type & Record<string, unknown>): protobuf.Type {
    if (gen.wrappers[this.fullName]) return eager.call(this);
    const types: unknown[] = [];
    for (const field of this.fieldsArray) types.push(field.resolve().resolvedType);
    const make: Record<string, () => unknown> = {
      encode: () => gen.encoder(this)({ Writer: pb.Writer, types, util: pb.util }),
      decode: () => gen.decoder(this)({ Reader: pb.Reader, types, util: pb.util }),
      verify: () => gen.verifier(this)({ types, util: pb.util }),
      fromObject: () => gen.converter.fromObject(this)({ types, util: pb.util }),
      toObject: () => gen.converter.toObject(this)({ types, util: pb.util }),
    };
    for (const [name, build] of Object.entries(make)) {
      const type = this;
      type[name] = function firstCall(this: unknown, ...args: unknown[]): unknown {
        const fn = build() as (...a: unknown[]) => unknown;
        type[name] = fn;
        return fn.apply(this, args);
      };
    }
    return this;
  };
}

/**
 * A Root from a JSON descriptor without resolving it: `Root.fromJSON` resolves every
 * type of the file (most of its cost); a type used for encoding resolves its own fields
 * when first set up, and a method its request and response types when asked.
 */
export function lazyRoot(pb: typeof protobuf, json: { nested?: Record<string, unknown>; options?: Record<string, unknown> }): protobuf.Root {
  lazyCodegen(pb);
  // One Root per descriptor object: the embedded emulator and the clients read the same
  // subsets, so they share the reflection and the generated code of each message type
  // (conversions are options of each call, not of the type).
  const known = roots.get(json);
  if (known && known.pb === pb) return known.root;
  const root = new pb.Root();
  if (json.options) root.setOptions(json.options);
  root.addJSON((json.nested ?? {}) as never);
  roots.set(json, { pb, root });
  return root;
}

const roots = new WeakMap<object, { pb: typeof protobuf; root: protobuf.Root }>();

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

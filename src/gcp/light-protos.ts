/**
 * A lighter `loadProtoJSON` for google-gax's gRPC transport. Every generated client
 * calls `gaxGrpc.loadProtoJSON(protos.json)` in its constructor; gax hashes the whole
 * JSON text (object-hash of `JSON.stringify`) and hands it to @grpc/proto-loader, whose
 * `fromJSON` resolves every type and builds a reflection descriptor for every message.
 * A CPU profile of a no-op `runctl diff` put about a fifth of its time there.
 *
 * This builds the same package shape (`pkg.google.cloud.run.v2.Services`, a client
 * constructor per service) with the serializers proto-loader makes under gax's options
 * (`src/util/grpc-defs.ts`), per service on first use, cached by the JSON object.
 * Nothing else of the client changes: calls, retries, LROs and the REST transport
 * (`fallback`, a different GrpcClient) are gax's own. `test/unit/light-protos.test.ts`
 * checks the definitions against proto-loader's.
 */
import { grpcNamespace, lazyCodegen, lazyRoot, type Conversion } from '../util/grpc-defs';

/** google-gax's `GrpcClient.defaultOptions()` conversions. */
export const GAX_CONVERSION: Conversion = { longs: String, enums: String, defaults: true, oneofs: true };

let installed = false;

/** Replace `GrpcClient.prototype.loadProtoJSON` of the google-gax the clients load (once). */
export function installLightProtos(): void {
  if (installed) return;
  installed = true;
  const gax = require('google-gax') as typeof import('google-gax');
  // The REST transport's messages (google-gax's fallback) are protobufjs types too.
  lazyCodegen(gax.protobuf);
  memoiseFallbackRoots(gax);
  const proto = gax.GrpcClient?.prototype as unknown as { loadProtoJSON?: (json: object, ignoreCache?: boolean) => unknown; grpc?: typeof import('google-gax').grpc };
  // A gax without the method (another major) keeps its own loader.
  if (!proto || typeof proto.loadProtoJSON !== 'function' || proto.loadProtoJSON.length > 2) return;
  const cache = new WeakMap<object, unknown>();
  proto.loadProtoJSON = function loadProtoJSON(this: { grpc: typeof import('google-gax').grpc }, json: object, ignoreCache = false): unknown {
    const hit = ignoreCache ? undefined : cache.get(json);
    if (hit) return hit;
    const root = lazyRoot(gax.protobuf, json);
    const grpc = this.grpc ?? gax.grpc;
    const pkg = grpcNamespace([root], GAX_CONVERSION, (def, name) => grpc.makeClientConstructor(def as never, name));
    cache.set(json, pkg);
    return pkg;
  };
}

/**
 * google-gax's REST transport (`fallback.GrpcClient.protobufFromJSON`, what every
 * Compute client calls when it is built) finds its cached Root by hashing the whole
 * descriptor: `JSON.stringify` and SHA-1 of 217 KB per client, ten clients for a load
 * balancer. The same descriptor object is the same Root: look it up by identity first,
 * and hash only a descriptor not seen before (gax's own cache then still applies).
 */
function memoiseFallbackRoots(gax: typeof import('google-gax')): void {
  const G = (gax.fallback as { GrpcClient?: { protobufFromJSON?: (json: object, ignoreCache?: boolean) => unknown } } | undefined)?.GrpcClient;
  const original = G?.protobufFromJSON;
  if (!G || typeof original !== 'function' || original.length > 2) return;
  const byObject = new WeakMap<object, unknown>();
  G.protobufFromJSON = function protobufFromJSON(json: object, ignoreCache = false): unknown {
    if (ignoreCache) return original.call(this, json, ignoreCache);
    let root = byObject.get(json);
    if (!root) byObject.set(json, (root = original.call(this, json, false)));
    return root;
  };
}

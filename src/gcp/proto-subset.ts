/**
 * Build-time pruning of a Google client package's `protos.json` to the services runctl
 * uses (see `client-modules.ts` for why, and for how the result is used at run time).
 *
 * A generated client loads its package's whole protocol description when it is built:
 * `@google-cloud/compute` describes about a hundred services in 11 MB of JSON, and
 * protobufjs resolving all of it was most of a cold `runctl diff`. The subset keeps the
 * API package's named services and every message and enum they reach (fields, nested
 * types, long-running operation result and metadata types); other packages (google.api,
 * google.protobuf, google.longrunning, ...) stay whole: they are small and hold the
 * option extensions (HTTP rules, field behaviour) the transports read. Other versions of
 * the same API (`compute.v1beta` beside `compute.v1`) are dropped.
 */
import type * as Protobuf from 'protobufjs';

/** A protobufjs JSON namespace (what `protos.json` holds). */
export interface ProtoJson {
  nested?: Record<string, ProtoJson & Record<string, unknown>>;
  [key: string]: unknown;
}

/** Options that name a long-running operation's result and metadata types (by relative name). */
const LRO_OPTIONS = ['(google.longrunning.operation_info).response_type', '(google.longrunning.operation_info).metadata_type'];

/**
 * The subset of `json` that serves `clients` (class names such as `BackendServicesClient`).
 * Returns the pruned JSON and the full name of each client's service; throws when a
 * client's service is not in `json`, or when the subset does not resolve.
 */
export function protoSubset(
  json: ProtoJson,
  clients: string[],
  protobuf: typeof Protobuf,
): { json: ProtoJson; services: Record<string, string> } {
  const root = protobuf.Root.fromJSON(json);
  root.resolveAll();
  const services: Record<string, string> = {};
  const keep = new Set<string>();
  const visit = (obj: Protobuf.ReflectionObject | null | undefined): void => {
    if (!obj || keep.has(obj.fullName)) return;
    keep.add(obj.fullName);
    if (obj instanceof protobuf.Type) {
      for (const f of obj.fieldsArray) visit(f.resolve().resolvedType);
      for (const n of obj.nestedArray) visit(n);
    } else if (obj instanceof protobuf.Service) {
      for (const m of obj.methodsArray) {
        m.resolve();
        visit(m.resolvedRequestType);
        visit(m.resolvedResponseType);
        for (const opt of LRO_OPTIONS) {
          const name = m.options?.[opt];
          if (typeof name === 'string') visit(obj.parent!.lookup(name));
        }
      }
    }
  };
  const packages = new Set<string>();
  for (const client of clients) {
    const service = findService(root, client.replace(/Client$/, ''), protobuf);
    if (!service) throw new Error(`no service for ${client} in this protos.json`);
    services[client] = service.fullName.slice(1);
    packages.add(service.parent!.fullName);
    visit(service);
  }
  // Other versions of the same API (compute's v1beta beside v1: 2 MB) go entirely.
  const filtered = new Set(packages);
  for (const pkg of packages) {
    const api = root.lookup(pkg.slice(0, pkg.lastIndexOf('.')));
    for (const sibling of (api as Protobuf.Namespace | null)?.nestedArray ?? []) if (sibling instanceof protobuf.Namespace && !(sibling instanceof protobuf.Type)) filtered.add(sibling.fullName);
  }
  const out = prune(json, '', filtered, keep);
  // The subset must stand on its own: every type it names must resolve.
  protobuf.Root.fromJSON(out).resolveAll();
  return { json: out, services };
}

/** The service named `name` anywhere in `root` (API packages do not reuse service names). */
function findService(root: Protobuf.NamespaceBase, name: string, protobuf: typeof Protobuf): Protobuf.Service | undefined {
  for (const n of root.nestedArray) {
    if (n instanceof protobuf.Service && n.name === name) return n;
    if (n instanceof protobuf.Namespace || n instanceof protobuf.Type) {
      const found = findService(n, name, protobuf);
      if (found) return found;
    }
  }
  return undefined;
}

/** Copy `node` (at full name `at`), keeping only the members of `packages` that are in `keep`. */
function prune(node: ProtoJson, at: string, packages: Set<string>, keep: Set<string>): ProtoJson {
  if (!node.nested) return node;
  const nested: Record<string, ProtoJson & Record<string, unknown>> = {};
  for (const [name, child] of Object.entries(node.nested)) {
    const full = `${at}.${name}`;
    if (packages.has(at)) {
      if (keep.has(full)) nested[name] = child;
    } else {
      const copy = prune(child, full, packages, keep) as ProtoJson & Record<string, unknown>;
      // A namespace that only held dropped members goes too.
      if (!copy.nested || Object.keys(copy.nested).length > 0 || !child.nested || Object.keys(child).length > 1) nested[name] = copy;
    }
  }
  return { ...node, nested };
}

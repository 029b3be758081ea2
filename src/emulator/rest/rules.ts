/**
 * The REST surface, read from the `google.api.http` rules of the client libraries'
 * own proto descriptors (`build/protos/protos.json` of each package, the text the
 * clients are generated from), so every method of every API package is mapped the way
 * the clients and Google's front end map it. Mixin services (operations, locations),
 * whose REST paths each API chooses in its service config rather than in the protos,
 * are bound explicitly per API, from the paths the generated clients use.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as protobuf from 'protobufjs';
import { compileTemplate, type PathTemplate } from './template';

/** One HTTP binding of a method. */
export interface HttpBinding {
  httpMethod: string;
  template: PathTemplate;
  /** `*`, a field path, or undefined (no body). */
  body?: string;
  /** A field of the response to answer with instead of the whole message. */
  responseBody?: string;
}

/** A method reachable over REST. */
export interface RestMethod {
  /** `google.cloud.run.v2.Services.GetService` */
  fullName: string;
  /** `/google.cloud.run.v2.Services/GetService` */
  grpcPath: string;
  requestType: protobuf.Type;
  responseType: protobuf.Type;
  bindings: HttpBinding[];
}

interface RawRule {
  get?: string; put?: string; post?: string; delete?: string; patch?: string;
  custom?: { kind: string; path: string };
  body?: string;
  response_body?: string;
  additional_bindings?: RawRule | RawRule[];
}

/** A mixin binding: the selector (`google.longrunning.Operations.GetOperation`) and its rule. */
type MixinRule = RawRule & { selector: string };

/** An API package the emulator may serve, and its mixin paths. */
interface ApiPackage {
  pkg: string;
  mixins: MixinRule[];
}

/** Services whose REST paths come from each API's service config, never from their own protos. */
const MIXIN_SERVICES = ['google.longrunning.Operations', 'google.cloud.location.Locations', 'google.iam.v1.IAMPolicy'];

/**
 * Cloud Run's operations paths are the ones `ServicesClient` gives its operations
 * client in fallback mode (`build/src/v2/services_client.js`, `lroOptions.httpRules`).
 * Locations: the real service config maps the mixin to `/v2/{name=projects/*}/locations`;
 * gax's LocationsClient, which the Node client uses, takes `/v1/...` from
 * `google/cloud/location/locations.proto`; both are served.
 */
const RUN_MIXINS: MixinRule[] = [
  { selector: 'google.longrunning.Operations.GetOperation', get: '/v2/{name=projects/*/locations/*/operations/*}' },
  { selector: 'google.longrunning.Operations.ListOperations', get: '/v2/{name=projects/*/locations/*}/operations' },
  { selector: 'google.longrunning.Operations.DeleteOperation', delete: '/v2/{name=projects/*/locations/*/operations/*}' },
  { selector: 'google.longrunning.Operations.WaitOperation', post: '/v2/{name=projects/*/locations/*/operations/*}:wait', body: '*' },
  {
    selector: 'google.cloud.location.Locations.ListLocations',
    get: '/v2/{name=projects/*}/locations',
    additional_bindings: [{ get: '/v1/{name=projects/*}/locations' }],
  },
  {
    selector: 'google.cloud.location.Locations.GetLocation',
    get: '/v2/{name=projects/*/locations/*}',
    additional_bindings: [{ get: '/v1/{name=projects/*/locations/*}' }],
  },
];

/**
 * Artifact Registry's mixin paths, from `ArtifactRegistryClient`'s `lroOptions.httpRules`
 * (`build/src/v1/artifact_registry_client.js`).
 */
const ARTIFACT_REGISTRY_MIXINS: MixinRule[] = [
  { selector: 'google.longrunning.Operations.GetOperation', get: '/v1/{name=projects/*/locations/*/operations/*}' },
];

/**
 * Serverless VPC Access: the operations paths `VpcAccessServiceClient` gives its
 * operations client in fallback mode (`build/src/v1/vpc_access_service_client.js`).
 */
const VPC_ACCESS_MIXINS: MixinRule[] = [
  { selector: 'google.longrunning.Operations.GetOperation', get: '/v1/{name=projects/*/locations/*/operations/*}' },
  { selector: 'google.longrunning.Operations.ListOperations', get: '/v1/{name=projects/*/locations/*}/operations' },
];

/** The API packages whose protos define the REST surface. Add a package here with its gRPC module. */
export const API_PACKAGES: ApiPackage[] = [
  { pkg: '@google-cloud/run', mixins: RUN_MIXINS },
  { pkg: '@google-cloud/monitoring', mixins: [] },
  { pkg: '@google-cloud/scheduler', mixins: [] },
  { pkg: '@google-cloud/resource-manager', mixins: [] },
  { pkg: '@google-cloud/secret-manager', mixins: [] },
  { pkg: '@google-cloud/artifact-registry', mixins: ARTIFACT_REGISTRY_MIXINS },
  { pkg: '@google-cloud/vpc-access', mixins: VPC_ACCESS_MIXINS },
];

const VERBS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** The rule and its additional bindings, flattened. */
function bindingsOf(rule: RawRule): HttpBinding[] {
  const out: HttpBinding[] = [];
  for (const verb of VERBS) {
    const template = rule[verb];
    if (template) out.push({ httpMethod: verb.toUpperCase(), template: compileTemplate(template), body: rule.body || undefined, responseBody: rule.response_body || undefined });
  }
  if (rule.custom?.path) out.push({ httpMethod: rule.custom.kind.toUpperCase(), template: compileTemplate(rule.custom.path), body: rule.body || undefined });
  const more = rule.additional_bindings;
  for (const extra of Array.isArray(more) ? more : more ? [more] : []) out.push(...bindingsOf(extra));
  return out;
}

function httpRuleOf(method: protobuf.Method): RawRule | undefined {
  const parsed = (method.parsedOptions ?? []) as Array<Record<string, unknown>>;
  for (const opt of parsed) if (opt['(google.api.http)']) return opt['(google.api.http)'] as RawRule;
  return undefined;
}

function loadRoot(file: string): protobuf.Root {
  const pb = require('protobufjs') as typeof protobuf;
  const root = pb.Root.fromJSON(JSON.parse(fs.readFileSync(file, 'utf8')));
  root.resolveAll();
  return root;
}

function packageRoot(pkg: string): protobuf.Root {
  return loadRoot(path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'build', 'protos', 'protos.json'));
}

/** google-gax's descriptors of the mixins (`operations.json`, `locations.json`), for packages that do not carry them. */
function gaxMixinRoot(service: string): protobuf.Root | undefined {
  const file = { 'google.longrunning.Operations': 'operations.json', 'google.cloud.location.Locations': 'locations.json' }[service];
  if (!file) return undefined;
  // google-gax hides package.json behind an `exports` map: walk up from its main file.
  let dir = path.dirname(require.resolve('google-gax'));
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return loadRoot(path.join(dir, 'build', 'protos', file));
}

function lookupService(root: protobuf.Root, name: string): protobuf.Service {
  try {
    return root.lookupService(name);
  } catch {
    const gax = gaxMixinRoot(name);
    if (!gax) throw new Error(`no descriptor for mixin ${name}`);
    return gax.lookupService(name);
  }
}

function* servicesOf(ns: protobuf.NamespaceBase): Generator<protobuf.Service> {
  for (const nested of ns.nestedArray) {
    if ('methods' in nested) yield nested as protobuf.Service;
    if ('nestedArray' in nested) yield* servicesOf(nested as protobuf.Namespace);
  }
}

function restMethod(service: protobuf.Service, method: protobuf.Method, bindings: HttpBinding[]): RestMethod {
  const serviceName = service.fullName.replace(/^\./, '');
  return {
    fullName: `${serviceName}.${method.name}`,
    grpcPath: `/${serviceName}/${method.name}`,
    requestType: method.resolvedRequestType!,
    responseType: method.resolvedResponseType!,
    bindings,
  };
}

/** Every REST-mapped method of one package, mixins included. */
function packageMethods(api: ApiPackage): RestMethod[] {
  const root = packageRoot(api.pkg);
  const out: RestMethod[] = [];
  for (const service of servicesOf(root)) {
    const serviceName = service.fullName.replace(/^\./, '');
    if (MIXIN_SERVICES.includes(serviceName)) continue;
    for (const method of service.methodsArray) {
      const rule = httpRuleOf(method);
      if (rule) out.push(restMethod(service, method, bindingsOf(rule)));
    }
  }
  for (const mixin of api.mixins) {
    const i = mixin.selector.lastIndexOf('.');
    const service = lookupService(root, mixin.selector.slice(0, i));
    out.push(restMethod(service, service.methods[mixin.selector.slice(i + 1)], bindingsOf(mixin)));
  }
  return out;
}

let cached: RestMethod[] | undefined;

/** Every REST-mapped method of every API package (loaded once per process). */
export function restMethods(): RestMethod[] {
  cached ??= API_PACKAGES.flatMap(packageMethods);
  return cached;
}

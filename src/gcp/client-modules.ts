/**
 * Loading one generated Google client class with only the protocol definitions it needs.
 *
 * Every generated client module does `require("../../protos/protos.json")` at load and
 * hands the whole object to google-gax, which resolves all of it with protobufjs (and,
 * for gRPC, builds descriptors of every message with @grpc/proto-loader). For
 * `@google-cloud/compute` that is 11 MB describing ~100 services to call one; a CPU
 * profile of a no-op `runctl diff` put 70% of its time there.
 *
 * The build (`scripts/gen-startup.js`) writes a subset of each package's protos.json
 * holding the services of the clients runctl uses (`CLIENT_SUBSETS`) into
 * `dist/generated/protos/`. Loading a client module here puts that subset in the
 * require cache under the package's protos.json path for the moment the module is
 * loaded, so the module's `jsonProtos` is the subset. One object per package: gax caches
 * the parsed root by content, so every client of a package shares one parse.
 *
 * The full file is used instead whenever the subset cannot serve: it is missing (a
 * build by plain `tsc`), was made from another version of the package, or does not
 * list the client.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Module from 'node:module';
import { installLightProtos } from './light-protos';
import { subsetFor } from '../util/proto-subsets';

/** The client classes runctl builds, per package (the build makes their subsets). */
export const CLIENT_SUBSETS: Record<string, { version: string; clients: string[] }> = {
  '@google-cloud/run': { version: 'v2', clients: ['ServicesClient', 'RevisionsClient'] },
  '@google-cloud/monitoring': {
    version: 'v3',
    clients: ['AlertPolicyServiceClient', 'MetricServiceClient', 'NotificationChannelServiceClient', 'ServiceMonitoringServiceClient'],
  },
  '@google-cloud/secret-manager': { version: 'v1', clients: ['SecretManagerServiceClient'] },
  '@google-cloud/artifact-registry': { version: 'v1', clients: ['ArtifactRegistryClient'] },
  '@google-cloud/scheduler': { version: 'v1', clients: ['CloudSchedulerClient'] },
  '@google-cloud/vpc-access': { version: 'v1', clients: ['VpcAccessServiceClient'] },
  '@google-cloud/resource-manager': { version: 'v3', clients: ['ProjectsClient'] },
  '@google-cloud/compute': {
    version: 'v1',
    clients: [
      'BackendServicesClient',
      'GlobalAddressesClient',
      'GlobalForwardingRulesClient',
      'GlobalOperationsClient',
      'RegionNetworkEndpointGroupsClient',
      'RegionOperationsClient',
      'SslCertificatesClient',
      'TargetHttpProxiesClient',
      'TargetHttpsProxiesClient',
      'UrlMapsClient',
    ],
  },
};

export { subsetFor, subsetPath, type ProtoSubsetFile } from '../util/proto-subsets';

/** Whether client modules were last loaded with a subset (for tests and the bench). */
export const subsetUse = new Map<string, boolean>();

/**
 * A client class from its own module (`build/src/v1/backend_services_client`) rather
 * than the package index (`@google-cloud/compute`'s index loads every one of its ~100
 * clients and a 30 MB protos.js), with the package's proto subset when there is one.
 */
export function clientClass(pkg: string, version: string, name: string): new (o: unknown) => unknown {
  installLightProtos();
  const file = `${name.replace(/Client$/, '').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()}_client`;
  let mod: Record<string, unknown>;
  try {
    mod = loadWithSubset(pkg, require.resolve(`${pkg}/build/src/${version}/${file}`), name);
  } catch {
    mod = require(pkg);
  }
  const Ctor = mod[name] ?? (require(pkg) as Record<string, unknown>)[name];
  return Ctor as new (o: unknown) => unknown;
}

/** Require `modPath` (a client module of `pkg`) with the subset standing in for protos.json. */
function loadWithSubset(pkg: string, modPath: string, client: string): Record<string, unknown> {
  if (require.cache[modPath]) return require(modPath);
  const pkgDir = path.resolve(path.dirname(modPath), '..', '..', '..');
  const installed = (JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
  const subset = subsetFor(pkg, installed);
  if (!subset || !subset.services[client]) {
    subsetUse.set(client, false);
    return require(modPath);
  }
  const protosPath = path.join(pkgDir, 'build', 'protos', 'protos.json');
  const previous = require.cache[protosPath];
  const stand = new Module(protosPath);
  stand.filename = protosPath;
  stand.exports = subset.protos;
  stand.loaded = true;
  require.cache[protosPath] = stand;
  try {
    subsetUse.set(client, true);
    return require(modPath);
  } finally {
    // Only this module sees the subset; anything else asking for protos.json gets the file.
    if (previous) require.cache[protosPath] = previous;
    else delete require.cache[protosPath];
  }
}

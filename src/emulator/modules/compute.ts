/**
 * Compute Engine v1 REST, the part a global external Application Load Balancer in front
 * of Cloud Run needs: serverless NEGs, backend services, URL maps, SSL certificates,
 * target HTTP(S) proxies, global addresses, global forwarding rules and their global and
 * regional operations. Served on the HTTP port under `/compute/v1/`, for the unmodified
 * `@google-cloud/compute` REST clients. Behaviour: `src/emulator/spec/compute.md`.
 */
import type { EmulatorModule } from './module';
import { Crud } from './compute/crud';
import { operationRoutes } from './compute/operations';
import type { ResourceType } from './compute/resource-type';
import { networkEndpointGroups } from './compute/types/network-endpoint-groups';
import { backendServices } from './compute/types/backend-services';
import { urlMaps } from './compute/types/url-maps';
import { sslCertificates } from './compute/types/ssl-certificates';
import { targetHttpsProxies, targetHttpProxies } from './compute/types/target-proxies';
import { globalAddresses } from './compute/types/addresses';
import { globalForwardingRules } from './compute/types/forwarding-rules';

/** Every emulated Compute resource type. */
export const COMPUTE_TYPES: ResourceType[] = [
  networkEndpointGroups,
  backendServices,
  urlMaps,
  sslCertificates,
  targetHttpsProxies,
  targetHttpProxies,
  globalAddresses,
  globalForwardingRules,
];

export const computeModule: EmulatorModule = {
  name: 'compute',
  http(router, core) {
    operationRoutes(router, core);
    new Crud(core, COMPUTE_TYPES).register(router);
  },
};

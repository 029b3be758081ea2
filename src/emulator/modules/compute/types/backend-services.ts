/**
 * Global backend services. With serverless NEG backends the real API rejects health
 * checks ("A backend service cannot have a healthcheck with Serverless network endpoint
 * group backends."), `maxUtilization`, and balancing modes other than UTILIZATION.
 * Server defaults are filled the way a GET shows them; `usedBy` lists the URL maps that
 * reference the service.
 */
import type { ResourceType } from '../resource-type';
import { invalid } from '../errors';
import { relOf, selfLink } from '../state';
import { compact, oneOf } from './common';

const SCHEMES = ['EXTERNAL', 'EXTERNAL_MANAGED', 'INTERNAL', 'INTERNAL_MANAGED', 'INTERNAL_SELF_MANAGED'];
const PROTOCOLS = ['HTTP', 'HTTPS', 'HTTP2', 'TCP', 'SSL', 'UDP', 'GRPC', 'H2C', 'UNSPECIFIED'];
const MODES = ['UTILIZATION', 'RATE', 'CONNECTION', 'CUSTOM_METRICS'];
const SESSION_AFFINITY = ['NONE', 'CLIENT_IP', 'CLIENT_IP_PROTO', 'CLIENT_IP_PORT_PROTO', 'GENERATED_COOKIE', 'HEADER_FIELD', 'HTTP_COOKIE', 'CLIENT_IP_NO_DESTINATION', 'STRONG_COOKIE_AFFINITY'];
const RATE_FIELDS = ['maxRate', 'maxRatePerInstance', 'maxRatePerEndpoint', 'maxConnections', 'maxConnectionsPerInstance', 'maxConnectionsPerEndpoint'];

export const backendServices: ResourceType = {
  service: 'BackendServices',
  collection: 'backendServices',
  kind: 'compute#backendService',
  typeName: 'backend_service',
  param: 'backendService',
  fingerprint: true,
  patch: true,
  update: true,
  build(input, ctx) {
    const out: Record<string, any> = { ...input };
    out.loadBalancingScheme = oneOf('resource.loadBalancingScheme', input.loadBalancingScheme, SCHEMES, 'EXTERNAL');
    out.protocol = oneOf('resource.protocol', input.protocol, PROTOCOLS, 'HTTP');
    out.sessionAffinity = oneOf('resource.sessionAffinity', input.sessionAffinity, SESSION_AFFINITY, 'NONE');
    out.timeoutSec = input.timeoutSec ?? 30;
    out.port = input.port ?? 80;
    out.portName = input.portName ?? 'http';
    out.affinityCookieTtlSec = input.affinityCookieTtlSec ?? 0;
    out.connectionDraining = { drainingTimeoutSec: 0, ...(input.connectionDraining ?? {}) };
    out.enableCDN = input.enableCDN ?? false;
    if (typeof out.timeoutSec !== 'number' || out.timeoutSec < 1 || out.timeoutSec > 2147483647) {
      throw invalid('resource.timeoutSec', out.timeoutSec, 'Must be a positive number of seconds.');
    }

    const backends: any[] = Array.isArray(input.backends) ? input.backends : [];
    const seen = new Set<string>();
    let serverless = 0;
    out.backends = backends.map((b, i) => {
      const field = `resource.backends[${i}]`;
      const group = ctx.ref(`${field}.group`, b?.group, ['networkEndpointGroups', 'instanceGroups']);
      if (seen.has(group)) throw invalid(`${field}.group`, b.group, 'Duplicate backend group.');
      seen.add(group);
      const neg = ctx.st.resources[relOf(group)];
      const isServerless = neg?.networkEndpointType === 'SERVERLESS';
      if (isServerless) serverless++;
      const mode = oneOf(`${field}.balancingMode`, b.balancingMode, MODES, 'UTILIZATION');
      if (isServerless) {
        if (mode !== 'UTILIZATION') throw invalid(`${field}.balancingMode`, mode, 'Serverless network endpoint group backends support only the UTILIZATION balancing mode.');
        if (b.maxUtilization !== undefined) throw invalid(`${field}.maxUtilization`, String(b.maxUtilization), 'maxUtilization is not supported for Serverless network endpoint group backends.');
        for (const f of RATE_FIELDS) {
          if (b[f] !== undefined) throw invalid(`${field}.${f}`, String(b[f]), `${f} is not supported for Serverless network endpoint group backends.`);
        }
      }
      return compact({ ...b, group, balancingMode: mode, capacityScaler: b.capacityScaler ?? 1 });
    });
    if (serverless > 0 && serverless < out.backends.length) {
      throw invalid('resource.backends', '', 'Serverless network endpoint groups cannot be mixed with other backend types.');
    }

    const healthChecks: any[] = Array.isArray(input.healthChecks) ? input.healthChecks : [];
    if (serverless > 0 && healthChecks.length) {
      throw invalid('resource.healthChecks', '', 'A backend service cannot have a healthcheck with Serverless network endpoint group backends.');
    }
    out.healthChecks = healthChecks.map((h, i) => ctx.ref(`resource.healthChecks[${i}]`, h, ['healthChecks', 'httpHealthChecks', 'httpsHealthChecks']));
    for (const f of ['securityPolicy', 'edgeSecurityPolicy']) {
      if (input[f]) out[f] = ctx.ref(`resource.${f}`, input[f], ['securityPolicies']);
    }
    // The Node client always sends `metadatas: {}`; the server keeps nothing for it.
    if (out.metadatas && Object.keys(out.metadatas).length === 0) delete out.metadatas;
    return compact(out);
  },
  refs(res) {
    return [...(res.backends ?? []).map((b: any) => b.group), ...(res.healthChecks ?? []), res.securityPolicy, res.edgeSecurityPolicy];
  },
  decorate(res, ctx) {
    const users = ctx.usersOf(relOf(res.selfLink));
    if (users.length) res.usedBy = users.map((u) => ({ reference: selfLink(u) }));
    return res;
  },
};

/**
 * Cloud Run Admin API v1 domain mappings over REST, as `@googleapis/run` v1 calls them:
 * `namespaces.domainmappings` on the regional endpoint (the region is the Host header's
 * `REGION-run.googleapis.com`), and `projects.locations.domainmappings` (the region in the
 * path). Reads Cloud Run's services (the routes) from `core.state.run`, never writes them.
 * The verified domains live at `/__emulator/verified-domains`. Behaviour and sources:
 * `src/emulator/spec/domain-mappings.md`.
 */
import type { EmulatorCore } from '../core';
import { Code, EmulatorError } from '../errors';
import type { HttpRequest, Router } from '../http';
import type { EmulatorModule } from './module';
import { createMapping, deleteMapping, getMapping, listMappings, type Scope } from './domain-mappings/crud';
import { dmState, namespaceOf, regionOfHost } from './domain-mappings/state';

const SERVICE = 'DomainMappings';
const NS = '/apis/domains.cloudrun.com/v1/namespaces/:namespace/domainmappings';
const LOC = '/v1/projects/:project/locations/:location/domainmappings';

const dryRunOf = (req: HttpRequest) => req.query.get('dryRun') === 'all';

function routes(router: Router, core: EmulatorCore, base: string, scopeOf: (req: HttpRequest) => Scope): void {
  const on = (method: string, path: string, rpc: string, kind: 'read' | 'write', fn: (req: HttpRequest, scope: Scope) => unknown) =>
    router.add(method, path, (req) => core.call(`${SERVICE}.${rpc}`, kind, () => fn(req, scopeOf(req))), 'google');
  on('POST', base, 'CreateDomainMapping', 'write', (req, s) => createMapping(core, s, req.body, dryRunOf(req)));
  on('GET', base, 'ListDomainMappings', 'read', (req, s) => listMappings(core, s, req.query));
  on('GET', `${base}/:name`, 'GetDomainMapping', 'read', (req, s) => getMapping(core, s, req.params.name));
  on('DELETE', `${base}/:name`, 'DeleteDomainMapping', 'write', (req, s) => deleteMapping(core, s, req.params.name, dryRunOf(req)));
}

function domainsOf(body: unknown): string[] {
  const list = (body as { domains?: unknown } | undefined)?.domains;
  if (!Array.isArray(list) || list.some((d) => typeof d !== 'string' || !d.trim())) {
    throw new EmulatorError(Code.INVALID_ARGUMENT, 'expected {"domains": ["example.com", ...]}');
  }
  return [...new Set(list.map((d: string) => d.trim().toLowerCase()))];
}

/** `/__emulator/verified-domains`: GET; PUT `{"domains": [...]}` sets the list; DELETE: every domain counts as verified again. */
function verifiedRoutes(router: Router, core: EmulatorCore): void {
  router.add('GET', '/__emulator/verified-domains', () => ({ domains: dmState(core).verified ?? null }));
  router.add('PUT', '/__emulator/verified-domains', (req) => {
    dmState(core).verified = domainsOf(req.body);
    core.persist();
    return { domains: dmState(core).verified };
  });
  router.add('DELETE', '/__emulator/verified-domains', () => {
    dmState(core).verified = undefined;
    core.persist();
    return { domains: null };
  });
}

export const domainMappingsModule: EmulatorModule = {
  name: 'domain-mappings',
  http(router, core) {
    routes(router, core, NS, (req) => ({ region: regionOfHost(req), namespace: namespaceOf(req.params.namespace) }));
    routes(router, core, LOC, (req) => ({ region: req.params.location, namespace: namespaceOf(req.params.project) }));
    verifiedRoutes(router, core);
  },
};

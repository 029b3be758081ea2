/**
 * `google.monitoring.v3.ServiceMonitoringService`, the Service half: Create (custom,
 * Cloud Run or other basic services; `service_id` optional → server-assigned), Get,
 * List (filter + paging), Update (update_mask) and Delete (which also deletes the
 * service's SLOs, as the real API does).
 */
import type { EmulatorCore } from '../../core';
import { EmulatorError, Code } from '../../core';
import { evalFilter, objectResolver, parseFilter } from './filter';
import { stripOneofs } from './oneofs';
import {
  applyMask, clone, compact, invalid, maskPaths, monitoringState, notFound, opaqueId, paginate, projectOf,
  validateUserLabels,
} from './state';

/** Identifier fields of `Service` (the `identifier` oneof) and their `identifier_case` names. */
const IDENTIFIERS: Record<string, string> = {
  custom: 'CUSTOM', appEngine: 'APP_ENGINE', cloudEndpoints: 'CLOUD_ENDPOINTS', clusterIstio: 'CLUSTER_ISTIO',
  meshIstio: 'MESH_ISTIO', istioCanonicalService: 'ISTIO_CANONICAL_SERVICE', cloudRun: 'CLOUD_RUN',
  gkeNamespace: 'GKE_NAMESPACE', gkeWorkload: 'GKE_WORKLOAD', gkeService: 'GKE_SERVICE',
};

const BASIC_SERVICE_TYPES = ['APP_ENGINE', 'CLOUD_ENDPOINTS', 'CLUSTER_ISTIO', 'ISTIO_CANONICAL_SERVICE', 'CLOUD_RUN', 'GKE_NAMESPACE', 'GKE_WORKLOAD', 'GKE_SERVICE'];

function identifierOf(svc: any): string | undefined {
  return Object.keys(IDENTIFIERS).find((k) => svc?.[k] !== undefined);
}

/** Fill the Cloud Run identifier, basic service and telemetry from whichever was given. */
function normalizeCloudRun(project: string, out: any): void {
  if (!out.cloudRun && out.basicService?.serviceType === 'CLOUD_RUN') {
    const l = out.basicService.serviceLabels ?? {};
    out.cloudRun = { serviceName: l.service_name, location: l.location };
  }
  if (!out.cloudRun) return;
  const { serviceName, location } = out.cloudRun;
  if (!serviceName) invalid('Field service.cloud_run.service_name is required.');
  if (!location) invalid('Field service.cloud_run.location is required.');
  out.basicService = { serviceType: 'CLOUD_RUN', serviceLabels: { service_name: serviceName, location } };
  out.telemetry = { resourceName: `//run.googleapis.com/projects/${project}/locations/${location}/services/${serviceName}` };
}

function buildService(project: string, name: string, input: any): any {
  const svc = stripOneofs(clone(input ?? {}));
  const ids = Object.keys(IDENTIFIERS).filter((k) => svc[k] !== undefined);
  if (ids.length > 1) invalid('Only one service identifier (custom, cloud_run, app_engine, ...) may be set.');
  if (svc.basicService && !BASIC_SERVICE_TYPES.includes(svc.basicService.serviceType)) {
    invalid(`Field service.basic_service.service_type had an invalid value of "${svc.basicService.serviceType ?? ''}".`);
  }
  if (!ids.length && !svc.basicService) invalid('A Service needs an identifier: custom, cloud_run, app_engine, ... or basic_service.');
  validateUserLabels(svc.userLabels, 'service.user_labels');
  const out: any = compact({ name, displayName: svc.displayName, userLabels: svc.userLabels });
  for (const k of ids) out[k] = svc[k];
  if (svc.basicService) out.basicService = svc.basicService;
  if (svc.telemetry) out.telemetry = svc.telemetry;
  normalizeCloudRun(project, out);
  return out;
}

/** CreateService. */
export function createService(core: EmulatorCore, req: any): any {
  const project = projectOf(req.parent, 'parent');
  if (req.serviceId && !/^[a-z0-9-]+$/.test(req.serviceId)) {
    invalid(`Field service_id had an invalid value of "${req.serviceId}": must match the pattern [a-z0-9\\-]+.`);
  }
  const st = monitoringState(core);
  const id = req.serviceId || opaqueId();
  const name = `projects/${project}/services/${id}`;
  if (st.services[name]) throw new EmulatorError(Code.ALREADY_EXISTS, `Resource '${name}' already exists.`);
  const svc = buildService(project, name, req.service);
  st.services[name] = svc;
  return clone(svc);
}

/** The stored service, or NOT_FOUND. */
export function getStoredService(core: EmulatorCore, name: string): any {
  const svc = monitoringState(core).services[name];
  if (!svc) notFound(name);
  return svc;
}

/** GetService. */
export function getService(core: EmulatorCore, req: any): any {
  return clone(getStoredService(core, String(req.name ?? '')));
}

/** ListServices. */
export function listServices(core: EmulatorCore, req: any): any {
  const project = projectOf(req.parent, 'parent');
  const filter = parseFilter(req.filter);
  const prefix = `projects/${project}/services/`;
  const all = Object.values(monitoringState(core).services).filter(
    (s: any) =>
      s.name.startsWith(prefix) &&
      evalFilter(filter, objectResolver(s, { identifier_case: () => IDENTIFIERS[identifierOf(s) ?? ''] ?? 'IDENTIFIER_NOT_SET' })),
  );
  const { page, nextPageToken } = paginate(all, req.pageSize, req.pageToken);
  return { services: clone(page), nextPageToken };
}

/** UpdateService: display_name and user_labels are mutable; identifiers are not. */
export function updateService(core: EmulatorCore, req: any): any {
  const incoming = stripOneofs(clone(req.service ?? {}));
  const name = String(incoming.name ?? '');
  const existing = getStoredService(core, name);
  const paths = maskPaths(req.updateMask);
  let next: any;
  if (paths) {
    next = applyMask(existing, incoming, paths, ['displayName', 'userLabels'], { aliases: { user_label: 'userLabels' }, maps: ['userLabels'] });
  } else {
    const changedId = identifierOf(incoming) && identifierOf(incoming) !== identifierOf(existing);
    const changedBasic = incoming.basicService && JSON.stringify(incoming.basicService) !== JSON.stringify(existing.basicService);
    if (changedId || changedBasic) invalid('The service identifier and basic_service of a Service cannot be changed.');
    next = { ...clone(existing), displayName: incoming.displayName, userLabels: incoming.userLabels };
  }
  validateUserLabels(next.userLabels, 'service.user_labels');
  compact(next);
  monitoringState(core).services[name] = next;
  return clone(next);
}

/** DeleteService (and its SLOs). */
export function deleteService(core: EmulatorCore, req: any): any {
  const name = String(req.name ?? '');
  getStoredService(core, name);
  const st = monitoringState(core);
  delete st.services[name];
  for (const slo of Object.keys(st.slos)) if (slo.startsWith(`${name}/serviceLevelObjectives/`)) delete st.slos[slo];
  return {};
}

/**
 * `google.monitoring.v3.ServiceMonitoringService`, the Service half, as a descriptor for
 * the generic CRUD (`crud.ts`): custom, Cloud Run or other basic services; `service_id`
 * optional (server-assigned); List filters on `identifier_case`; Update by mask
 * (display_name, user_labels) or replacement; Delete also deletes the service's SLOs, as
 * the real API does.
 */
import type { EmulatorCore } from '../../core';
import { Code, EmulatorError } from '../../errors';
import { stored } from './crud';
import { stripOneofs } from './oneofs';
import type { MonitoringResourceType } from './resource-type';
import { clone, compact, invalid, monitoringState, projectOf, validateUserLabels } from './state';

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

/** The Monitoring Service resource type. */
export const serviceType: MonitoringResourceType = {
  numbered: true,
  noun: 'Service',
  plural: 'Services',
  store: 'services',
  field: 'service',
  listField: 'services',
  parentField: 'parent',
  collection(_core, parent) {
    const project = projectOf(parent, 'parent');
    return { project, path: `projects/${project}/services` };
  },
  listPrefix: (_core, parent) => `projects/${projectOf(parent, 'parent')}/services/`,
  notFound(core, name) {
    const id = name.split('/')[3] ?? name;
    throw new EmulatorError(Code.NOT_FOUND, `There is no service with id '${id}' in project '${core.projectNumber}'`);
  },
  id: {
    field: 'serviceId',
    check(id) {
      if (!/^[a-z0-9-]+$/.test(id)) invalid(`Field service_id had an invalid value of "${id}": must match the pattern [a-z0-9\\-]+.`);
    },
    assign: 'opaque',
  },
  create: (input, { project, name }) => buildService(project, name, input),
  // Google also takes `telemetry.resource_name` (recorded real-API exchanges, issue 13, difference 2).
  mutable: ['displayName', 'userLabels', 'telemetry'],
  mask: { aliases: { user_label: 'userLabels' }, maps: ['userLabels'] },
  replace(incoming, { existing }) {
    const changedId = identifierOf(incoming) && identifierOf(incoming) !== identifierOf(existing);
    const changedBasic = incoming.basicService && JSON.stringify(incoming.basicService) !== JSON.stringify(existing.basicService);
    if (changedId || changedBasic) invalid('The service identifier and basic_service of a Service cannot be changed.');
    return { ...clone(existing), displayName: incoming.displayName, userLabels: incoming.userLabels };
  },
  finishUpdate: (next) => validateUserLabels(next.userLabels, 'service.user_labels'),
  filterFields: (s) => ({ identifier_case: () => IDENTIFIERS[identifierOf(s) ?? ''] ?? 'IDENTIFIER_NOT_SET' }),
  beforeDelete(core, name) {
    const st = monitoringState(core);
    for (const slo of Object.keys(st.slos)) if (slo.startsWith(`${name}/serviceLevelObjectives/`)) delete st.slos[slo];
  },
};

/** The stored service, or NOT_FOUND. */
export function getStoredService(core: EmulatorCore, name: string): any {
  return stored(core, serviceType, name);
}

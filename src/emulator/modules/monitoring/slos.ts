/**
 * `google.monitoring.v3.ServiceMonitoringService`, the SLO half:
 * Create/Get/List/Update/DeleteServiceLevelObjective, validated like the real API
 * (see slo-validation.ts). `service_level_objective_id` is optional (server-assigned).
 */
import type { EmulatorCore } from '../../core';
import { EmulatorError, Code } from '../../core';
import { evalFilter, objectResolver, parseFilter } from './filter';
import { stripOneofs } from './oneofs';
import { getStoredService } from './services';
import { validateSlo } from './slo-validation';
import { applyMask, clone, compact, invalid, maskPaths, monitoringState, notFound, opaqueId, paginate } from './state';

const MUTABLE = ['displayName', 'serviceLevelIndicator', 'goal', 'rollingPeriod', 'calendarPeriod', 'userLabels'];

function parseSloName(name: string): { service: string; id: string } {
  const m = /^(projects\/[^/]+\/services\/[^/]+)\/serviceLevelObjectives\/([^/]+)$/.exec(name);
  if (!m) invalid(`Field name had an invalid value of "${name}": expected "projects/[PROJECT]/services/[SERVICE]/serviceLevelObjectives/[SLO]".`);
  return { service: m[1], id: m[2] };
}

function build(name: string, input: any): any {
  const s = stripOneofs(clone(input ?? {}));
  return compact({
    name,
    displayName: s.displayName,
    serviceLevelIndicator: s.serviceLevelIndicator,
    goal: s.goal,
    rollingPeriod: s.rollingPeriod,
    calendarPeriod: s.calendarPeriod,
    userLabels: s.userLabels,
  });
}

/** The stored SLO, or NOT_FOUND. */
export function getStoredSlo(core: EmulatorCore, name: string): any {
  const slo = monitoringState(core).slos[name];
  if (!slo) notFound(name);
  return slo;
}

/** CreateServiceLevelObjective. */
export function createSlo(core: EmulatorCore, req: any): any {
  const parent = String(req.parent ?? '');
  if (!/^projects\/[^/]+\/services\/[^/]+$/.test(parent)) invalid(`Field parent had an invalid value of "${parent}".`);
  const service = getStoredService(core, parent);
  const givenId = req.serviceLevelObjectiveId;
  if (givenId && !/^[a-zA-Z0-9\-_:.]+$/.test(givenId)) {
    invalid(`Field service_level_objective_id had an invalid value of "${givenId}": must match ^[a-zA-Z0-9-_:.]+$.`);
  }
  const name = `${parent}/serviceLevelObjectives/${givenId || opaqueId()}`;
  const st = monitoringState(core);
  if (st.slos[name]) throw new EmulatorError(Code.ALREADY_EXISTS, `Resource '${name}' already exists.`);
  const slo = build(name, req.serviceLevelObjective);
  validateSlo(slo, service);
  st.slos[name] = slo;
  return clone(slo);
}

/** GetServiceLevelObjective (`view` EXPLICIT returns the SLI as defined, like FULL). */
export function getSlo(core: EmulatorCore, req: any): any {
  const name = String(req.name ?? '');
  parseSloName(name);
  return clone(getStoredSlo(core, name));
}

/** ListServiceLevelObjectives; parent `.../services/-` lists across services. */
export function listSlos(core: EmulatorCore, req: any): any {
  const parent = String(req.parent ?? '');
  const m = /^(projects\/[^/]+)\/services\/([^/]+)$/.exec(parent);
  if (!m) invalid(`Field parent had an invalid value of "${parent}".`);
  if (m[2] !== '-') getStoredService(core, parent);
  const prefix = m[2] === '-' ? `${m[1]}/services/` : `${parent}/serviceLevelObjectives/`;
  const filter = parseFilter(req.filter);
  const all = Object.values(monitoringState(core).slos).filter((s: any) => s.name.startsWith(prefix) && evalFilter(filter, objectResolver(s)));
  const { page, nextPageToken } = paginate(all, req.pageSize, req.pageToken);
  return { serviceLevelObjectives: clone(page), nextPageToken };
}

/** UpdateServiceLevelObjective (update_mask, or full replacement without one). */
export function updateSlo(core: EmulatorCore, req: any): any {
  const incoming = stripOneofs(clone(req.serviceLevelObjective ?? {}));
  const name = String(incoming.name ?? '');
  const { service } = parseSloName(name);
  const existing = getStoredSlo(core, name);
  const paths = maskPaths(req.updateMask);
  const next = paths
    ? applyMask(existing, incoming, paths, MUTABLE, {
        aliases: { user_label: 'userLabels' },
        maps: ['userLabels'],
        oneofs: [['rollingPeriod', 'calendarPeriod']],
      })
    : build(name, incoming);
  compact(next);
  validateSlo(next, getStoredService(core, service));
  monitoringState(core).slos[name] = next;
  return clone(next);
}

/** DeleteServiceLevelObjective. */
export function deleteSlo(core: EmulatorCore, req: any): any {
  const name = String(req.name ?? '');
  parseSloName(name);
  getStoredSlo(core, name);
  delete monitoringState(core).slos[name];
  return {};
}

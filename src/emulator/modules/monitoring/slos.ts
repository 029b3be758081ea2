/**
 * `google.monitoring.v3.ServiceMonitoringService`, the SLO half, as a descriptor for the
 * generic CRUD (`crud.ts`), validated like the real API (see slo-validation.ts).
 * `service_level_objective_id` is optional (server-assigned); List under
 * `.../services/-` lists across services; GetServiceLevelObjective's `view` EXPLICIT
 * returns the SLI as defined, like FULL.
 */
import type { EmulatorCore } from '../../core';
import { Code, EmulatorError } from '../../errors';
import { stored } from './crud';
import type { MonitoringResourceType } from './resource-type';
import { getStoredService } from './services';
import { validateSlo } from './slo-validation';
import { compact, invalid } from './state';

function parseSloName(name: string): { service: string; id: string } {
  const m = /^(projects\/[^/]+\/services\/[^/]+)\/serviceLevelObjectives\/([^/]+)$/.exec(name);
  if (!m) invalid(`Field name had an invalid value of "${name}": expected "projects/[PROJECT]/services/[SERVICE]/serviceLevelObjectives/[SLO]".`);
  return { service: m[1], id: m[2] };
}

function build(name: string, s: any): any {
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

/** The ServiceLevelObjective resource type. */
export const sloType: MonitoringResourceType = {
  numbered: true,
  noun: 'ServiceLevelObjective',
  plural: 'ServiceLevelObjectives',
  store: 'slos',
  field: 'serviceLevelObjective',
  listField: 'serviceLevelObjectives',
  parentField: 'parent',
  collection(core, parent) {
    const m = /^projects\/([^/]+)\/services\/[^/]+$/.exec(parent);
    if (!m) invalid(`Field parent had an invalid value of "${parent}".`);
    getStoredService(core, parent);
    return { project: m[1], path: `${parent}/serviceLevelObjectives` };
  },
  listPrefix(core, parent) {
    const m = /^(projects\/[^/]+)\/services\/([^/]+)$/.exec(parent);
    if (!m) invalid(`Field parent had an invalid value of "${parent}".`);
    if (m[2] === '-') return `${m[1]}/services/`;
    getStoredService(core, parent);
    return `${parent}/serviceLevelObjectives/`;
  },
  checkName: (name) => void parseSloName(name),
  notFound(_core, name) {
    const [, project, , service, , slo] = name.split('/');
    throw new EmulatorError(Code.NOT_FOUND, `There is no slo with id "${slo}" under service "${service}" in project "${project}"`);
  },
  id: {
    field: 'serviceLevelObjectiveId',
    check(id) {
      if (!/^[a-zA-Z0-9\-_:.]+$/.test(id)) invalid(`Field service_level_objective_id had an invalid value of "${id}": must match ^[a-zA-Z0-9-_:.]+$.`);
    },
    assign: 'opaque',
  },
  create(input, { core, parent, name }) {
    const slo = build(name, input);
    validateSlo(slo, getStoredService(core, parent));
    return slo;
  },
  mutable: ['displayName', 'serviceLevelIndicator', 'goal', 'rollingPeriod', 'calendarPeriod', 'userLabels'],
  mask: { aliases: { user_label: 'userLabels' }, maps: ['userLabels'], oneofs: [['rollingPeriod', 'calendarPeriod']] },
  replace: (incoming, { name }) => build(name, incoming),
  finishUpdate: (next, { core, name }) => validateSlo(next, getStoredService(core, parseSloName(name).service)),
};

/** The stored SLO, or NOT_FOUND. */
export function getStoredSlo(core: EmulatorCore, name: string): any {
  return stored(core, sloType, name);
}

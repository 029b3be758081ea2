/**
 * `google.monitoring.v3.AlertPolicyService`, as a descriptor for the generic CRUD
 * (`crud.ts`): server-assigned numeric IDs for policies
 * and their conditions, `creationRecord`/`mutationRecord`, update masks, list filters
 * (`display_name`, `user_labels.KEY`, ...), `order_by` and paging. Threshold conditions
 * accept SLO selectors (`select_slo_burn_rate("projects/.../serviceLevelObjectives/o",
 * "3600s")`); the SLO must exist.
 */
import type { EmulatorCore } from '../../core';
import type { MonitoringResourceType } from './resource-type';
import { validateMetricFilter } from './slo-validation';
import {
  byProjectNumber, clone, compact, durationSeconds, invalid, monitoringState, mutationRecord, numericId, parseDurationString, projectOf,
  validateUserLabels,
} from './state';

const CONDITION_KINDS = [
  'conditionThreshold', 'conditionAbsent', 'conditionMatchedLog', 'conditionMonitoringQueryLanguage',
  'conditionPrometheusQueryLanguage', 'conditionSql',
];
const MUTABLE = ['displayName', 'documentation', 'userLabels', 'conditions', 'combiner', 'enabled', 'notificationChannels', 'alertStrategy', 'severity'];
const SLO_SELECTOR = /^\s*select_slo_(burn_rate|health|budget_fraction|budget)\(\s*"([^"]*)"\s*(?:,\s*"([^"]*)"\s*)?\)\s*$/;

/** Parse an SLO selector filter; undefined when the filter is an ordinary metric filter. */
export function parseSloSelector(filter: string): { fn: string; slo: string; lookbackSeconds?: number } | undefined {
  const m = SLO_SELECTOR.exec(filter);
  if (!m) return undefined;
  return { fn: `select_slo_${m[1]}`, slo: m[2], lookbackSeconds: m[3] === undefined ? undefined : parseDurationString(m[3]) ?? NaN };
}

function validateThreshold(core: EmulatorCore, field: string, t: any): void {
  const filter = String(t.filter ?? '');
  if (!filter.trim()) invalid(`Field ${field}.filter is required.`);
  if (/^\s*select_slo_/.test(filter)) {
    const sel = parseSloSelector(filter);
    if (!sel) invalid(`Field ${field}.filter had an invalid value of "${filter}": malformed SLO selector.`);
    if (sel.fn === 'select_slo_burn_rate' && !(sel.lookbackSeconds! > 0)) {
      invalid(`Field ${field}.filter had an invalid value of "${filter}": select_slo_burn_rate needs a lookback period such as "3600s".`);
    }
    if (!/^projects\/[^/]+\/services\/[^/]+\/serviceLevelObjectives\/[^/]+$/.test(sel.slo) || !monitoringState(core).slos[byProjectNumber(core, sel.slo)]) {
      invalid(`Field ${field}.filter had an invalid value of "${filter}": the service level objective "${sel.slo}" does not exist.`);
    }
    if (t.aggregations?.length) invalid(`Field ${field}.aggregations must be empty when the filter selects an SLO.`);
  } else {
    validateMetricFilter(`${field}.filter`, filter);
  }
  if (!t.comparison || t.comparison === 'COMPARISON_UNSPECIFIED') invalid(`Field ${field}.comparison is required.`);
  const d = durationSeconds(t.duration) ?? 0;
  if (d < 0 || !Number.isInteger(d)) invalid(`Field ${field}.duration must be a non-negative whole number of seconds.`);
}

function validateCondition(core: EmulatorCore, c: any, i: number): void {
  const field = `alert_policy.conditions[${i}]`;
  const kinds = CONDITION_KINDS.filter((k) => c[k]);
  if (kinds.length !== 1) invalid(`Field ${field} must set exactly one condition type (condition_threshold, condition_absent, ...).`);
  if (c.conditionThreshold) validateThreshold(core, `${field}.condition_threshold`, c.conditionThreshold);
  if (c.conditionAbsent) validateMetricFilter(`${field}.condition_absent.filter`, c.conditionAbsent.filter);
  if (c.conditionMatchedLog && !c.conditionMatchedLog.filter) invalid(`Field ${field}.condition_matched_log.filter is required.`);
  for (const k of ['conditionMonitoringQueryLanguage', 'conditionPrometheusQueryLanguage', 'conditionSql']) {
    if (c[k] && !c[k].query) invalid(`Field ${field}.${k}.query is required.`);
  }
}

function validatePolicy(core: EmulatorCore, p: any): void {
  if (!p.displayName) invalid('Field alert_policy.display_name is required.');
  const conditions: any[] = p.conditions ?? [];
  if (conditions.length === 0) invalid('Field alert_policy.conditions must contain at least one condition.');
  if (conditions.length > 6) invalid('Field alert_policy.conditions may contain at most 6 conditions.');
  conditions.forEach((c, i) => validateCondition(core, c, i));
  if (conditions.length > 1 && (!p.combiner || p.combiner === 'COMBINE_UNSPECIFIED')) {
    invalid('Field alert_policy.combiner is required when a policy has more than one condition.');
  }
  validateUserLabels(p.userLabels, 'alert_policy.user_labels');
  const channels = monitoringState(core).channels;
  for (const ch of p.notificationChannels ?? []) {
    if (!channels[ch]) invalid(`Field alert_policy.notification_channels had an invalid value of "${ch}": the notification channel does not exist.`);
  }
}

/** Give every condition a name: keep names of this policy's existing conditions, assign new ones. */
function nameConditions(policyName: string, conditions: any[], previous: any[]): any[] {
  const known = new Set(previous.map((c) => c.name));
  const used = new Set<string>();
  return conditions.map((c) => {
    if (c.name) {
      if (!known.has(c.name) || used.has(c.name)) invalid(`Field alert_policy.conditions.name had an invalid value of "${c.name}": not a condition of ${policyName}.`);
      used.add(c.name);
      return c;
    }
    const id = numericId((x) => known.has(`${policyName}/conditions/${x}`) || used.has(`${policyName}/conditions/${x}`));
    const name = `${policyName}/conditions/${id}`;
    used.add(name);
    return { name, ...c };
  });
}

function fields(input: any): any {
  const p = clone(input ?? {});
  return compact({
    displayName: p.displayName, documentation: p.documentation, userLabels: p.userLabels, conditions: p.conditions,
    combiner: p.combiner, enabled: p.enabled, notificationChannels: p.notificationChannels, alertStrategy: p.alertStrategy,
    severity: p.severity,
  });
}

/** The AlertPolicy resource type (the parent of Create and List is the request's `name`). */
export const alertPolicyType: MonitoringResourceType = {
  noun: 'AlertPolicy',
  plural: 'AlertPolicies',
  store: 'alertPolicies',
  field: 'alertPolicy',
  listField: 'alertPolicies',
  parentField: 'name',
  collection(_core, parent) {
    const project = projectOf(parent);
    return { project, path: `projects/${project}/alertPolicies` };
  },
  listPrefix: (_core, parent) => `projects/${projectOf(parent)}/alertPolicies/`,
  id: { assign: 'numeric' },
  create(input, { core, name }) {
    const body = fields(input);
    validatePolicy(core, body);
    const record = mutationRecord(core);
    return {
      name,
      ...body,
      conditions: nameConditions(name, body.conditions ?? [], []),
      enabled: body.enabled ?? { value: true },
      creationRecord: record,
      mutationRecord: record,
    };
  },
  mutable: MUTABLE,
  mask: { aliases: { user_label: 'userLabels' }, maps: ['userLabels'] },
  maskInput: fields,
  replace: (incoming, { name, existing }) => ({ name, ...fields(incoming), creationRecord: existing.creationRecord }),
  finishUpdate(next, { core, name, existing }) {
    next.conditions = nameConditions(name, next.conditions ?? [], existing.conditions ?? []);
    next.enabled ??= { value: true };
    validatePolicy(core, next);
    next.mutationRecord = mutationRecord(core);
  },
  ordered: true,
};

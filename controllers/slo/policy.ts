/**
 * Slo, alert policies (pure): how a live policy differs from what a Slo wants of it, and
 * the policy to write back. runctl manages a policy's display name, its burn-rate
 * condition, its email channels, whether it is enabled and its ownership labels; the rest
 * (further conditions, documentation, severity, other channel types, other labels) is
 * kept as it is, so policies made elsewhere can be adopted without losing anything.
 */
import type { FieldChange } from '../../src/engine/controller';
import { diffDeclared } from '../../src/engine/diff';
import { LABEL_MANAGED_BY, RUNCTL_LABEL_PREFIX } from '../../src/engine/ownership';
import { splitChannels } from './live';
import { alertView, burnConditionIndex, comparableAlerts, type Obj } from './model';

/** runctl's own labels among user labels: ownership and identity (`managed-by`, `runctl-*`). */
export const runctlLabels = (labels: Record<string, string> = {}) => Object.fromEntries(Object.entries(labels).filter(([k]) => k === LABEL_MANAGED_BY || k.startsWith(RUNCTL_LABEL_PREFIX)));

/**
 * How a live policy differs from its desired body: in what runctl manages (display name,
 * burn-rate condition, email channels, enabled; `changes`) and in its ownership labels.
 * Channels of other types are kept, so they are not compared; so are a policy's other
 * user labels: the manifest's labels go on every policy runctl makes or updates, but a
 * policy made elsewhere keeps its own, and adopting it writes ownership only.
 */
export function policyDiff(body: Obj, p: Obj, channels: Obj[]): { view: boolean; labels: boolean; changes: FieldChange[] } {
  const have = { ...p, notificationChannels: splitChannels(p.notificationChannels, channels).modelled };
  const [wantView, haveView] = comparableAlerts(alertView(body), alertView(have));
  const view = diffDeclared(wantView, haveView, {}, 'alertPolicy').changes;
  const labels = diffDeclared({ userLabels: runctlLabels(body.userLabels) }, { userLabels: p.userLabels ?? {} }, {}, 'alertPolicy').changes;
  return { view: view.length > 0, labels: labels.length > 0, changes: [...view, ...labels] };
}

/** The condition names runctl writes (`burn rate > 10 over 300s`). */
const RUNCTL_CONDITION = /^burn rate > \S+ over \S+$/;

/**
 * A policy's managed fields as wanted, keeping what runctl does not model: the burn-rate
 * condition takes the desired filter, comparison, threshold and duration but keeps its
 * name (so its incident history stays attached), display name and trigger; further
 * conditions and the combiner joining them stay; channels of other types stay.
 */
export function policyUpdate(body: Obj, p: Obj, channels: Obj[]): Obj {
  const want = body.conditions[0];
  const live = (p.conditions ?? []) as Obj[];
  const at = burnConditionIndex(p);
  // runctl's own condition names describe the threshold, so they follow it; others' stay.
  const displayName = RUNCTL_CONDITION.test(live[at]?.displayName ?? '') ? want.displayName : live[at]?.displayName;
  const burn = live[at] ? { ...live[at], displayName, conditionThreshold: { ...(live[at].conditionThreshold ?? {}), ...want.conditionThreshold } } : want;
  const conditions = live.length ? live.map((c, j) => (j === at ? burn : c)) : [want];
  const kept = splitChannels(p.notificationChannels, channels).kept;
  return {
    displayName: body.displayName,
    combiner: conditions.length > 1 ? p.combiner : body.combiner,
    conditions,
    notificationChannels: [...body.notificationChannels, ...kept],
    enabled: body.enabled,
  };
}

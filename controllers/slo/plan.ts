/**
 * Slo, planning (pure): the desired Monitoring objects against the live ones, as
 * field changes in manifest terms and one sub-resource line per object that changes.
 */
import type { FieldChange, ResourcePlan, SubChange } from '../../src/engine/controller';
import { diffDeclared } from '../../src/engine/diff';
import { hasIdentity } from '../../src/engine/ownership';
import { alertIndexOf, channelsFor, liveAlerts, type LiveSlo } from './live';
import { alertPolicyBody, alertView, CHANNEL_OWNER, channelRole, comparableAlerts, emailOf, liveSloBody, monitoredServiceId, sameMonitoringName, sloBody, type Obj, type SloForm, type Target } from './model';

/** Everything the desired state depends on. */
export interface DesiredSlo {
  form: SloForm;
  target: Target;
  /** The SLO ID (metadata.name). */
  id: string;
  /** Ownership and user labels (the engine's). */
  labels: Record<string, string>;
  set: string;
}

/** Name of the monitored service runctl would use (the live one, else its own ID). */
export const monitoredName = (d: DesiredSlo, live: LiveSlo) => live.monitored?.name ?? `projects/${d.target.project}/services/${monitoredServiceId(d.target)}`;

/** The email channel runctl owns for an address, or undefined (the keeper when there are duplicates). */
export function channelFor(channels: Obj[], address: string, set: string): Obj | undefined {
  return channelsFor(channels, address, set)[0];
}

/** Whether a live channel lacks the identity labels (made by an earlier version): they are added. */
export const needsIdentity = (c: Obj, set: string, address: string) => !hasIdentity(c.userLabels, set, CHANNEL_OWNER, channelRole(address));

/** Every address the Slo's alerts notify, sorted. */
export const addressesOf = (d: DesiredSlo) => [...new Set(d.form.alerts.flatMap((a) => a.notify.map(emailOf)))].sort();

/** Ownership labels for shared objects (channels, monitored service): no user labels. */
export const sharedLabels = (d: DesiredSlo) => ({ 'managed-by': d.labels['managed-by'], 'runctl-set': d.labels['runctl-set'] });

/** Desired alert policies, with channel names (a placeholder where a channel is still to be made). */
export function desiredPolicies(d: DesiredSlo, live: LiveSlo, channelName: (address: string) => string | undefined): Obj[] {
  const sloName = `${monitoredName(d, live)}/serviceLevelObjectives/${d.id}`;
  return d.form.alerts.map((a, i) => {
    const channels = a.notify.map((n) => channelName(emailOf(n)) ?? `(new channel for ${emailOf(n)})`);
    return alertPolicyBody(sloName, d.id, i, a, channels, d.labels, d.set);
  });
}

const label = (i: number, p: Obj) => `alertPolicy #${i} "${p.displayName}"`;

function children(d: DesiredSlo, live: LiveSlo): SubChange[] {
  const out: SubChange[] = [];
  if (!live.monitored) out.push({ name: `monitoredService ${monitoredServiceId(d.target)} (Cloud Run ${d.target.service} in ${d.target.location})`, action: 'create' });
  const want = { ...sloBody(d.form, d.target, d.id), userLabels: d.labels };
  if (!live.slo) out.push({ name: `serviceLevelObjective ${d.id}`, action: 'create' });
  else if (!sameMonitoringName(live.sloParent?.name, monitoredName(d, live))) out.push({ name: `serviceLevelObjective ${d.id}`, action: 'replace', notes: [`moves from ${live.sloParent?.name ?? 'another service'}`] });
  else {
    const have = { ...liveSloBody(live.slo), userLabels: live.slo.userLabels ?? {} };
    const { changes } = diffDeclared(want, have, { exact: ['serviceLevelIndicator'] }, 'slo');
    if (changes.length) out.push({ name: `serviceLevelObjective ${d.id}`, action: 'update', changes });
  }
  for (const a of addressesOf(d)) {
    const [keep, ...extra] = channelsFor(live.channels, a, d.set);
    if (!keep) out.push({ name: `notificationChannel email:${a}`, action: 'create' });
    else if (needsIdentity(keep, d.set, a)) out.push({ name: `notificationChannel email:${a}`, action: 'update', notes: ['made by an earlier runctl: gets its identity labels'] });
    for (const x of extra) out.push({ name: `notificationChannel email:${a} (${x.name})`, action: 'delete', notes: [`duplicate of ${keep.name}`] });
  }
  const byIndex = new Map(live.policies.map((p) => [alertIndexOf(p), p]));
  desiredPolicies(d, live, (a) => channelFor(live.channels, a, d.set)?.name).forEach((body, i) => {
    const p = byIndex.get(i);
    if (!p) return out.push({ name: label(i, body), action: 'create' });
    const [wantView, haveView] = comparableAlerts(alertView(body), alertView(p));
    const { changes } = diffDeclared({ ...wantView, userLabels: body.userLabels }, { ...haveView, userLabels: p.userLabels ?? {} }, {}, 'alertPolicy');
    if (changes.length) out.push({ name: label(i, body), action: 'update', changes });
  });
  for (const [i, p] of byIndex) if (i >= d.form.alerts.length) out.push({ name: label(i, p), action: 'delete' });
  for (const p of live.duplicates) {
    const i = alertIndexOf(p);
    out.push({ name: `${label(i, p)} (${p.name})`, action: 'delete', notes: [`duplicate of ${byIndex.get(i)?.name ?? 'another policy'}`] });
  }
  return out;
}

/** Field changes in manifest terms; alerts compared by their index. */
function specChanges(d: DesiredSlo, live: LiveSlo, have: SloForm): FieldChange[] {
  const { alerts, ...objective } = d.form;
  const { alerts: _liveAlerts, ...haveObjective } = have;
  const changes = diffDeclared(objective as Obj, haveObjective as Obj).changes;
  for (const kind of ['availability', 'latency'] as const) {
    if (haveObjective[kind] && !objective[kind]) changes.push({ path: `spec.${kind}`, op: 'remove', old: haveObjective[kind] });
  }
  const byIndex = liveAlerts(live);
  alerts.forEach((a, i) => {
    const l = byIndex.get(i);
    if (!l) changes.push({ path: `spec.alerts.${i}`, op: 'add', new: a });
    else changes.push(...diffDeclared(a as Obj, l as Obj, {}, `spec.alerts.${i}`).changes);
  });
  for (const [i, l] of byIndex) if (i >= alerts.length) changes.push({ path: `spec.alerts.${i}`, op: 'remove', old: l });
  return changes;
}

/** The plan for one Slo. */
export function planSlo(d: DesiredSlo, live: LiveSlo, have: SloForm | undefined): ResourcePlan {
  const kids = children(d, live);
  if (!live.slo || !have) {
    return { action: 'create', changes: diffDeclared(d.form as unknown as Obj, {}).changes, notes: ['Cloud Monitoring writes are made one at a time per project'], children: kids };
  }
  const changes = specChanges(d, live, have);
  if (kids.some((k) => k.action === 'replace')) return { action: 'replace', changes, notes: ['the SLO moves to another service: it is re-created there (its error budget history starts over)'], children: kids };
  if (!changes.length && !kids.length) return { action: 'noop', changes, notes: [] };
  return { action: 'update', changes, notes: [], children: kids };
}

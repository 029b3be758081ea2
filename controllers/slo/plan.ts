/**
 * Slo, planning (pure): the desired Monitoring objects against the live ones, as
 * field changes in manifest terms and one sub-resource line per object that changes.
 */
import type { FieldChange, ResourcePlan, SubChange } from '../../src/engine/controller';
import { diffDeclared } from '../../src/engine/diff';
import { hasIdentity, LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../../src/engine/ownership';
import { channelsFor, liveAlerts, ownedBySet, policyIndex, type LiveSlo } from './live';
import { alertPolicyBody, CHANNEL_OWNER, channelRole, comparableSlo, emailOf, liveSloBody, monitoredServiceId, sameMonitoringName, sloBody, type Obj, type SloForm, type Target } from './model';
import { policyDiff } from './policy';

/** Everything the desired state depends on. */
export interface DesiredSlo {
  form: SloForm;
  target: Target;
  /** The Slo's metadata.name: its alert policies' identity and runctl's default display names. */
  id: string;
  /** The SLO's ID in Cloud Monitoring (`spec.sloId`, else metadata.name). */
  sloId: string;
  /** Ownership and user labels (the engine's). */
  labels: Record<string, string>;
  set: string;
}

/** Name of the monitored service runctl would use (the live one, else its own ID). */
export const monitoredName = (d: DesiredSlo, live: LiveSlo) => live.monitored?.name ?? `projects/${d.target.project}/services/${monitoredServiceId(d.target)}`;

/** The email channel runctl owns (or, adopting, adopts) for an address, or undefined (the keeper when there are duplicates). */
export function channelFor(live: Pick<LiveSlo, 'channels' | 'adoptableChannels'>, address: string, set: string): Obj | undefined {
  return channelsFor(live.channels, address, set, live.adoptableChannels)[0];
}

/** The live policies by alert index (see `policyIndex`). */
export const policiesByIndex = (live: LiveSlo) => new Map(live.policies.map((p) => [policyIndex(live, p), p]));

/** The SLO as wanted and as live, comparable (SLI filters canonical, see `canonicalFilter`). */
export function sloDiff(d: DesiredSlo, slo: Obj, labels: Record<string, string>): { body: boolean; labels: boolean; changes: FieldChange[] } {
  const want = comparableSlo(sloBody(d.form, d.target, d.id));
  const have = comparableSlo(liveSloBody(slo));
  // An SLO made without a display name (the API does not need one) keeps none until the
  // manifest names one: runctl's default text is no reason to write to it.
  if (!d.form.displayName && !have.displayName) delete want.displayName;
  const body = diffDeclared(want, have, { exact: ['serviceLevelIndicator'] }, 'slo').changes;
  const lab = diffDeclared({ userLabels: labels }, { userLabels: slo.userLabels ?? {} }, {}, 'slo').changes;
  return { body: body.length > 0, labels: lab.length > 0, changes: [...body, ...lab] };
}

/**
 * Whether this plan takes ownership: the desired labels carry runctl's markers. The engine
 * also plans an unowned Slo with the manifest's own labels only, to see whether it already
 * matches; then the ownership labels adopting would write on the parts are no difference.
 */
export const owning = (d: DesiredSlo) => d.labels[LABEL_MANAGED_BY] === MANAGED_BY_VALUE;

/** Whether adopting this Slo labels its monitored service (made outside runctl, not yet the set's). */
export const adoptsMonitored = (d: DesiredSlo, live: LiveSlo) => !!(owning(d) && live.adopting && live.sloParent && live.sloParent === live.monitored && !ownedBySet(live.sloParent.userLabels, d.set));

/** Whether a channel needs labels written: an earlier runctl's without identity, or one being adopted. */
export const channelNeedsLabels = (d: DesiredSlo, c: Obj, address: string) => needsIdentity(c, d.set, address) && (ownedBySet(c.userLabels, d.set) || owning(d));

/** Whether a live channel lacks the identity labels (made by an earlier version): they are added. */
export const needsIdentity = (c: Obj, set: string, address: string) => !hasIdentity(c.userLabels, set, CHANNEL_OWNER, channelRole(address));

/** Every address the Slo's alerts notify, sorted. */
export const addressesOf = (d: DesiredSlo) => [...new Set(d.form.alerts.flatMap((a) => a.notify.map(emailOf)))].sort();

/** Ownership labels for shared objects (channels, monitored service): no user labels. */
export const sharedLabels = (d: DesiredSlo) => ({ 'managed-by': d.labels['managed-by'], 'runctl-set': d.labels['runctl-set'] });

/** Desired alert policies, with channel names (a placeholder where a channel is still to be made). */
export function desiredPolicies(d: DesiredSlo, live: LiveSlo, channelName: (address: string) => string | undefined): Obj[] {
  const sloName = `${monitoredName(d, live)}/serviceLevelObjectives/${d.sloId}`;
  return d.form.alerts.map((a, i) => {
    const channels = a.notify.map((n) => channelName(emailOf(n)) ?? `(new channel for ${emailOf(n)})`);
    return alertPolicyBody(sloName, d.id, i, a, channels, d.labels, d.set);
  });
}

const label = (i: number, p: Obj) => `alertPolicy #${i} "${p.displayName}"`;

function children(d: DesiredSlo, live: LiveSlo): SubChange[] {
  const out: SubChange[] = [];
  if (!live.monitored) out.push({ name: `monitoredService ${monitoredServiceId(d.target)} (Cloud Run ${d.target.service} in ${d.target.location})`, action: 'create' });
  else if (adoptsMonitored(d, live)) out.push({ name: `monitoredService ${String(live.monitored.name).split('/').pop()}`, action: 'update', notes: ['adopted: gets the ownership labels only'] });
  if (!live.slo) out.push({ name: `serviceLevelObjective ${d.sloId}`, action: 'create' });
  else if (!sameMonitoringName(live.sloParent?.name, monitoredName(d, live))) out.push({ name: `serviceLevelObjective ${d.sloId}`, action: 'replace', notes: [`moves from ${live.sloParent?.name ?? 'another service'}`] });
  else {
    const { changes } = sloDiff(d, live.slo, d.labels);
    if (changes.length) out.push({ name: `serviceLevelObjective ${d.sloId}`, action: 'update', changes });
  }
  for (const a of addressesOf(d)) {
    const [keep, ...extra] = channelsFor(live.channels, a, d.set, live.adoptableChannels);
    if (!keep) out.push({ name: `notificationChannel email:${a}`, action: 'create' });
    else if (channelNeedsLabels(d, keep, a)) out.push({ name: `notificationChannel email:${a}`, action: 'update', notes: [ownedBySet(keep.userLabels, d.set) ? 'made by an earlier runctl: gets its identity labels' : `adopted (${keep.name}): gets the ownership labels only`] });
    for (const x of extra) out.push({ name: `notificationChannel email:${a} (${x.name})`, action: 'delete', notes: [`duplicate of ${keep.name}`] });
  }
  const byIndex = policiesByIndex(live);
  desiredPolicies(d, live, (a) => channelFor(live, a, d.set)?.name).forEach((body, i) => {
    const p = byIndex.get(i);
    if (!p) return out.push({ name: label(i, body), action: 'create' });
    // Not taking ownership (see `owning`): no ownership label is a difference.
    const { changes } = policyDiff(owning(d) ? body : { ...body, userLabels: d.labels }, p, live.channels);
    if (changes.length) out.push({ name: label(i, body), action: 'update', changes, ...(live.adopting ? { notes: [`adopted: ${p.name}`] } : {}) });
  });
  for (const [i, p] of byIndex) if (i >= d.form.alerts.length) out.push({ name: label(i, p), action: 'delete' });
  for (const p of live.duplicates) {
    const i = policyIndex(live, p);
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
  const byIndex = liveAlerts(live, d.id);
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

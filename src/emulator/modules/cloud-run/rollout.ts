/**
 * What happens while a Service operation runs and when it completes: the service
 * reconciles, the new revision becomes Ready (or fails admission), traffic resolves to
 * concrete revisions, and the terminal condition settles. A failure keeps the last
 * serving state (latestReadyRevision, trafficStatuses) as the real API does.
 */
import type { EmulatorCore } from '../../core';
import { Code } from '../../errors';
import { condition } from './conditions';
import { LATEST } from './defaults';
import { registerCompleter, startOperation } from './operations';
import { isReady, settleRevision } from './revision-store';
import { clone, lastSegment, runNs, ts, type Obj, type OperationRecord, type RunNamespace, type ServiceName } from './state';
import { pendingUrls, serviceUrls, tagUri } from './urls';

/** Mark a service as reconciling (the state between a write and its operation's end). */
export function markReconciling(service: Obj, nowMs: number): void {
  service.reconciling = true;
  service.terminalCondition = condition('Ready', 'CONDITION_RECONCILING', nowMs);
  service.conditions = [condition('RoutesReady', 'CONDITION_RECONCILING', nowMs), condition('ConfigurationsReady', 'CONDITION_RECONCILING', nowMs)];
}

/** Fields a created service does not report yet in its operation's first metadata. */
const NOT_YET_CREATED = ['uid', 'ingress', 'conditions', 'latestCreatedRevision', 'latestReadyRevision', 'observedGeneration', 'uri', 'trafficStatuses'];

/**
 * The metadata of a CreateService operation as Google first answers it: the service
 * reconciling, its terminal condition only `{state: CONDITION_PENDING}` (no type, no
 * time), `urls` with only the deterministic form, and no `uid`, `ingress`, `conditions`,
 * `latestCreatedRevision` or `observedGeneration` yet (spec/cloud-run.md, "Operations").
 */
export function creatingMetadata(service: Obj, sn: ServiceName, projectNumber: string): Obj {
  const out = clone(service);
  for (const k of NOT_YET_CREATED) delete out[k];
  out.reconciling = true;
  out.terminalCondition = { state: 'CONDITION_PENDING' };
  out.urls = pendingUrls(sn, projectNumber, !!service.defaultUriDisabled);
  return out;
}

/** Start the deploy operation of a service write (`creating`: its first rollout). */
export function startDeploy(
  core: EmulatorCore,
  sn: ServiceName,
  method: string,
  revision?: { name: string; denial?: OperationRecord['denial'] },
  creating = false,
): OperationRecord {
  const service = runNs(core).services[sn.name].service;
  return startOperation(core, sn.parent, {
    kind: 'deploy',
    method,
    target: sn.name,
    metadataType: 'Service',
    metadata: creating ? creatingMetadata(service, sn, core.projectNumber) : clone(service),
    generation: service.generation,
    revision: revision?.name,
    denial: revision?.denial,
  });
}

interface Failure {
  code: number;
  message: string;
  reason?: string;
  /** Which part failed: the new revision (configuration) or routing. */
  part: 'configuration' | 'routes';
}

/** Resolve `traffic` to concrete revisions, or the failure the real API reports. */
function resolveTraffic(st: RunNamespace, sn: ServiceName, service: Obj): { statuses: Obj[] } | { failure: Failure } {
  const statuses: Obj[] = [];
  for (const t of service.traffic ?? []) {
    const revision: string = t.type === LATEST ? lastSegment(service.latestReadyRevision ?? '') : t.revision;
    const rec = revision ? st.revisions[`${sn.name}/revisions/${revision}`] : undefined;
    if (t.type !== LATEST && !rec) {
      return { failure: { code: Code.INTERNAL, part: 'routes', message: `Revision '${revision}' does not exist or is deleted. Update all traffic to route to currently available revisions.` } };
    }
    if (!rec || !isReady(rec)) {
      const which = revision || lastSegment(service.latestCreatedRevision ?? '');
      return { failure: { code: Code.FAILED_PRECONDITION, part: 'routes', message: `Revision '${which}' is not ready and cannot serve traffic.` } };
    }
    // A LATEST entry does not name the revision it resolves to (recorded real-API
    // exchanges, issue 13, difference 7); REVISION entries do.
    const status: Obj = t.type === LATEST ? { type: t.type } : { type: t.type, revision };
    if (t.percent) status.percent = t.percent;
    if (t.tag) {
      status.tag = t.tag;
      status.uri = tagUri(sn, t.tag);
    }
    statuses.push(status);
  }
  return { statuses };
}

function snOf(name: string): ServiceName {
  const [, project, , location, , service] = name.split('/');
  return { project, location, service, parent: `projects/${project}/locations/${location}`, name };
}

function completeDeploy(core: EmulatorCore, op: OperationRecord): void {
  const st = runNs(core);
  const now = core.clock.now();
  let failure: Failure | undefined;
  const revRec = op.revision ? st.revisions[op.revision] : undefined;
  const fault = op.denial ? undefined : core.takeFault(op.method, true);
  if (op.denial) failure = { code: Code.FAILED_PRECONDITION, message: op.denial.message, reason: op.denial.reason, part: 'configuration' };
  // An injected platform failure (INTERNAL/UNAVAILABLE) reports Cloud Run's INTERNAL reason.
  else if (fault) failure = { code: fault.grpcCode, message: fault.message, reason: fault.grpcCode === Code.INTERNAL || fault.grpcCode === Code.UNAVAILABLE ? 'INTERNAL' : undefined, part: revRec ? 'configuration' : 'routes' };
  if (revRec) settleRevision(revRec, now, failure?.part === 'configuration' ? failure : undefined);

  const rec = st.services[op.target];
  if (!rec) {
    // Deleted meanwhile: the operation ends with the last state it saw.
    op.response = op.metadata;
    return;
  }
  const service = rec.service;
  // A later write owns the service's status now; this operation only reports.
  if (service.generation !== op.generation) {
    op.metadata = clone(service);
    if (failure) op.error = { code: failure.code, message: failure.message };
    else op.response = clone(service);
    return;
  }
  const sn = snOf(op.target);
  if (isReady(st.revisions[service.latestCreatedRevision])) service.latestReadyRevision = service.latestCreatedRevision;
  if (!failure) {
    const resolved = resolveTraffic(st, sn, service);
    if ('failure' in resolved) failure = resolved.failure;
    else service.trafficStatuses = resolved.statuses;
  }
  service.reconciling = false;
  service.observedGeneration = service.generation;
  if (failure) {
    service.terminalCondition = condition('Ready', 'CONDITION_FAILED', now, failure);
    service.conditions = [
      condition('RoutesReady', failure.part === 'routes' ? 'CONDITION_FAILED' : 'CONDITION_SUCCEEDED', now, failure.part === 'routes' ? failure : {}),
      condition('ConfigurationsReady', failure.part === 'configuration' ? 'CONDITION_FAILED' : 'CONDITION_SUCCEEDED', now, failure.part === 'configuration' ? failure : {}),
    ];
    op.error = { code: failure.code, message: failure.message };
  } else {
    Object.assign(service, serviceUrls(sn, core.projectNumber, !!service.defaultUriDisabled));
    service.terminalCondition = condition('Ready', 'CONDITION_SUCCEEDED', now);
    service.conditions = [condition('RoutesReady', 'CONDITION_SUCCEEDED', now), condition('ConfigurationsReady', 'CONDITION_SUCCEEDED', now)];
    op.response = clone(service);
  }
  op.metadata = clone(service);
}

function completeServiceDelete(core: EmulatorCore, op: OperationRecord): void {
  const st = runNs(core);
  const rec = st.services[op.target];
  if (!rec) {
    op.response = op.metadata;
    return;
  }
  const now = core.clock.now();
  const fault = core.takeFault(op.method, true);
  // The delete's own generation is observed whether it succeeds or fails.
  rec.service.observedGeneration = rec.service.generation;
  if (fault) {
    rec.service.reconciling = false;
    op.error = { code: fault.grpcCode, message: fault.message };
    return;
  }
  delete st.services[op.target];
  delete st.policies[op.target];
  for (const name of Object.keys(st.revisions)) if (name.startsWith(`${op.target}/revisions/`)) delete st.revisions[name];
  const deleted = { ...clone(rec.service), reconciling: false, deleteTime: ts(now), expireTime: ts(now + 30 * 24 * 3600 * 1000) };
  op.metadata = deleted;
  op.response = deleted;
}

function completeRevisionDelete(core: EmulatorCore, op: OperationRecord): void {
  const st = runNs(core);
  const rec = st.revisions[op.target];
  if (!rec) {
    op.response = op.metadata;
    return;
  }
  const fault = core.takeFault(op.method, true);
  if (fault) {
    op.error = { code: fault.grpcCode, message: fault.message };
    return;
  }
  delete st.revisions[op.target];
  const now = core.clock.now();
  const deleted = { ...clone(rec.revision), deleteTime: ts(now), expireTime: ts(now + 30 * 24 * 3600 * 1000) };
  op.metadata = deleted;
  op.response = deleted;
}

registerCompleter('deploy', completeDeploy);
registerCompleter('delete-service', completeServiceDelete);
registerCompleter('delete-revision', completeRevisionDelete);

/**
 * Revisions: naming (`{service}-{5-digit generation}-{3 random chars}` or the explicit
 * `template.revision`), creation from a service's template, the admission hook, and
 * the name-collision rule.
 */
import { randomUUID } from 'node:crypto';
import type { EmulatorCore } from '../../core';
import type { ImageDenial } from '../../admission';
import { Code, EmulatorError } from '../../errors';
import { condition, readyState } from './conditions';
import { omit, sameConfig } from './fields';
import { clone, ts, type Obj, type RevisionRecord, type RunNamespace, type ServiceName } from './state';

/** Template fields a Revision carries (the RevisionTemplate fields that exist on Revision). */
const CARRIED = [
  'scaling', 'vpcAccess', 'maxInstanceRequestConcurrency', 'timeout', 'serviceAccount', 'containers',
  'volumes', 'executionEnvironment', 'encryptionKey', 'serviceMesh', 'encryptionKeyRevocationAction',
  'encryptionKeyShutdownDuration', 'sessionAffinity', 'nodeSelector', 'gpuZonalRedundancyDisabled',
];

/** Whether a write needs a new revision, and its explicit name if any. */
export type RevisionPlan = { create: false } | { create: true; name?: string };

/**
 * Whether a template change needs a new revision. An explicit `template.revision` that
 * names an existing revision with a different configuration is the real API's 409.
 */
export function planRevision(st: RunNamespace, sn: ServiceName, next: Obj, previous: Obj | undefined): RevisionPlan {
  if (previous && sameConfig(next, previous)) return { create: false };
  const explicit: string | undefined = next.revision || undefined;
  if (!explicit) return { create: true };
  const existing = st.revisions[`${sn.name}/revisions/${explicit}`];
  if (!existing) return { create: true, name: explicit };
  if (sameConfig(omit(next, 'revision'), existing.config)) return { create: false };
  throw new EmulatorError(Code.ALREADY_EXISTS, `Revision named '${explicit}' with different configuration already exists.`);
}

/** Whether a revision's Ready condition succeeded. */
export function isReady(rec: RevisionRecord | undefined): boolean {
  return readyState(rec?.revision.conditions) === 'CONDITION_SUCCEEDED';
}

/** Run the admission checks (Binary Authorization) on a new revision; the first denial wins. */
function admit(core: EmulatorCore, sn: ServiceName, service: Obj): ImageDenial | undefined {
  const images: string[] = (service.template.containers ?? []).map((c: Obj) => c.image);
  const ba = service.binaryAuthorization;
  for (const check of core.imageAdmission) {
    const denial = check({
      project: sn.project,
      region: sn.location,
      service: sn.service,
      images,
      binaryAuthorization: ba ? { useDefault: ba.useDefault, policy: ba.policy, breakglassJustification: ba.breakglassJustification } : undefined,
      serviceAccount: service.template.serviceAccount,
      secrets: secretRefs(service.template),
      vpcConnector: service.template.vpcAccess?.connector || undefined,
    });
    if (denial) return denial;
  }
  return undefined;
}

/** The template's Secret Manager references, with the field paths Cloud Run reports. */
function secretRefs(template: Obj): Array<{ secret: string; version: string; path: string }> {
  const refs: Array<{ secret: string; version: string; path: string }> = [];
  (template.containers ?? []).forEach((c: Obj, ci: number) => {
    (c.env ?? []).forEach((e: Obj, ei: number) => {
      const ref = e.valueSource?.secretKeyRef;
      if (ref?.secret) refs.push({ secret: ref.secret, version: ref.version || 'latest', path: `spec.template.spec.containers[${ci}].env[${ei}].value_from.secret_key_ref.name` });
    });
  });
  (template.volumes ?? []).forEach((v: Obj, vi: number) => {
    const s = v.secret;
    if (!s?.secret) return;
    const items: Obj[] = s.items?.length ? s.items : [{ version: 'latest' }];
    for (const item of items) refs.push({ secret: s.secret, version: item.version || 'latest', path: `spec.template.spec.volumes[${vi}].secret.items` });
  });
  return refs;
}

/**
 * Create the revision for a service's current template (status: reconciling).
 * Returns its full name and the admission denial, if any.
 */
export function createRevision(core: EmulatorCore, st: RunNamespace, sn: ServiceName, service: Obj, principal: string, explicitName?: string): { name: string; denial?: ImageDenial } {
  const generation = String(service.generation).padStart(5, '0');
  let id = explicitName ?? `${sn.service}-${generation}-${core.randomSuffix(3)}`;
  while (!explicitName && st.revisions[`${sn.name}/revisions/${id}`]) id = `${sn.service}-${generation}-${core.randomSuffix(3)}`;
  const name = `${sn.name}/revisions/${id}`;
  const now = core.clock.now();
  const template = service.template;
  const revision: Obj = {
    name,
    uid: randomUUID(),
    generation: '1',
    createTime: ts(now),
    updateTime: ts(now),
    launchStage: service.launchStage,
    service: sn.service,
    reconciling: true,
    conditions: [
      condition('Ready', 'CONDITION_RECONCILING', now),
      condition('ContainerHealthy', 'CONDITION_RECONCILING', now),
      condition('ResourcesAvailable', 'CONDITION_RECONCILING', now),
    ],
    observedGeneration: '1',
    logUri: `https://console.cloud.google.com/logs/viewer?project=${sn.project}&resource=cloud_run_revision/service_name/${sn.service}/revision_name/${id}`,
    creator: principal,
    etag: core.newEtag(),
  };
  if (template.labels) revision.labels = clone(template.labels);
  if (template.annotations) revision.annotations = clone(template.annotations);
  for (const key of CARRIED) if (template[key] !== undefined) revision[key] = clone(template[key]);
  st.revisions[name] = { revision, config: omit(template, 'revision'), createMs: now, seq: ++st.seq };
  return { name, denial: admit(core, sn, service) };
}

/** Mark a revision Ready, or failed with a reason and message. */
export function settleRevision(rec: RevisionRecord, nowMs: number, failure?: { reason?: string; message: string }): void {
  const r = rec.revision;
  r.reconciling = false;
  if (failure) {
    r.conditions = [
      condition('Ready', 'CONDITION_FAILED', nowMs, failure),
      condition('ContainerHealthy', 'CONDITION_PENDING', nowMs),
      condition('ResourcesAvailable', 'CONDITION_PENDING', nowMs),
    ];
  } else {
    r.conditions = ['Ready', 'ContainerHealthy', 'ResourcesAvailable'].map((t) => condition(t, 'CONDITION_SUCCEEDED', nowMs));
  }
}

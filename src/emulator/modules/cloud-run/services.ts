/**
 * `google.cloud.run.v2.Services`: CreateService, GetService, ListServices,
 * UpdateService, DeleteService (the IAM methods are in iam.ts).
 */
import { randomUUID } from 'node:crypto';
import type { EmulatorCore } from '../../core';
import { Code, EmulatorError } from '../../errors';
import { unary } from '../../grpc';
import { serviceDefaults } from './defaults';
import { applyMask, OUTPUT_ONLY, sameConfig, specOf } from './fields';
import { markInitialized } from './locations';
import { operationWire, previewOperation, startOperation } from './operations';
import { canonical } from './protos';
import { createRevision, planRevision } from './revision-store';
import { markReconciling, startDeploy } from './rollout';
import {
  clone, notFound, paginate, parseParent, parseServiceName, principalOf, runNs, ts, violation,
  type Obj, type RunNamespace, type ServiceName,
} from './state';
import { validateServiceId, validateSpec } from './validate';

type Metadata = { get(key: string): unknown[] };

/** Defaults, then validation: the spec the server would store. */
function prepareSpec(core: EmulatorCore, st: RunNamespace, sn: ServiceName, spec: Obj, field: string): Obj {
  const gpuQuota = st.gpuQuota[sn.location];
  const out = serviceDefaults(clone(spec), { projectNumber: core.projectNumber, gpuQuota });
  validateSpec(out, field, sn, gpuQuota);
  requireServiceAccount(core, out.template?.serviceAccount);
  return out;
}

/**
 * Deploying as a service account needs `iam.serviceAccounts.actAs` on it; for an account
 * that does not exist Google answers the same denial ("or it may not exist").
 */
function requireServiceAccount(core: EmulatorCore, email: unknown): void {
  if (typeof email !== 'string' || !email || core.directory.serviceAccountExists(email)) return;
  throw new EmulatorError(Code.PERMISSION_DENIED, `Permission 'iam.serviceaccounts.actAs' denied on service account ${email} (or it may not exist).`);
}

function etagMismatch(sn: ServiceName): EmulatorError {
  return new EmulatorError(Code.ABORTED, `The etag provided does not match the current etag of service '${sn.service}'; read the service again and retry.`);
}

/** Create (also UpdateService with allow_missing on a missing service). */
function createFlow(core: EmulatorCore, sn: ServiceName, input: Obj, md: Metadata, validateOnly: boolean, method: string, field: string): unknown {
  const st = runNs(core);
  if (st.services[sn.name]) throw new EmulatorError(Code.ALREADY_EXISTS, `Resource '${sn.service}' already exists.`);
  const spec = prepareSpec(core, st, sn, specOf(input), field);
  const plan = planRevision(st, sn, spec.template, undefined);
  const now = core.clock.now();
  const principal = principalOf(md);
  const service: Obj = {
    name: sn.name,
    ...spec,
    uid: randomUUID(),
    generation: '1',
    createTime: ts(now),
    updateTime: ts(now),
    creator: principal,
    lastModifier: principal,
    etag: core.newEtag(),
  };
  markReconciling(service, now);
  if (validateOnly) return previewOperation(sn.parent, 'Service', service);
  st.services[sn.name] = { service, createMs: now, seq: ++st.seq };
  markInitialized(core, sn.project, sn.location);
  const revision = createRevision(core, st, sn, service, principal, plan.create ? plan.name : undefined);
  service.latestCreatedRevision = revision.name;
  return operationWire(startDeploy(core, sn, method, revision, true));
}

function update(core: EmulatorCore, req: any, md: Metadata): unknown {
  if (!req.service) throw violation('UpdateServiceRequest.service', 'required field not present.');
  const input = canonical('google.cloud.run.v2.Service', req.service);
  const sn = parseServiceName(input.name, 'UpdateServiceRequest.service.name');
  const st = runNs(core);
  const rec = st.services[sn.name];
  if (!rec) {
    if (req.allowMissing) return createFlow(core, sn, input, md, !!req.validateOnly, 'Services.UpdateService', 'UpdateServiceRequest.service');
    throw notFound('SERVICE', sn.service, sn);
  }
  if (input.etag && input.etag !== rec.service.etag) throw etagMismatch(sn);
  const paths: string[] = req.updateMask?.paths ?? [];
  const current = specOf(rec.service);
  // Without a mask (or with `*`) the request replaces every mutable field.
  const merged = paths.length && !paths.includes('*') ? applyMask(current, specOf(input), paths, 'UpdateServiceRequest.update_mask') : specOf(input);
  const spec = prepareSpec(core, st, sn, merged, 'UpdateServiceRequest.service');
  const plan = planRevision(st, sn, spec.template, current.template);
  const now = core.clock.now();
  const principal = principalOf(md);
  const next: Obj = Object.fromEntries(Object.entries(rec.service).filter(([k]) => k === 'name' || OUTPUT_ONLY.has(k)));
  Object.assign(next, spec);
  if (!sameConfig(spec, current)) {
    next.generation = String(Number(rec.service.generation) + 1);
    next.updateTime = ts(now);
    next.lastModifier = principal;
    next.etag = core.newEtag();
  }
  markReconciling(next, now);
  if (req.validateOnly) return previewOperation(sn.parent, 'Service', next);
  rec.service = next;
  const revision = plan.create ? createRevision(core, st, sn, next, principal, plan.name) : undefined;
  if (revision) next.latestCreatedRevision = revision.name;
  return operationWire(startDeploy(core, sn, 'Services.UpdateService', revision));
}

function remove(core: EmulatorCore, req: any): unknown {
  const sn = parseServiceName(req.name, 'DeleteServiceRequest.name');
  const rec = runNs(core).services[sn.name];
  if (!rec) throw notFound('SERVICE', sn.service, sn);
  if (req.etag && req.etag !== rec.service.etag) throw etagMismatch(sn);
  if (req.validateOnly) return previewOperation(sn.parent, 'Service', rec.service);
  // Deleting is a change of its own: Google bumps `generation` (observed when it ends).
  rec.service.reconciling = true;
  rec.service.generation = String(Number(rec.service.generation) + 1);
  const op = startOperation(core, sn.parent, {
    kind: 'delete-service',
    method: 'Services.DeleteService',
    target: sn.name,
    metadataType: 'Service',
    metadata: clone(rec.service),
  });
  return operationWire(op);
}

function list(core: EmulatorCore, req: any): unknown {
  const { parent } = parseParent(req.parent, 'ListServicesRequest.parent');
  const items = Object.values(runNs(core).services)
    .filter((r) => r.service.name.startsWith(`${parent}/services/`))
    .sort((a, b) => b.createMs - a.createMs || b.seq - a.seq);
  const { page, nextPageToken } = paginate(items, req.pageSize, req.pageToken, 'ListServicesRequest');
  return { services: page.map((r) => r.service), nextPageToken };
}

/** Handlers of the Services methods except IAM. */
export function servicesHandlers(core: EmulatorCore): Record<string, unknown> {
  return {
    CreateService: unary(core, 'Services.CreateService', 'write', (req, md) => {
      const p = parseParent(req.parent, 'CreateServiceRequest.parent');
      const id = validateServiceId(req.serviceId, 'CreateServiceRequest.service_id');
      if (!req.service) throw violation('CreateServiceRequest.service', 'required field not present.');
      const sn: ServiceName = { ...p, service: id, name: `${p.parent}/services/${id}` };
      const input = canonical('google.cloud.run.v2.Service', req.service);
      return createFlow(core, sn, input, md, !!req.validateOnly, 'Services.CreateService', 'CreateServiceRequest.service');
    }),
    GetService: unary(core, 'Services.GetService', 'read', (req) => {
      const sn = parseServiceName(req.name, 'GetServiceRequest.name');
      const rec = runNs(core).services[sn.name];
      if (!rec) throw notFound('SERVICE', sn.service, sn);
      return rec.service;
    }),
    ListServices: unary(core, 'Services.ListServices', 'read', (req) => list(core, req)),
    UpdateService: unary(core, 'Services.UpdateService', 'write', (req, md) => update(core, req, md)),
    DeleteService: unary(core, 'Services.DeleteService', 'write', (req) => remove(core, req)),
  };
}

/**
 * Compute long-running operations: every mutation returns a `compute#operation` that is
 * RUNNING in the mutation's answer (progress 0, no `endTime`) even at zero latency, and
 * until the operation latency has passed on the simulated clock. The change becomes visible only when the operation is done. Fault
 * rules with `operation: true` make an operation end DONE with `error.errors[]` and apply
 * nothing. A repeated `requestId` returns the operation of the first request.
 */
import { randomBytes } from 'node:crypto';
import type { EmulatorCore } from '../../core';
import { httpStatusOf } from '../../errors';
import type { Router, HttpRequest } from '../../http';
import type { ComputeState, OpRecord, PendingWrite } from './state';
import { computeState, computeTime, newId, selfLink, publicView, clone } from './state';
import { invalid, notFound, operationErrorCode, httpErrorMessage } from './errors';
import { parseFilter, order, paginate } from './list';

/** Longest a `wait` call blocks (simulated ms), like the real 2-minute cap. */
const WAIT_CAP_MS = 120_000;
/** Operations kept; the oldest finished ones are forgotten beyond this. */
const MAX_OPS = 2000;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a mutation asks the operation machinery to do. */
export interface OperationRequest {
  /** Stats/fault method name, e.g. `BackendServices.Insert`. */
  method: string;
  project: string;
  /** Set for regional operations (NEGs). */
  region?: string;
  operationType: string;
  targetRel: string;
  targetId: string;
  writes: PendingWrite[];
}

/** The operation of an earlier request with the same `requestId`, if any. */
export function replayed(core: EmulatorCore, project: string, req: HttpRequest): Record<string, any> | undefined {
  const requestId = req.query.get('requestId');
  if (!requestId) return undefined;
  if (!UUID_RE.test(requestId) || /^[0-]+$/.test(requestId)) {
    throw invalid('requestId', requestId, 'The request ID must be a valid, non-zero UUID.');
  }
  const st = computeState(core);
  const opRel = st.requests[`${project}/${requestId}`];
  const rec = opRel ? st.ops[opRel] : undefined;
  return rec ? renderOp(core, st, rec) : undefined;
}

/** Start an operation for a validated mutation and return its JSON. */
export function startOperation(core: EmulatorCore, req: HttpRequest, spec: OperationRequest): Record<string, any> {
  const st = computeState(core);
  const now = core.clock.now();
  const name = `operation-${now}-${randomBytes(7).toString('hex').slice(0, 13)}-${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}`;
  const parent = spec.region ? `projects/${spec.project}/regions/${spec.region}` : `projects/${spec.project}/global`;
  const rel = `${parent}/operations/${name}`;
  const latency = core.options.operationLatencyMs ?? 0;
  const op: Record<string, any> = {
    kind: 'compute#operation',
    id: newId(),
    name,
    operationType: spec.operationType,
    targetLink: selfLink(spec.targetRel),
    targetId: spec.targetId,
    status: 'RUNNING',
    user: 'emulator@runctl.local',
    progress: 0,
    insertTime: computeTime(now),
    startTime: computeTime(now),
    selfLink: selfLink(rel),
  };
  if (spec.region) op.region = selfLink(`projects/${spec.project}/regions/${spec.region}`);
  const rec: OpRecord = { op, doneAt: now + Math.max(0, latency), writes: spec.writes };
  const fault = core.takeFault(spec.method, true);
  if (fault) rec.failure = { grpcCode: fault.grpcCode, message: fault.message, reason: fault.reason };
  st.ops[rel] = rec;
  const requestId = req.query.get('requestId');
  if (requestId) st.requests[`${spec.project}/${requestId}`] = rel;
  // Never done in the first answer (RUNNING, progress 0, no endTime), as on Google; at
  // zero latency it completes right after this call has answered.
  core.scheduleOperation(rel, () => finish(core, st, rec), Math.max(0, latency));
  prune(st);
  return clone(op);
}

/** Fields whose change is bookkeeping, not configuration: a certificate keeps serving through it. */
const BOOKKEEPING = new Set(['description', 'labels', 'labelFingerprint', 'fingerprint', 'id', 'creationTimestamp']);

/** A resource's configuration as comparable text (keys sorted at every depth, bookkeeping left out). */
function configOf(r: Record<string, any>): string {
  const sortDeep = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sortDeep) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortDeep((v as Record<string, unknown>)[k])])) : v;
  return JSON.stringify(sortDeep(Object.fromEntries(Object.entries(r).filter(([k]) => !BOOKKEEPING.has(k) && !k.startsWith('_')))));
}

/**
 * Simulated time since which a resource has had its present configuration: a change of
 * labels or description alone (adopting it, say) keeps the earlier time, so what derives
 * from how long things have been linked (a managed certificate's provisioning) does not
 * start over.
 */
function linkedAt(prev: Record<string, any> | undefined, next: Record<string, any>, now: number): number {
  if (prev && configOf(prev) === configOf(next)) return Number(prev._linkedAt ?? prev._updatedAt ?? now);
  return now;
}

/** Complete an operation (idempotent): apply its writes, or record its failure. */
function finish(core: EmulatorCore, st: ComputeState, rec: OpRecord): void {
  if (rec.op.status === 'DONE') return;
  const end = computeTime(core.clock.now());
  if (rec.failure) {
    const status = httpStatusOf(rec.failure.grpcCode);
    rec.op.error = { errors: [{ code: operationErrorCode(rec.failure.grpcCode, rec.failure.reason), message: rec.failure.message }] };
    rec.op.httpErrorStatusCode = status;
    rec.op.httpErrorMessage = httpErrorMessage(status);
  } else {
    for (const w of rec.writes) {
      if (w.value === null) delete st.resources[w.path];
      else st.resources[w.path] = { ...w.value, _updatedAt: core.clock.now(), _linkedAt: linkedAt(st.resources[w.path], w.value, core.clock.now()) };
    }
  }
  rec.op.status = 'DONE';
  rec.op.progress = 100;
  rec.op.endTime = end;
  core.persist();
}

/**
 * Complete every operation that is due. Timers normally do this; this covers operations
 * whose timers are gone (state reloaded from disk) before anything reads them.
 */
export function settleDue(core: EmulatorCore): void {
  const st = computeState(core);
  const now = core.clock.now();
  for (const rec of Object.values(st.ops)) if (rec.op.status !== 'DONE' && now >= rec.doneAt) finish(core, st, rec);
}

/** The operation's JSON, completing it first if it is due. */
export function renderOp(core: EmulatorCore, st: ComputeState, rec: OpRecord): Record<string, any> {
  if (rec.op.status !== 'DONE' && core.clock.now() >= rec.doneAt) finish(core, st, rec);
  return clone(publicView(rec.op));
}

function prune(st: ComputeState): void {
  const paths = Object.keys(st.ops);
  if (paths.length <= MAX_OPS) return;
  const done = paths.filter((p) => st.ops[p].op.status === 'DONE').slice(0, paths.length - MAX_OPS);
  const gone = new Set(done);
  for (const p of done) delete st.ops[p];
  for (const [k, v] of Object.entries(st.requests)) if (gone.has(v)) delete st.requests[k];
}

function opRel(req: HttpRequest): string {
  const { project, region, operation } = req.params;
  return region ? `projects/${project}/regions/${region}/operations/${operation}` : `projects/${project}/global/operations/${operation}`;
}

function lookup(core: EmulatorCore, req: HttpRequest): { st: ComputeState; rec: OpRecord } {
  const st = computeState(core);
  const rel = opRel(req);
  const rec = st.ops[rel];
  if (!rec) throw notFound(rel);
  return { st, rec };
}

/** Routes of `GlobalOperations` and `RegionOperations`: get, wait, list, delete. */
export function operationRoutes(router: Router, core: EmulatorCore): void {
  for (const scope of ['global', 'region'] as const) {
    const svc = scope === 'global' ? 'GlobalOperations' : 'RegionOperations';
    const base = scope === 'global' ? '/compute/v1/projects/:project/global/operations' : '/compute/v1/projects/:project/regions/:region/operations';
    router.add('GET', `${base}/:operation`, (req) =>
      core.call(`${svc}.Get`, 'read', () => {
        const { st, rec } = lookup(core, req);
        return renderOp(core, st, rec);
      }), 'compute');
    router.add('POST', `${base}/:operation/wait`, (req) =>
      core.call(`${svc}.Wait`, 'read', async () => {
        const { st, rec } = lookup(core, req);
        const remaining = rec.doneAt - core.clock.now();
        if (rec.op.status !== 'DONE' && remaining > 0) await core.clock.sleep(Math.min(remaining, WAIT_CAP_MS));
        return renderOp(core, st, rec);
      }), 'compute');
    router.add('DELETE', `${base}/:operation`, (req) =>
      core.call(`${svc}.Delete`, 'write', () => {
        const { st } = lookup(core, req);
        delete st.ops[opRel(req)];
        return {};
      }), 'compute');
    router.add('GET', base, (req) =>
      core.call(`${svc}.List`, 'read', () => {
        const st = computeState(core);
        const prefix = `${opRel({ ...req, params: { ...req.params, operation: '' } })}`;
        const pred = parseFilter(req.query.get('filter'));
        const ops = Object.entries(st.ops)
          .filter(([p]) => p.startsWith(prefix))
          .map(([, rec]) => renderOp(core, st, rec))
          .filter(pred);
        const page = paginate(order(ops, req.query.get('orderBy') ?? 'insertTime'), req.query);
        const listRel = prefix.slice(0, -1);
        return {
          kind: 'compute#operationList',
          id: listRel,
          ...(page.items.length ? { items: page.items } : {}),
          ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
          selfLink: selfLink(listRel),
        };
      }), 'compute');
  }
}

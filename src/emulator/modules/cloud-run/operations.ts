/**
 * Long-running operations of the Cloud Run module (`google.longrunning.Operations` on
 * the same gRPC server). An operation is data in the state: when it is due, the
 * completer registered for its kind applies the outcome, so operations pending at a
 * restart resume from the persisted state.
 */
import { randomUUID } from 'node:crypto';
import type { EmulatorCore } from '../../core';
import { Code, EmulatorError } from '../../errors';
import { unary } from '../../grpc';
import { packRun } from './protos';
import { clone, paginate, parseParent, runNs, violation, type OperationKind, type OperationRecord } from './state';

type Completer = (core: EmulatorCore, op: OperationRecord) => void;
const completers = new Map<OperationKind, Completer>();

/** Register how operations of a kind complete (set `op.response` or `op.error`). */
export function registerCompleter(kind: OperationKind, fn: Completer): void {
  completers.set(kind, fn);
}

/** Done operations kept for GetOperation/ListOperations; older ones are forgotten. */
const KEEP_DONE = 500;

function methodMatches(pattern: string, method: string): boolean {
  if (pattern === '*') return true;
  return pattern.endsWith('*') ? method.startsWith(pattern.slice(0, -1)) : pattern === method;
}

/** The operation latency for a method: the emulator's, plus latency of matching operation fault rules. */
function operationLatency(core: EmulatorCore, method: string): number {
  let ms = core.options.operationLatencyMs ?? 0;
  for (const rule of core.faults) {
    if (rule.operation && methodMatches(rule.method, method)) ms += (rule.latencyMs ?? 0) + (rule.jitterMs ? core.random.next() * rule.jitterMs : 0);
  }
  return ms;
}

/** Complete an operation now (idempotent). */
export function finishOperation(core: EmulatorCore, name: string): void {
  const op = runNs(core).operations[name];
  if (!op || op.done) return;
  completers.get(op.kind)?.(core, op);
  op.done = true;
}

function prune(core: EmulatorCore): void {
  const ops = runNs(core).operations;
  const done = Object.values(ops).filter((o) => o.done);
  if (done.length <= KEEP_DONE) return;
  done.sort((a, b) => a.createMs - b.createMs);
  for (const o of done.slice(0, done.length - KEEP_DONE)) delete ops[o.name];
}

/**
 * Start an operation under `parent` (`projects/{p}/locations/{l}`). Like Google's, the
 * first answer is never done: even with no operation latency the operation completes
 * only after the call that started it has answered (on the next microtask), so a client
 * always reads it again (GetOperation / WaitOperation). The latency only stretches it.
 */
export function startOperation(
  core: EmulatorCore,
  parent: string,
  init: Omit<OperationRecord, 'name' | 'done' | 'doneAt' | 'createMs'>,
): OperationRecord {
  const now = core.clock.now();
  const latency = operationLatency(core, init.method);
  const op: OperationRecord = { ...init, name: `${parent}/operations/${randomUUID()}`, done: false, doneAt: now + latency, createMs: now };
  runNs(core).operations[op.name] = op;
  prune(core);
  core.scheduleOperation(op.name, () => finishOperation(core, op.name), Math.max(0, latency));
  return op;
}

/** Re-arm operations that were pending when state was saved. */
export function resumeOperations(core: EmulatorCore): void {
  const now = core.clock.now();
  for (const op of Object.values(runNs(core).operations)) {
    if (op.done) continue;
    core.scheduleOperation(op.name, () => finishOperation(core, op.name), Math.max(0, op.doneAt - now));
  }
}

/** The wire form of an operation (metadata and response packed as Any). */
export function operationWire(op: Pick<OperationRecord, 'name' | 'done' | 'metadataType' | 'metadata' | 'response' | 'error'>): Record<string, unknown> {
  const wire: Record<string, unknown> = { name: op.name, done: op.done, metadata: packRun(op.metadataType, op.metadata) };
  if (op.error) wire.error = { code: op.error.code, message: op.error.message, details: [] };
  else if (op.done) wire.response = packRun(op.metadataType, op.response ?? op.metadata);
  return wire;
}

/** A finished operation that is not stored (validate_only requests). */
export function previewOperation(parent: string, type: 'Service' | 'Revision', value: unknown): Record<string, unknown> {
  const snapshot = clone(value) as Record<string, unknown>;
  return operationWire({ name: `${parent}/operations/${randomUUID()}`, done: true, metadataType: type, metadata: snapshot, response: snapshot });
}

function lookup(core: EmulatorCore, name: unknown): OperationRecord {
  if (typeof name !== 'string' || !/^projects\/[^/]+\/locations\/[^/]+\/operations\/[^/]+$/.test(name)) {
    throw violation('name', `must be of the form projects/{project}/locations/{location}/operations/{operation}, got '${String(name ?? '')}'.`);
  }
  const op = runNs(core).operations[name];
  if (!op) throw new EmulatorError(Code.NOT_FOUND, `Operation '${name}' not found.`);
  // Due but not yet fired (a timer may lag behind a manually advanced clock).
  core.settleOperation(op.name, op.doneAt);
  return op;
}

/** Handlers of `google.longrunning.Operations`. */
export function operationsHandlers(core: EmulatorCore): Record<string, unknown> {
  return {
    GetOperation: unary(core, 'Operations.GetOperation', 'read', (req) => operationWire(lookup(core, req.name))),
    ListOperations: unary(core, 'Operations.ListOperations', 'read', (req) => {
      const { parent } = parseParent(req.name, 'ListOperationsRequest.name');
      const all = Object.values(runNs(core).operations)
        .filter((o) => o.name.startsWith(`${parent}/operations/`))
        .sort((a, b) => b.createMs - a.createMs || a.name.localeCompare(b.name));
      for (const o of all) core.settleOperation(o.name, o.doneAt);
      const { page, nextPageToken } = paginate(all, req.pageSize, req.pageToken, 'ListOperationsRequest');
      return { operations: page.map(operationWire), nextPageToken };
    }),
    DeleteOperation: unary(core, 'Operations.DeleteOperation', 'write', (req) => {
      const op = lookup(core, req.name);
      delete runNs(core).operations[op.name];
      return {};
    }),
    CancelOperation: unary(core, 'Operations.CancelOperation', 'write', () => {
      throw new EmulatorError(Code.UNIMPLEMENTED, 'Cloud Run operations cannot be cancelled.');
    }),
    WaitOperation: unary(core, 'Operations.WaitOperation', 'read', async (req) => {
      let op = lookup(core, req.name);
      if (!op.done) {
        const timeoutMs = req.timeout ? Number(req.timeout.seconds ?? 0) * 1000 + (req.timeout.nanos ?? 0) / 1e6 : 60_000;
        await core.clock.sleep(Math.max(0, Math.min(op.doneAt - core.clock.now(), timeoutMs)));
        op = runNs(core).operations[op.name] ?? op;
        core.settleOperation(op.name, op.doneAt);
      }
      return operationWire(op);
    }),
  };
}

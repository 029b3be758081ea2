/**
 * Long-running operations of the Cloud Run module (`google.longrunning.Operations` on
 * the same gRPC server). An operation is data in the state: when it is due, the
 * completer registered for its kind applies the outcome, so operations pending at a
 * restart resume from the persisted state.
 */
import { randomUUID } from 'node:crypto';
import type { EmulatorCore } from '../../core';
import { operationLatency, type OperationSource, type OperationView } from '../../longrunning';
import { packRun } from './protos';
import { clone, runNs, type OperationKind, type OperationRecord } from './state';

type Completer = (core: EmulatorCore, op: OperationRecord) => void;
const completers = new Map<OperationKind, Completer>();

/** Register how operations of a kind complete (set `op.response` or `op.error`). */
export function registerCompleter(kind: OperationKind, fn: Completer): void {
  completers.set(kind, fn);
}

/** Done operations kept for GetOperation/ListOperations; older ones are forgotten. */
const KEEP_DONE = 500;

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

/**
 * Cloud Run's operations as a source of the one Operations service (`longrunning.ts`),
 * which the module registers with these handlers.
 */
export function runOperationSource(core: EmulatorCore): OperationSource {
  const view = (op: OperationRecord): OperationView => ({ name: op.name, done: op.done, doneAt: op.doneAt, createMs: op.createMs, wire: () => operationWire(op) });
  return {
    find(name) {
      const op = runNs(core).operations[name];
      if (!op) return undefined;
      // Due but not yet fired (a timer may lag behind a manually advanced clock).
      core.settleOperation(op.name, op.doneAt);
      return view(op);
    },
    list(parent) {
      const ops = Object.values(runNs(core).operations).filter((o) => o.name.startsWith(`${parent}/operations/`));
      for (const o of ops) core.settleOperation(o.name, o.doneAt);
      return ops.map(view);
    },
    remove(name) {
      if (!runNs(core).operations[name]) return false;
      delete runNs(core).operations[name];
      return true;
    },
  };
}

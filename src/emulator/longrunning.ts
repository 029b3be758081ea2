/**
 * The one `google.longrunning.Operations` service of the emulator. Every API it emulates
 * serves its operations on the same host and port, while a gRPC server can hold a service
 * only once: so the service is registered once (by the Cloud Run module, which loads its
 * proto) and dispatches to every module's operations through `core.operationSources`.
 * Operation names of all APIs have the same shape (`projects/P/locations/L/operations/ID`,
 * IDs are UUIDs), so the source that holds a name answers for it.
 *
 * Also: `GenericOperations`, a store for modules whose operations only apply a recorded
 * outcome when due (Artifact Registry, VPC Access), persisted in the module's namespace
 * so pending operations resume after a restart.
 */
import { randomUUID } from 'node:crypto';
import type { EmulatorCore } from './core';
import { Code, EmulatorError } from './errors';
import { unary } from './grpc';
import type { OperationSource, OperationView } from './operation-source';

export type { OperationSource, OperationView } from './operation-source';

const OPERATION_NAME = /^projects\/[^/]+\/locations\/[^/]+\/operations\/[^/]+$/;
const PARENT_NAME = /^projects\/[^/]+\/locations\/[^/]+$/;

function methodMatches(pattern: string, method: string): boolean {
  if (pattern === '*') return true;
  return pattern.endsWith('*') ? method.startsWith(pattern.slice(0, -1)) : pattern === method;
}

/** The operation latency for a method: the emulator's, plus latency of matching operation fault rules. */
export function operationLatency(core: EmulatorCore, method: string): number {
  let ms = core.options.operationLatencyMs ?? 0;
  for (const rule of core.faults) {
    if (rule.operation && methodMatches(rule.method, method)) ms += (rule.latencyMs ?? 0) + (rule.jitterMs ? core.random.next() * rule.jitterMs : 0);
  }
  return ms;
}

function find(core: EmulatorCore, name: unknown): OperationView {
  if (typeof name !== 'string' || !OPERATION_NAME.test(name)) {
    throw new EmulatorError(Code.INVALID_ARGUMENT, `Violation in name: must be of the form projects/{project}/locations/{location}/operations/{operation}, got '${String(name ?? '')}'.`);
  }
  for (const source of core.operationSources) {
    const op = source.find(name);
    if (op) return op;
  }
  throw new EmulatorError(Code.NOT_FOUND, `Operation '${name}' not found.`);
}

/** Offset page tokens (`o:N`, base64url), as the Cloud Run module's lists use. */
function page<T>(items: T[], pageSize: unknown, pageToken: unknown): { page: T[]; nextPageToken: string } {
  let offset = 0;
  if (typeof pageToken === 'string' && pageToken) {
    offset = Number(Buffer.from(pageToken, 'base64url').toString('utf8').replace(/^o:/, ''));
    if (!Number.isInteger(offset) || offset < 0) throw new EmulatorError(Code.INVALID_ARGUMENT, 'Violation in ListOperationsRequest.page_token: invalid page token.');
  }
  const size = Math.min(Math.max(Number(pageSize) || 50, 1), 1000);
  const next = offset + size < items.length ? Buffer.from(`o:${offset + size}`).toString('base64url') : '';
  return { page: items.slice(offset, offset + size), nextPageToken: next };
}

/** Handlers of `google.longrunning.Operations` over every module's operations. */
export function operationsHandlers(core: EmulatorCore): Record<string, unknown> {
  return {
    GetOperation: unary(core, 'Operations.GetOperation', 'read', (req) => find(core, req.name).wire()),
    ListOperations: unary(core, 'Operations.ListOperations', 'read', (req) => {
      if (typeof req.name !== 'string' || !PARENT_NAME.test(req.name) || req.name.endsWith('/-')) {
        throw new EmulatorError(Code.INVALID_ARGUMENT, `Violation in ListOperationsRequest.name: must be of the form projects/{project}/locations/{location}, got '${String(req.name ?? '')}'.`);
      }
      const all = core.operationSources.flatMap((s) => s.list(req.name)).sort((a, b) => b.createMs - a.createMs || a.name.localeCompare(b.name));
      const { page: ops, nextPageToken } = page(all, req.pageSize, req.pageToken);
      return { operations: ops.map((o) => o.wire()), nextPageToken };
    }),
    DeleteOperation: unary(core, 'Operations.DeleteOperation', 'write', (req) => {
      const op = find(core, req.name);
      for (const source of core.operationSources) if (source.remove(op.name)) break;
      return {};
    }),
    CancelOperation: unary(core, 'Operations.CancelOperation', 'write', (req) => {
      find(core, req.name);
      throw new EmulatorError(Code.UNIMPLEMENTED, 'Operations cannot be cancelled.');
    }),
    WaitOperation: unary(core, 'Operations.WaitOperation', 'read', async (req) => {
      let op = find(core, req.name);
      if (!op.done) {
        const timeoutMs = req.timeout ? Number(req.timeout.seconds ?? 0) * 1000 + (req.timeout.nanos ?? 0) / 1e6 : 60_000;
        await core.clock.sleep(Math.max(0, Math.min(op.doneAt - core.clock.now(), timeoutMs)));
        op = find(core, op.name);
      }
      return op.wire();
    }),
  };
}

/** A packed `google.protobuf.Any` as proto-loader's serializer takes it. */
export type AnyWire = { typeUrl: string; value: Buffer };

/** A stored operation of a `GenericOperations` store. */
export interface StoredOperation {
  name: string;
  /** What completing it does (the module's completer for this kind runs). */
  kind: string;
  /** Stats name of the method that started it (fault rules with `operation: true` match it). */
  method: string;
  done: boolean;
  doneAt: number;
  createMs: number;
  /** Full type name and plain value of the metadata. */
  metadata: { type: string; value: Record<string, unknown> };
  /** Full type name and plain value of the response, once done. */
  response?: { type: string; value: Record<string, unknown> };
  error?: { code: number; message: string };
  /** What the completer needs (e.g. the resource to create). */
  data: Record<string, unknown>;
}

/** How operations of a kind complete: set `response` or `error`, and change the module's state. */
export type OperationCompleter = (op: StoredOperation) => void;

/**
 * Operations kept in a module's own state namespace: started with `start`, completed
 * after the operation latency by the completer of their kind, served through
 * `core.operationSources` (register with `register()`).
 */
export class GenericOperations implements OperationSource {
  constructor(
    private readonly core: EmulatorCore,
    /** The module's persisted map of operations by name. */
    private readonly store: () => Record<string, StoredOperation>,
    /** Pack a plain message of a full type name as an Any. */
    private readonly pack: (type: string, value: Record<string, unknown>) => AnyWire,
    private readonly completers: Record<string, OperationCompleter>,
  ) {}

  /** Serve this store's operations through the one Operations service, and resume pending ones. */
  register(): void {
    if (!this.core.operationSources.includes(this)) this.core.operationSources.push(this);
  }

  /** Re-arm operations that were pending when the state was saved. */
  resume(): void {
    const now = this.core.clock.now();
    for (const op of Object.values(this.store())) if (!op.done) this.core.scheduleOperation(op.name, () => this.finish(op.name), Math.max(0, op.doneAt - now));
  }

  /**
   * Start an operation under `parent`. Never done in its first answer: it completes
   * after the call that started it has answered, or after the operation latency.
   */
  start(parent: string, init: Pick<StoredOperation, 'kind' | 'method' | 'metadata' | 'data'>): StoredOperation {
    const now = this.core.clock.now();
    const latency = Math.max(0, operationLatency(this.core, init.method));
    const op: StoredOperation = { ...init, name: `${parent}/operations/${randomUUID()}`, done: false, doneAt: now + latency, createMs: now };
    this.store()[op.name] = op;
    this.prune();
    this.core.scheduleOperation(op.name, () => this.finish(op.name), latency);
    return op;
  }

  /** The wire form of a stored operation. */
  wire(op: StoredOperation): Record<string, unknown> {
    const wire: Record<string, unknown> = { name: op.name, done: op.done, metadata: this.pack(op.metadata.type, op.metadata.value) };
    if (op.error) wire.error = { code: op.error.code, message: op.error.message, details: [] };
    else if (op.done && op.response) wire.response = this.pack(op.response.type, op.response.value);
    return wire;
  }

  find(name: string): OperationView | undefined {
    const op = this.store()[name];
    if (!op) return undefined;
    this.core.settleOperation(op.name, op.doneAt);
    return this.view(op);
  }

  list(parent: string): OperationView[] {
    const ops = Object.values(this.store()).filter((o) => o.name.startsWith(`${parent}/operations/`));
    for (const o of ops) this.core.settleOperation(o.name, o.doneAt);
    return ops.map((o) => this.view(o));
  }

  remove(name: string): boolean {
    if (!this.store()[name]) return false;
    delete this.store()[name];
    return true;
  }

  private view(op: StoredOperation): OperationView {
    return { name: op.name, done: op.done, doneAt: op.doneAt, createMs: op.createMs, wire: () => this.wire(op) };
  }

  private finish(name: string): void {
    const op = this.store()[name];
    if (!op || op.done) return;
    this.completers[op.kind]?.(op);
    op.done = true;
  }

  /** Done operations beyond the newest 500 are forgotten. */
  private prune(): void {
    const done = Object.values(this.store()).filter((o) => o.done);
    if (done.length <= 500) return;
    done.sort((a, b) => a.createMs - b.createMs);
    for (const o of done.slice(0, done.length - 500)) delete this.store()[o.name];
  }
}

/**
 * The emulator core every API module shares: it composes the parts that each have a file
 * of their own — the simulated clock (`clock.ts`), call counters (`stats.ts`), fault,
 * latency and quota injection (`faults.ts`, drawing from `random.ts`), the persisted state
 * (`persistence.ts`) and long-running operations (`operations.ts`) — and runs every API
 * call through `call()` so they apply uniformly.
 */
import { randomBytes } from 'node:crypto';
import type { ImageAdmissionRequest, ImageDenial } from './admission';
import { OPEN_DIRECTORY, type IamDirectory } from './directory';
import type { OperationSource } from './operation-source';
import { Clock } from './clock';
import { Code, EmulatorError } from './errors';
import { FaultInjector, type FaultRule, type QuotaRule } from './faults';
import { OperationScheduler } from './operations';
import type { EmulatorOptions } from './options';
import { StateStore } from './persistence';
import { SeededRandom } from './random';
import { Stats } from './stats';

/** The emulator core shared by all API modules. */
export class EmulatorCore {
  readonly stats = new Stats();
  readonly clock: Clock;
  /** Every random choice of fault injection draws from this; its `seed` replays a run. */
  readonly random: SeededRandom;
  private readonly injector: FaultInjector;
  private readonly store: StateStore;
  private readonly operations: OperationScheduler;
  /**
   * Admission checks run by Cloud Run on every new revision (Binary Authorization
   * registers one). Each returns undefined to admit, or a denial to fail the revision.
   */
  readonly imageAdmission: Array<(req: ImageAdmissionRequest) => ImageDenial | undefined> = [];
  /**
   * Identities and project grants, filled by the IAM and Resource Manager modules and
   * consulted by the others (see `directory.ts`).
   */
  directory: IamDirectory = OPEN_DIRECTORY;
  /**
   * Every module's long-running operations, served by the one
   * `google.longrunning.Operations` service (see `longrunning.ts`).
   */
  readonly operationSources: OperationSource[] = [];
  /**
   * Run before every API call and before a long-running operation completes, so models
   * driven by simulated time (the traffic model) catch up to now with the state as it
   * was until this moment.
   */
  readonly beforeChange: Array<() => void> = [];
  /** Set by `close()`: calls are refused so nothing changes after the last write. */
  private closed = false;
  private inflight = 0;

  constructor(readonly options: EmulatorOptions = {}) {
    this.clock = new Clock(options.timeScale ?? 1);
    this.random = new SeededRandom(options.seed);
    this.injector = new FaultInjector(this.clock, this.random);
    this.store = new StateStore(options.stateDir);
    this.operations = new OperationScheduler(this.clock, () => this.runBeforeChange(), () => this.persist());
  }

  /** Fault rules in force (`/__emulator/faults`). */
  get faults(): FaultRule[] {
    return this.injector.rules;
  }
  set faults(rules: FaultRule[]) {
    this.injector.rules = rules;
  }

  /** Quota rules in force (`/__emulator/quotas`). */
  get quotas(): QuotaRule[] {
    return this.injector.quotas;
  }
  set quotas(rules: QuotaRule[]) {
    this.injector.quotas = rules;
  }

  /** Every module's state, by namespace (persisted as one JSON document). */
  get state(): Record<string, any> {
    return this.store.state;
  }

  get projectNumber(): string {
    return this.options.projectNumber ?? '123456789012';
  }

  /** A module's state namespace, created on first use. */
  ns<T extends object>(name: string, init: () => T): T {
    if (!this.state[name]) this.state[name] = init();
    return this.state[name] as T;
  }

  /**
   * Run a handler with stats, latency, quota and faults applied. Every API call of every
   * module goes through here.
   */
  async call<T>(method: string, kind: 'read' | 'write', fn: () => T | Promise<T>): Promise<T> {
    this.stats.record(method, kind);
    const latency = (this.options.latencyMs ?? 0) + this.injector.latencyOf(method);
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    if (this.closed) throw new EmulatorError(Code.UNAVAILABLE, 'The emulator is shutting down.');
    this.inflight++;
    try {
      this.injector.checkQuota(method, kind);
      const fault = this.injector.take(method, false);
      if (fault) throw fault;
      this.runBeforeChange();
      const result = await fn();
      if (kind === 'write') {
        // Durable before acknowledged: a write is answered once the state holding it is
        // on disk, so a process that dies right after (kill -9) loses no answered write.
        this.persist();
        await this.durable();
      }
      return result;
    } finally {
      this.inflight--;
    }
  }

  /**
   * Refuse new calls (UNAVAILABLE), wait (up to `graceMs`) for those in flight, and
   * write the state: after this nothing in memory differs from the disk.
   */
  async close(graceMs = 5000): Promise<void> {
    this.closed = true;
    // Finishing pending operations first wakes calls that wait on them (WaitOperation).
    this.settleAll();
    const until = Date.now() + graceMs;
    while (this.inflight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    this.settleAll();
    await this.flush();
  }

  /** If a fault rule fires for this method, return the error (and consume one `times`). */
  takeFault(method: string, operation: boolean): EmulatorError | undefined {
    return this.injector.take(method, operation);
  }

  private runBeforeChange(): void {
    for (const hook of this.beforeChange) hook();
  }

  /** A short random suffix of lowercase letters and digits (revision names, ids). */
  randomSuffix(n = 3): string {
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
    const bytes = randomBytes(n);
    return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
  }

  /** A fresh etag / fingerprint. */
  newEtag(): string {
    return randomBytes(12).toString('base64url');
  }

  /** ISO timestamp of the simulated clock. */
  nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  /**
   * Schedule completion of a long-running operation after the operation latency
   * (simulated). `complete` mutates state; it runs at most once, on time or when the
   * operation is next read after it is due.
   */
  scheduleOperation(id: string, complete: () => void, latencyMs = this.options.operationLatencyMs ?? 0): { doneAt: number } {
    return this.operations.schedule(id, complete, latencyMs);
  }

  /** Complete an operation now if it is due (called when an operation is read). */
  settleOperation(id: string, doneAt: number): void {
    this.operations.settle(id, doneAt);
  }

  /** Complete every pending operation (shutdown). */
  settleAll(): void {
    this.operations.settleAll();
  }

  /** Persist the state (group commit; see `persistence.ts`). */
  persist(): void {
    this.store.persist();
  }

  /** Resolve once every change persisted so far is on disk. */
  durable(): Promise<void> {
    return this.store.durable();
  }

  /** Write the state now and wait for it. */
  flush(): Promise<void> {
    return this.store.flush();
  }
}

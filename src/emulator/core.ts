/**
 * The emulator's shared machinery: state (persisted atomically), call counters,
 * the simulated clock, fault and latency injection, and long-running operations.
 * API modules (Cloud Run, Compute, ...) own a namespace of the state each and call
 * `core.call()` around every handler so stats, latency and faults apply uniformly.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { SeededRandom } from './random';

/** Options shared by every module. */
export interface EmulatorOptions {
  /** Host to bind. Loopback only. @default '127.0.0.1' */
  host?: string;
  /** gRPC port; HTTP is port+1. 0 picks a free pair. @default 0 */
  port?: number;
  /** Directory for persisted state; undefined keeps state in memory. */
  stateDir?: string;
  /** Latency added to every call, ms. @default 0 */
  latencyMs?: number;
  /** Time until a long-running operation is done, ms (simulated). @default 0 */
  operationLatencyMs?: number;
  /** Simulated seconds per real second. @default 1 */
  timeScale?: number;
  /** Requests per second the traffic model sends each public service. @default 50 */
  trafficRps?: number;
  /** Images that carry a Binary Authorization attestation. */
  attested?: string[];
  /** Project number reported for projects (emulator-wide). @default 123456789012 */
  projectNumber?: string;
  /**
   * Seed of the random source behind fault injection (rates, jitter): the same seed and
   * the same sequence of calls make the same choices. An integer in [0, 2^32).
   * @default a fresh random seed (see `EmulatorCore.random.seed`)
   */
  seed?: number;
}

/** An error the emulator returns; each transport renders it in its wire format. */
export class EmulatorError extends Error {
  constructor(
    /** gRPC status code (google.rpc.Code). */
    readonly grpcCode: number,
    message: string,
    /** Compute-style reason (`notFound`, `alreadyExists`, `conditionNotMet`, ...). */
    readonly reason?: string,
    /** Seconds for a Retry-After header (quota errors). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** google.rpc.Code values used by the emulator. */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

const CODE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(Code).map(([k, v]) => [v, k]));

/** The canonical status name for a code, e.g. `NOT_FOUND`. */
export function codeName(code: number): string {
  return CODE_NAMES[code] ?? 'UNKNOWN';
}

/** HTTP status for a gRPC code (google.rpc mapping). */
export function httpStatusOf(code: number): number {
  switch (code) {
    case Code.OK: return 200;
    case Code.INVALID_ARGUMENT: case Code.OUT_OF_RANGE: return 400;
    case Code.FAILED_PRECONDITION: return 400;
    case Code.PERMISSION_DENIED: return 403;
    case Code.NOT_FOUND: return 404;
    case Code.ALREADY_EXISTS: case Code.ABORTED: return 409;
    case Code.RESOURCE_EXHAUSTED: return 429;
    case Code.CANCELLED: return 499;
    case Code.UNIMPLEMENTED: return 501;
    case Code.UNAVAILABLE: return 503;
    case Code.DEADLINE_EXCEEDED: return 504;
    default: return 500;
  }
}

/** gRPC code for an HTTP status or a code given either way (fault injection accepts both). */
export function grpcCodeOf(codeOrStatus: number | string): number {
  if (typeof codeOrStatus === 'string') {
    const byName = (Code as Record<string, number>)[codeOrStatus.toUpperCase()];
    if (byName !== undefined) return byName;
    codeOrStatus = Number(codeOrStatus);
  }
  if (codeOrStatus < 100) return codeOrStatus;
  switch (codeOrStatus) {
    case 400: return Code.INVALID_ARGUMENT;
    case 403: return Code.PERMISSION_DENIED;
    case 404: return Code.NOT_FOUND;
    case 409: return Code.ABORTED;
    case 412: return Code.FAILED_PRECONDITION;
    case 429: return Code.RESOURCE_EXHAUSTED;
    case 503: return Code.UNAVAILABLE;
    case 504: return Code.DEADLINE_EXCEEDED;
    default: return Code.INTERNAL;
  }
}

/** Simulated clock: real time scaled by `timeScale`, plus manual advances. */
export class Clock {
  private readonly realStart = Date.now();
  private readonly simStart: number;
  private offsetMs = 0;
  private waiters: Array<{ at: number; resolve: () => void }> = [];

  constructor(public timeScale = 1, simStart = Date.now()) {
    this.simStart = simStart;
  }

  /** Current simulated time in ms since the epoch. */
  now(): number {
    return this.simStart + (Date.now() - this.realStart) * this.timeScale + this.offsetMs;
  }

  /** Advance simulated time (tests, `/__emulator/clock/advance`). */
  advance(ms: number): void {
    this.offsetMs += ms;
    this.wake();
  }

  /** Resolve after `ms` of simulated time. */
  sleep(ms: number): Promise<void> {
    const at = this.now() + ms;
    return new Promise((resolve) => {
      const w = { at, resolve };
      this.waiters.push(w);
      const realMs = Math.max(0, ms / Math.max(this.timeScale, 1e-9));
      setTimeout(() => this.wake(), Math.min(realMs + 1, 2 ** 31 - 1)).unref?.();
    });
  }

  private wake(): void {
    const now = this.now();
    const due = this.waiters.filter((w) => w.at <= now);
    this.waiters = this.waiters.filter((w) => w.at > now);
    for (const w of due) w.resolve();
  }
}

/** What `GET /__emulator/stats` answers: reads, writes and calls per method since the last reset. */
export interface StatsSnapshot {
  reads: number;
  writes: number;
  /** Calls per method name, e.g. `Services.CreateService`. */
  calls: Record<string, number>;
}

/** Counters exposed at `/__emulator/stats`. */
export class Stats {
  reads = 0;
  writes = 0;
  calls: Record<string, number> = {};

  record(method: string, kind: 'read' | 'write'): void {
    if (kind === 'read') this.reads++;
    else this.writes++;
    this.calls[method] = (this.calls[method] ?? 0) + 1;
  }

  reset(): void {
    this.reads = 0;
    this.writes = 0;
    this.calls = {};
  }

  toJSON(): StatsSnapshot {
    return { reads: this.reads, writes: this.writes, calls: { ...this.calls } };
  }
}

/** A fault rule: matching calls fail with `code`, for `times` calls or at `rate`. */
export interface FaultRule {
  /** Method name (`Services.CreateService`) or prefix ending in `*` (`TargetHttpsProxies.*`), or `*`. */
  method: string;
  /** gRPC code, HTTP status, or code name. */
  code: number | string;
  /** Fail this many matching calls, then stop. Unset: no count limit. */
  times?: number;
  /** Probability (0..1) that a matching call fails. @default 1 */
  rate?: number;
  /** Message of the injected error. */
  message?: string;
  /** Added latency for matching calls, ms (with code 0 / OK: latency only). */
  latencyMs?: number;
  /** Random extra latency up to this many ms. */
  jitterMs?: number;
  /** Apply to long-running operations' outcome instead of the call itself. */
  operation?: boolean;
}

/** What Cloud Run asks admission checks about a new revision. */
export interface ImageAdmissionRequest {
  project: string;
  region: string;
  service: string;
  /** Every container image of the revision. */
  images: string[];
  /** The service's `binaryAuthorization` field as sent (`{useDefault, policy, breakglassJustification}`). */
  binaryAuthorization?: { useDefault?: boolean; policy?: string; breakglassJustification?: string };
}

/** A denial: Cloud Run fails the revision with this condition reason and message. */
export interface ImageDenial {
  /** e.g. `CONTAINER_IMAGE_UNAUTHORIZED`. */
  reason: string;
  message: string;
}

/** Requests-per-minute quota per method group, answered with RESOURCE_EXHAUSTED when exceeded. */
export interface QuotaRule {
  /** Method prefix, e.g. `Services.` for the Cloud Run Admin API, with `kind` read or write. */
  group: string;
  kind?: 'read' | 'write';
  perMinute: number;
}

function matches(pattern: string, method: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return method.startsWith(pattern.slice(0, -1));
  return pattern === method;
}

/** The emulator core shared by all API modules. */
export class EmulatorCore {
  readonly stats = new Stats();
  readonly clock: Clock;
  /** Every random choice of fault injection draws from this; its `seed` replays a run. */
  readonly random: SeededRandom;
  faults: FaultRule[] = [];
  quotas: QuotaRule[] = [];
  private quotaWindows = new Map<string, number[]>();
  state: Record<string, any> = {};
  /**
   * Admission checks run by Cloud Run on every new revision (Binary Authorization
   * registers one). Each returns undefined to admit, or a denial to fail the revision.
   */
  readonly imageAdmission: Array<(req: ImageAdmissionRequest) => ImageDenial | undefined> = [];
  /**
   * Run before every API call and before a long-running operation completes, so models
   * driven by simulated time (the traffic model) catch up to now with the state as it
   * was until this moment.
   */
  readonly beforeChange: Array<() => void> = [];
  /** Bumped by every change to persist; `written` is the newest version on disk. */
  private version = 0;
  private written = 0;
  private writing: Promise<void> | undefined;
  private durableWaiters: Array<{ version: number; resolve: () => void; reject: (e: unknown) => void }> = [];
  /** Set by `close()`: calls are refused so nothing changes after the last write. */
  private closed = false;
  private inflight = 0;
  private readonly opCompleters = new Map<string, () => void>();

  constructor(readonly options: EmulatorOptions = {}) {
    this.clock = new Clock(options.timeScale ?? 1);
    this.random = new SeededRandom(options.seed);
    this.load();
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
    let latency = this.options.latencyMs ?? 0;
    for (const rule of this.faults) {
      if (rule.operation || !matches(rule.method, method)) continue;
      if (rule.latencyMs) latency += rule.latencyMs;
      if (rule.jitterMs) latency += this.random.next() * rule.jitterMs;
    }
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    if (this.closed) throw new EmulatorError(Code.UNAVAILABLE, 'The emulator is shutting down.');
    this.inflight++;
    try {
      this.checkQuota(method, kind);
      const fault = this.takeFault(method, false);
      if (fault) throw fault;
      for (const hook of this.beforeChange) hook();
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
    for (const rule of this.faults) {
      if (!!rule.operation !== operation || !matches(rule.method, method)) continue;
      const code = grpcCodeOf(rule.code);
      if (code === Code.OK) continue;
      if (rule.times !== undefined && rule.times <= 0) continue;
      if (rule.rate !== undefined && this.random.next() >= rule.rate) continue;
      if (rule.times !== undefined) rule.times--;
      return new EmulatorError(code, rule.message ?? `Injected fault: ${codeName(code)} on ${method}`, undefined, code === Code.RESOURCE_EXHAUSTED ? 1 : undefined);
    }
    return undefined;
  }

  private checkQuota(method: string, kind: 'read' | 'write'): void {
    for (const q of this.quotas) {
      if (!method.startsWith(q.group) || (q.kind && q.kind !== kind)) continue;
      const key = `${q.group}:${q.kind ?? '*'}`;
      const now = this.clock.now();
      const win = (this.quotaWindows.get(key) ?? []).filter((t) => t > now - 60_000);
      if (win.length >= q.perMinute) {
        this.quotaWindows.set(key, win);
        const retryAfter = Math.max(1, Math.ceil((win[0] + 60_000 - now) / 1000 / this.clock.timeScale));
        throw new EmulatorError(
          Code.RESOURCE_EXHAUSTED,
          `Quota exceeded for quota metric '${kind === 'read' ? 'Read' : 'Write'} requests' and limit '${kind === 'read' ? 'Read' : 'Write'} requests per minute per region' of service '${q.group}'`,
          'rateLimitExceeded',
          retryAfter,
        );
      }
      win.push(now);
      this.quotaWindows.set(key, win);
    }
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
    const doneAt = this.clock.now() + latencyMs;
    let ran = false;
    const run = () => {
      if (ran) return;
      ran = true;
      this.opCompleters.delete(id);
      for (const hook of this.beforeChange) hook();
      complete();
      this.persist();
    };
    this.opCompleters.set(id, run);
    if (latencyMs <= 0) queueMicrotask(run);
    else void this.clock.sleep(latencyMs).then(run);
    return { doneAt };
  }

  /** Complete an operation now if it is due (called when an operation is read). */
  settleOperation(id: string, doneAt: number): void {
    if (this.clock.now() >= doneAt) this.opCompleters.get(id)?.();
  }

  /** Complete every pending operation (shutdown, state reload). */
  settleAll(): void {
    for (const run of [...this.opCompleters.values()]) run();
  }

  private statePath(): string | undefined {
    return this.options.stateDir ? path.join(this.options.stateDir, 'state.json') : undefined;
  }

  private load(): void {
    const file = this.statePath();
    if (!file || !fs.existsSync(file)) return;
    try {
      this.state = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`emulator state ${file} is not valid JSON: ${(err as Error).message}`);
    }
  }

  /**
   * Persist the state: written at once, or right after the write in progress (group
   * commit: changes made meanwhile share the next write). Writes go to a temp file, then
   * rename: atomic.
   */
  persist(): void {
    if (!this.statePath()) return;
    this.version++;
    this.kick();
  }

  /** Resolve once every change persisted so far is on disk. */
  durable(): Promise<void> {
    if (!this.statePath() || this.written >= this.version) return Promise.resolve();
    const version = this.version;
    return new Promise((resolve, reject) => this.durableWaiters.push({ version, resolve, reject }));
  }

  /** Write state now and wait for it. */
  async flush(): Promise<void> {
    if (!this.statePath()) return;
    this.version++;
    this.kick();
    await this.durable();
  }

  private kick(): void {
    if (this.writing || this.written >= this.version) return;
    const version = this.version;
    this.writing = this.writeState().then(
      () => {
        this.written = Math.max(this.written, version);
        this.settleWaiters((w) => w.version <= this.written, undefined);
      },
      (err) => this.settleWaiters((w) => w.version <= version, err),
    );
    void this.writing.finally(() => {
      this.writing = undefined;
      this.kick();
    });
  }

  private settleWaiters(done: (w: { version: number }) => boolean, err: unknown): void {
    const ready = this.durableWaiters.filter(done);
    this.durableWaiters = this.durableWaiters.filter((w) => !done(w));
    for (const w of ready) (err === undefined ? w.resolve() : w.reject(err));
  }

  private async writeState(): Promise<void> {
    const file = this.statePath();
    if (!file) return;
    // The state holds environment values: private to the user (0600 in a 0700 directory).
    const text = JSON.stringify(this.state);
    await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await fs.promises.writeFile(tmp, text, { mode: 0o600 });
    await fs.promises.rename(tmp, file);
  }
}

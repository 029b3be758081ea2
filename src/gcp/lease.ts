/**
 * A controller lease kept in a Cloud Storage object, the way Terraform's GCS backend
 * keeps its state lock: the object is created with `ifGenerationMatch: 0` (exactly one
 * contender creates it), renewed by rewriting it with `ifGenerationMatch: <its
 * generation>` every ttl/3, released by deleting it with the same precondition, and
 * taken over once its `expires` has passed, again with the generation precondition, so
 * of two contenders for a stale lease exactly one wins.
 *
 * The object holds JSON: `{holder, pid, since, expires, set, project, command, ttlSeconds,
 * token}`. `token` tells this holder's writes from anyone else's: a write whose answer
 * was lost and that a retry then reports as 412 is recognised as ours.
 */
import * as os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Storage } from '@google-cloud/storage';
import { RunctlError } from '../util/types';
import { apiError } from './errors';

/** What the lease object holds. */
export interface LeaseRecord {
  /** Host name of the holder. */
  holder: string;
  pid: number;
  /** When this holder took the lease (ISO). */
  since: string;
  /** Until when the lease holds without a renewal (ISO, the holder's clock). */
  expires: string;
  set: string;
  project: string;
  /** The verb holding it (`watch`, `sync`, `apply`). */
  command?: string;
  ttlSeconds?: number;
  token?: string;
}

export interface LeaseOptions {
  /** `gs://BUCKET/PATH`. */
  url: string;
  /** How long the lease holds without a renewal. @default 30000 */
  ttlMs?: number;
  set: string;
  project: string;
  command: string;
  /** @default Date.now */
  now?: () => number;
}

/** `gs://BUCKET/PATH` → bucket and object name. */
export function parseLeaseUrl(url: string): { bucket: string; object: string } {
  const m = /^gs:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!m) throw new RunctlError('Usage', `--lease: not a Cloud Storage object URL: ${url} (use gs://BUCKET/PATH)`, { source: 'user' });
  return { bucket: m[1], object: m[2] };
}

/** "host H, pid P, since S" for messages. */
export function describeHolder(r: LeaseRecord): string {
  return `${r.command ? `${r.command} on ` : ''}host ${r.holder}, pid ${r.pid}, since ${r.since}`;
}

const status = (err: unknown) => apiError(err).httpStatus ?? (err as { code?: unknown })?.code;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** One contender for (and perhaps the holder of) a lease. */
export class Lease {
  readonly ttlMs: number;
  private readonly token = randomBytes(8).toString('hex');
  private readonly loc: { bucket: string; object: string };
  private generation: string | undefined;
  private since = '';
  private expiresAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private lostReason: string | undefined;
  private readonly now: () => number;

  /** `storage`: the client, or a function returning the current one (an embedded target may rebuild it). */
  constructor(private readonly storage: Storage | (() => Storage), private readonly opts: LeaseOptions) {
    this.loc = parseLeaseUrl(opts.url);
    this.ttlMs = opts.ttlMs ?? 30_000;
    this.now = opts.now ?? Date.now;
  }

  /** Whether this process holds the lease now. */
  get held(): boolean {
    return this.generation !== undefined && this.lostReason === undefined;
  }

  /** The write fence: throws unless the lease is held. */
  check(): void {
    if (!this.held) throw new RunctlError('LeaseLost', `not writing: the lease ${this.opts.url} is not held${this.lostReason ? ` (${this.lostReason})` : ''}`);
  }

  private file(generation?: string) {
    const storage = typeof this.storage === 'function' ? this.storage() : this.storage;
    return storage.bucket(this.loc.bucket).file(this.loc.object, generation ? { generation } : {});
  }

  private record(): LeaseRecord {
    return {
      holder: os.hostname(),
      pid: process.pid,
      since: this.since,
      expires: new Date(this.now() + this.ttlMs).toISOString(),
      set: this.opts.set,
      project: this.opts.project,
      command: this.opts.command,
      ttlSeconds: this.ttlMs / 1000,
      token: this.token,
    };
  }

  /** Write the record if the object is at `generation` ('0': absent); the new generation. */
  private async write(generation: string): Promise<string> {
    const f = this.file();
    const rec = this.record();
    await f.save(JSON.stringify(rec), { resumable: false, contentType: 'application/json', preconditionOpts: { ifGenerationMatch: Number(generation) } });
    this.expiresAt = Date.parse(rec.expires);
    return String(f.metadata.generation);
  }

  /** The live object: its generation and record (undefined when there is none). */
  private async read(): Promise<{ generation: string; record: LeaseRecord | undefined; updated: number } | undefined> {
    try {
      const [meta] = await this.file().getMetadata();
      const generation = String(meta.generation);
      const [bytes] = await this.file(generation).download();
      let record: LeaseRecord | undefined;
      try {
        record = JSON.parse(bytes.toString('utf8'));
      } catch {
        record = undefined;
      }
      return { generation, record, updated: Date.parse(String(meta.updated)) };
    } catch (err) {
      if (status(err) === 404) return undefined;
      throw err;
    }
  }

  /**
   * Take the lease, waiting while someone else holds it. `onWait` is told the holder
   * (once per holder). Throws `LeaseHeld` after `timeoutMs` (0: one try), `Aborted` when
   * the signal aborts. Nothing but the lease object is written while waiting.
   */
  async acquire(o: { signal?: AbortSignal; timeoutMs?: number; onWait?: (holder: LeaseRecord) => void; onTakeover?: (from: LeaseRecord) => void } = {}): Promise<void> {
    const deadline = o.timeoutMs === undefined ? Infinity : this.now() + o.timeoutMs;
    let told = '';
    this.since = new Date(this.now()).toISOString();
    // Not held until a write below succeeds (a lease lost before stays lost meanwhile).
    this.generation = undefined;
    this.lostReason = undefined;
    for (;;) {
      if (o.signal?.aborted) throw new RunctlError('Aborted', 'stopped while waiting for the lease');
      if (await this.tryWrite('0')) return;
      const cur = await this.read();
      if (!cur) continue;
      if (cur.record?.token === this.token) {
        // Our own create, answered 412 on a retry after its first answer was lost.
        this.generation = cur.generation;
        return;
      }
      const expires = cur.record ? Date.parse(cur.record.expires) : cur.updated + this.ttlMs;
      if (!(expires > this.now())) {
        if (await this.tryWrite(cur.generation)) {
          if (cur.record) o.onTakeover?.(cur.record);
          return;
        }
        continue;
      }
      const holder = cur.record ?? { holder: 'unknown', pid: 0, since: new Date(cur.updated).toISOString(), expires: new Date(expires).toISOString(), set: '', project: '' };
      if (this.now() >= deadline) {
        throw new RunctlError('LeaseHeld', `the lease ${this.opts.url} is held by ${describeHolder(holder)} (expires ${holder.expires} unless renewed)`, { source: 'user' });
      }
      const who = `${holder.holder}/${holder.pid}/${holder.since}`;
      if (who !== told) {
        told = who;
        o.onWait?.(holder);
      }
      // Look again when it would expire unrenewed, and at least every ttl/3.
      await sleep(Math.max(50, Math.min(expires - this.now() + 10, this.ttlMs / 3, deadline - this.now())), o.signal);
    }
  }

  private async tryWrite(generation: string): Promise<boolean> {
    try {
      this.generation = await this.write(generation);
      return true;
    } catch (err) {
      if (status(err) === 412) return false;
      throw err;
    }
  }

  /**
   * Renew every ttl/3 until released. `onLost` is called once when the lease is lost: a
   * renewal met another writer's generation (412), or renewals failed until the lease
   * would expire.
   */
  keep(onLost: (reason: string) => void): void {
    const every = Math.max(20, Math.floor(this.ttlMs / 3));
    const tick = async () => {
      this.timer = undefined;
      if (!this.held) return;
      let next = every;
      try {
        this.generation = await this.write(this.generation!);
      } catch (err) {
        if (status(err) === 412) {
          const cur = await this.read().catch(() => undefined);
          if (cur?.record?.token === this.token) this.generation = cur.generation;
          else return this.lose(`taken by ${cur?.record ? describeHolder(cur.record) : 'another writer'}`, onLost);
        } else if (this.now() >= this.expiresAt - every / 2) {
          return this.lose(`cannot renew it before it expires: ${apiError(err).message}`, onLost);
        } else next = Math.max(20, Math.floor(every / 3));
      }
      if (this.held) this.schedule(next);
    };
    const run = () => {
      this.renewing = tick().finally(() => (this.renewing = undefined));
    };
    this.timer = setTimeout(run, every);
    this.schedule = (ms) => (this.timer = setTimeout(run, ms));
  }

  private schedule: (ms: number) => void = () => undefined;

  private lose(reason: string, onLost: (reason: string) => void): void {
    if (this.lostReason) return;
    this.lostReason = reason;
    this.stop();
    onLost(reason);
  }

  private stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Stop renewing and delete the object if it is still ours. */
  async release(): Promise<void> {
    this.stop();
    await this.renewing;
    this.stop();
    const generation = this.generation;
    const wasHeld = this.held;
    this.generation = undefined;
    if (!wasHeld || !generation) return;
    try {
      await this.file().delete({ ifGenerationMatch: Number(generation) });
    } catch (err) {
      if (status(err) !== 404 && status(err) !== 412) throw err;
    }
  }
}

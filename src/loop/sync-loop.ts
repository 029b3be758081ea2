/**
 * `runctl sync`: follow a Git ref and apply the manifests under a directory at each new
 * commit. A commit applies whole or not at all: invalid manifests, a missing directory,
 * a blocked resource or a failed read while planning reject it before anything is
 * written, and the last good commit stays in force (and keeps being resynced).
 *
 * Where the applied commit is recorded: on the live resources themselves, as the labels
 * `runctl-commit: <sha>` and `runctl-applied: <unix seconds>`, written only on the
 * resources a commit creates or updates (never a reason to update on their own, so a
 * commit that changes one Service writes one Service). The commit in force is the one
 * on the most recently applied resource. A restarted controller reads it back with one
 * list call per kind, needs no local files, and — because every pass is a plan against
 * live state — makes zero writes when the repository did not move.
 */
import type { Identity } from '../engine/controller';
import { formatDiagnostic, type Manifest } from '../engine/types';
import { parseManifestBytes, type LoadResult } from '../load/loader';
import { Backoff, type BackoffOptions } from './backoff';
import { affectedKeys } from './changes';
import { GitSource } from './git';
import { findRecordedCommit, LABEL_APPLIED, LABEL_COMMIT, type RecordedCommit } from './recorded-commit';
import { runPass, type LoopEnv } from './pass';
import { Scheduler, type Work } from './scheduler';
import { settlePass } from './settle';
import type { LoopStatus } from './status';
import { checkLoaded } from '../lib/manifests';

export interface SyncOptions {
  env: LoopEnv & { signal: AbortSignal };
  status: LoopStatus;
  repo: string;
  ref: string;
  /** Directory of manifests inside the repository. */
  dir: string;
  cwd: string;
  /** Environment for git (credentials helpers, GIT_SSH_COMMAND). */
  processEnv?: NodeJS.ProcessEnv;
  /** How often to fetch the ref. */
  intervalMs: number;
  /** Full re-read and drift correction period. */
  resyncMs: number;
  prune?: boolean;
  backoff?: BackoffOptions;
  graceMs?: number;
}

/** How far back a restarted controller looks for a valid commit when the head is invalid. */
const HISTORY_DEPTH = 20;
/** Backoff key of a resync that failed as a whole. */
const WHOLE_PASS = '(pass)';
/** Backoff key of the target itself (credentials, an emulator that is not running). */
const TARGET = '(target)';

type Loaded = { ok: true; manifests: Manifest[] } | { ok: false; reason: string; diagnostics: string[]; parsed: Manifest[] };

interface Rejected {
  sha: string;
  /** Retry the same commit after this time (plan failures); never for invalid content. */
  retryAt?: number;
}

export class SyncLoop {
  /** The commit in force and its manifests. */
  current: { sha: string; manifests: Manifest[]; appliedAt: number } | undefined;
  readonly scheduler: Scheduler;
  readonly git: GitSource;
  private readonly backoff: Backoff;
  private readonly former = new Map<string, Identity>();
  private rejected: Rejected | undefined;
  private started = false;
  private resumed = false;

  constructor(private readonly opts: SyncOptions) {
    this.backoff = new Backoff(opts.backoff);
    this.git = new GitSource({ repo: opts.repo, cwd: opts.cwd, env: opts.processEnv, signal: opts.env.signal });
    this.scheduler = new Scheduler({
      signal: opts.env.signal,
      handle: (w) => this.handle(w),
      onError: (err) => opts.env.log.error({ error: (err as Error).message }, `sync pass failed; retrying at the next interval: ${(err as Error).message}`),
      graceMs: opts.graceMs,
    });
  }

  /** Run until the signal aborts. Resolves false when a pass in flight was abandoned. */
  async run(): Promise<boolean> {
    await this.git.open();
    try {
      const { env } = this.opts;
      env.log.info({ repo: this.git.display, ref: this.opts.ref, path: this.opts.dir, intervalMs: this.opts.intervalMs }, `syncing ${this.git.display} ${this.opts.ref}:${this.opts.dir}`);
      this.opts.status.waiting('the first commit has not been applied yet');
      this.scheduler.request({ reload: true, full: true }, 'initial');
      this.scheduler.every(this.opts.intervalMs, () => this.scheduler.request({ reload: true }, 'commit'));
      this.scheduler.every(this.opts.resyncMs, () => this.scheduler.request({ reload: true, full: true }, 'resync'));
      return await this.scheduler.run();
    } finally {
      await this.git.close();
    }
  }

  private get books() {
    return { env: this.opts.env, status: this.opts.status, scheduler: this.scheduler, backoff: this.backoff, former: this.former };
  }

  private async handle(work: Work): Promise<void> {
    if (!(await this.targetReady())) return;
    const first = !this.started;
    this.started = true;
    let applied = false;
    let restored = false;
    if (work.reload) {
      const head = await this.fetchHead();
      if (head && this.shouldTry(head, work)) {
        const loaded = await this.load(head);
        // Once, at the first commit read (even when the first fetches failed).
        if (!this.resumed) {
          this.resumed = true;
          restored = await this.resume(head, loaded);
        }
        applied = loaded.ok ? await this.applyCommit(head, loaded.manifests) : (this.reject(head, loaded.reason, loaded.diagnostics), false);
      }
    }
    if (!this.current) return;
    // A new commit was just planned whole; otherwise resync (all) or retry (some keys).
    if (applied) return;
    if (work.full || restored) await this.pass(undefined, first || restored ? 'initial' : 'resync');
    else if (work.keys.size) await this.pass(affectedKeys(this.current.manifests, work.keys), 'retry');
  }

  /**
   * No credentials, or an emulator that is not running, is no fault of a commit: say so
   * in one line, and try again with backoff (not at the next interval) without
   * rejecting anything.
   */
  private async targetReady(): Promise<boolean> {
    try {
      await this.opts.env.target.clients.preflight();
    } catch (err) {
      const ms = this.backoff.fail(TARGET);
      this.scheduler.retryAfter(TARGET, ms, { reload: true, full: true });
      if (!this.current) this.opts.status.waiting(`the target is not usable: ${(err as Error).message}`);
      this.opts.env.log.error({ error: (err as Error).message, retryInMs: ms }, `${(err as Error).message}; retrying in ${(ms / 1000).toFixed(1)}s`);
      return false;
    }
    this.backoff.succeed(TARGET);
    return true;
  }

  private async fetchHead(): Promise<string | undefined> {
    try {
      return await this.git.fetch(this.opts.ref);
    } catch (err) {
      this.opts.env.log.error({ repo: this.git.display, ref: this.opts.ref, error: (err as Error).message }, `cannot fetch ${this.opts.ref}: ${(err as Error).message}`);
      if (!this.current) this.opts.status.waiting(`cannot fetch ${this.opts.ref} from ${this.git.display}`);
      return undefined;
    }
  }

  /** A commit is tried when it is new, or when its rejection was a plan failure whose backoff ran out. */
  private shouldTry(sha: string, work: Work): boolean {
    if (this.current?.sha === sha) return false;
    const r = this.rejected;
    if (!r || r.sha !== sha) return true;
    return r.retryAt !== undefined && (Date.now() >= r.retryAt || work.full);
  }

  /** Read and validate the manifests under the directory at `sha`. */
  private async load(sha: string): Promise<Loaded> {
    let files;
    try {
      files = await this.git.files(sha, this.opts.dir);
    } catch (err) {
      // The commit is fetched: what cannot be read from it (an oversized file) stays unreadable.
      return { ok: false, reason: (err as Error).message, diagnostics: [], parsed: [] };
    }
    if (!files) return { ok: false, reason: `${this.opts.dir} does not exist in the commit`, diagnostics: [], parsed: [] };
    const loaded: LoadResult = { resources: [], diagnostics: [] };
    for (const f of files) {
      const r = parseManifestBytes(f.bytes, f.path);
      loaded.resources.push(...r.resources);
      loaded.diagnostics.push(...r.diagnostics);
    }
    const checked = checkLoaded(loaded, { flags: this.opts.env.target.info.flags });
    if (!checked.diagnostics.length) return { ok: true, manifests: checked.manifests };
    const n = checked.diagnostics.length;
    return { ok: false, reason: `${n} problem${n === 1 ? '' : 's'} in the manifests`, diagnostics: checked.diagnostics.map(formatDiagnostic), parsed: checked.manifests };
  }

  /**
   * After a (re)start: find the commit recorded on the live resources. When the ref's
   * head cannot be applied, that commit is fetched again and stays in force.
   */
  private async resume(head: string, loaded: Loaded): Promise<boolean> {
    const { env } = this.opts;
    // The manifests say where (projects, regions) to look for the record; when the head
    // does not validate, the newest valid commit before it says it instead.
    const hint = loaded.ok ? loaded.manifests : [...loaded.parsed, ...(await this.lastValidBefore(head))];
    const recorded = await findRecordedCommit(env, hint).catch((err) => {
      env.log.warn({ error: (err as Error).message }, `cannot read the recorded commit: ${(err as Error).message}`);
      return undefined;
    });
    if (!recorded) {
      env.log.info('no commit recorded on live resources: first sync of this set');
      return false;
    }
    env.log.info({ commit: recorded.sha, resources: recorded.resources }, `last applied commit ${recorded.sha} (recorded on ${recorded.resources} live resource${recorded.resources === 1 ? '' : 's'})`);
    if (loaded.ok || recorded.sha === head) return false;
    return this.restore(recorded);
  }

  /** The manifests of the newest valid commit among the head's recent ancestors. */
  private async lastValidBefore(head: string): Promise<Manifest[]> {
    const shas = await this.git.history(this.opts.ref, HISTORY_DEPTH).catch(() => [] as string[]);
    for (const sha of shas) {
      if (sha === head) continue;
      const l = await this.load(sha).catch(() => undefined);
      if (l?.ok) return l.manifests;
    }
    return [];
  }

  /** Put the recorded commit back in force (without writing) while the head is rejected. */
  private async restore(recorded: RecordedCommit): Promise<boolean> {
    const { env } = this.opts;
    const ok = await this.git.fetchCommit(recorded.sha);
    const loaded = ok ? await this.load(recorded.sha) : undefined;
    if (!loaded?.ok) {
      env.log.warn({ commit: recorded.sha }, `cannot load the recorded commit ${recorded.sha} from the repository; nothing is applied until ${this.opts.ref} moves to a valid commit`);
      return false;
    }
    this.current = { sha: recorded.sha, manifests: loaded.manifests, appliedAt: recorded.appliedAt };
    env.metrics.setCommit(recorded.sha, recorded.appliedAt);
    return true;
  }

  /** Plan the commit whole; reject it before any write when that fails. True when applied. */
  private async applyCommit(sha: string, manifests: Manifest[]): Promise<boolean> {
    const { env } = this.opts;
    const info = await this.git.info(sha).catch(() => undefined);
    env.log.info({ commit: sha, author: info?.author, subject: info?.subject }, `applying commit ${sha}${info?.subject ? ` (${info.subject})` : ''}`);
    const appliedAt = Math.floor(Date.now() / 1000);
    let result;
    try {
      result = await runPass(env, {
        manifests,
        prune: this.opts.prune,
        stamp: { [LABEL_COMMIT]: sha, [LABEL_APPLIED]: String(appliedAt) },
        trigger: 'commit',
        atomic: true,
        former: this.former,
        fields: { commit: sha },
      });
    } catch (err) {
      // Nothing was written: the plan failed. Worth another try later (a read may have failed).
      this.reject(sha, `the plan failed: ${(err as Error).message}`, [], this.backoff.fail(`commit:${sha}`));
      return false;
    }
    this.backoff.succeed(`commit:${sha}`);
    this.rejected = undefined;
    this.current = { sha, manifests, appliedAt };
    env.metrics.setCommit(sha, appliedAt);
    settlePass(this.books, result, manifests);
    env.log.info({ commit: sha, writes: result.writes, failed: result.failed.length }, `commit ${sha} applied${result.failed.length ? ` with ${result.failed.length} resource(s) failing (retried with backoff)` : ''}`);
    return true;
  }

  private reject(sha: string, reason: string, diagnostics: string[], retryInMs?: number): void {
    const { env } = this.opts;
    this.rejected = { sha, retryAt: retryInMs === undefined ? undefined : Date.now() + retryInMs };
    env.metrics.rejected.inc();
    env.metrics.invalid.inc();
    const keep = this.current ? `commit ${this.current.sha} stays applied` : 'nothing is applied';
    env.log.error({ commit: sha, reason, diagnostics: diagnostics.length ? diagnostics : undefined, inForce: this.current?.sha }, `commit ${sha} rejected: ${reason}; nothing was written and ${keep}`);
    // Deciding on the first commit is the first reconcile, whatever the verdict:
    // readiness says the loop works; the rejection shows in logs and metrics.
    this.opts.status.markReady();
  }

  /** Resync (all keys) or retry (some keys) the commit in force. */
  private async pass(only: Set<string> | undefined, trigger: 'initial' | 'resync' | 'retry'): Promise<void> {
    const cur = this.current!;
    let result;
    try {
      result = await runPass(this.opts.env, {
        manifests: cur.manifests,
        only,
        prune: this.opts.prune && !only,
        stamp: { [LABEL_COMMIT]: cur.sha, [LABEL_APPLIED]: String(Math.floor(Date.now() / 1000)) },
        trigger,
        former: this.former,
        drift: trigger === 'resync' ? { except: new Set() } : undefined,
        fields: { commit: cur.sha },
      });
    } catch (err) {
      // Reading or planning failed: nothing was written. Try the whole set again with backoff.
      const ms = this.backoff.fail(WHOLE_PASS);
      this.scheduler.retryAfter(WHOLE_PASS, ms, { full: true });
      this.opts.env.log.error({ commit: cur.sha, error: (err as Error).message, retryInMs: ms }, `reconcile failed before writing anything; retrying in ${(ms / 1000).toFixed(1)}s: ${(err as Error).message}`);
      return;
    }
    this.backoff.succeed(WHOLE_PASS);
    this.scheduler.cancelRetry(WHOLE_PASS);
    settlePass(this.books, result, cur.manifests);
  }
}

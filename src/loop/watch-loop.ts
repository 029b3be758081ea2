/**
 * `runctl watch`: apply once, then re-apply on every manifest edit (debounced), re-plan
 * only what an edit touches (the changed documents and what depends on them), and every
 * resync re-read the live state of everything and correct drift. An edit that does not
 * validate is reported and ignored: the last valid set stays in force.
 */
import * as path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Identity } from '../engine/controller';
import { formatDiagnostic, type Manifest } from '../engine/types';
import { loadManifests } from '../load/loader';
import { Backoff, type BackoffOptions } from './backoff';
import { affectedKeys, diffSets } from './changes';
import type { Trigger } from './metrics';
import { runPass, type LoopEnv } from './pass';
import { Scheduler, type Work } from './scheduler';
import { settlePass } from './settle';
import type { LoopStatus } from './status';
import { checkLoaded } from '../lib/manifests';

export interface WatchOptions {
  env: LoopEnv & { signal: AbortSignal };
  status: LoopStatus;
  /** Files and directories (as given to `-f`). */
  paths: string[];
  cwd: string;
  /** Full re-read and drift correction period. */
  resyncMs: number;
  /** Quiet time after the last file event before reloading. */
  debounceMs: number;
  prune?: boolean;
  backoff?: BackoffOptions;
  /** How long shutdown waits for a pass in flight. @default 20000 */
  graceMs?: number;
}

const MANIFEST_EXT = /\.ya?ml$/i;
/** Backoff key of a pass that failed as a whole (not a resource key: those have a slash). */
const WHOLE_PASS = '(pass)';

export class WatchLoop {
  /** The last valid manifest set (undefined until one loads). */
  manifests: Manifest[] | undefined;
  readonly scheduler: Scheduler;
  private readonly backoff: Backoff;
  /** Identities of resources managed in this run, so `--prune` finds them after their manifest goes. */
  private readonly former = new Map<string, Identity>();
  private lastInvalid = '';
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;

  constructor(private readonly opts: WatchOptions) {
    this.backoff = new Backoff(opts.backoff);
    this.scheduler = new Scheduler({
      signal: opts.env.signal,
      handle: (w) => this.handle(w),
      onError: (err) => opts.env.log.error({ error: (err as Error).message }, `reconcile failed; retrying at the next trigger: ${(err as Error).message}`),
      graceMs: opts.graceMs,
    });
  }

  /** Run until the signal aborts. Resolves false when a pass in flight was abandoned. */
  async run(): Promise<boolean> {
    const { env } = this.opts;
    const roots = this.opts.paths.map((p) => path.resolve(this.opts.cwd, p));
    this.watcher = watch(roots, {
      ignoreInitial: true,
      // A file deleted and re-created within 100 ms (editors' safe saves) is one `change`.
      atomic: true,
      ignored: (p: string) => !roots.includes(p) && /(^|[\\/])(\.[^\\/]*|node_modules)$/.test(p),
    });
    await new Promise<void>((resolve) => this.watcher!.once('ready', () => resolve()));
    this.watcher.on('all', (event, p) => {
      if (!roots.includes(p) && !MANIFEST_EXT.test(p)) return;
      env.log.debug({ event, file: path.relative(this.opts.cwd, p) }, 'file event');
      clearTimeout(this.debounce);
      this.debounce = setTimeout(() => this.scheduler.request({ reload: true }, 'change'), this.opts.debounceMs);
    });
    this.watcher.on('error', (err) => env.log.warn({ error: (err as Error).message }, 'file watcher error'));
    env.log.info({ paths: this.opts.paths, resyncMs: this.opts.resyncMs, debounceMs: this.opts.debounceMs }, 'watching manifests');
    this.scheduler.request({ reload: true, full: true }, 'initial');
    this.scheduler.every(this.opts.resyncMs, () => this.scheduler.request({ reload: true, full: true }, 'resync'));
    try {
      return await this.scheduler.run();
    } finally {
      clearTimeout(this.debounce);
      await this.watcher.close();
    }
  }

  /** Load and validate the files; undefined (and reported) when they do not validate. */
  private async load(): Promise<Manifest[] | undefined> {
    const checked = checkLoaded(await loadManifests(this.opts.paths, { cwd: this.opts.cwd }), { flags: this.opts.env.target.info.flags, cwd: this.opts.cwd });
    if (!checked.diagnostics.length) {
      this.lastInvalid = '';
      return checked.manifests;
    }
    const lines = checked.diagnostics.map(formatDiagnostic);
    // The same problems are reported once, not on every resync.
    if (lines.join('\n') !== this.lastInvalid) {
      this.lastInvalid = lines.join('\n');
      this.opts.env.metrics.invalid.inc();
      this.opts.env.log.error(
        { diagnostics: lines, problems: lines.length },
        `${lines.length} problem${lines.length === 1 ? '' : 's'} in the manifests; the edit is ignored and the last valid set stays in force`,
      );
    }
    if (!this.manifests) this.opts.status.waiting('no valid manifests yet');
    return undefined;
  }

  private async handle(work: Work): Promise<void> {
    const { env } = this.opts;
    const touched = new Set(work.keys);
    const edited = new Set<string>();
    let full = work.full;
    let removed: string[] = [];
    let first = false;
    if (work.reload) {
      const loaded = await this.load();
      if (loaded && !this.manifests) first = full = true;
      else if (loaded && this.manifests) {
        const d = diffSets(this.manifests, loaded);
        removed = d.removed;
        for (const k of [...d.added, ...d.changed, ...d.removed]) touched.add(k), edited.add(k);
        if (edited.size) env.log.info({ added: d.added, changed: d.changed, removed: d.removed }, 'manifests changed');
      }
      if (loaded) this.manifests = loaded;
    }
    if (!this.manifests) return;
    for (const k of removed) {
      this.scheduler.cancelRetry(k);
      if (!this.opts.prune) env.log.info({ resource: k }, `${k}: no longer in the manifests; left in place (runctl watch --prune deletes it)`);
    }
    const only = full ? undefined : affectedKeys(this.manifests, touched);
    const pruning = !!this.opts.prune && (full || removed.length > 0);
    if (only && only.size === 0 && !pruning) return;
    const trigger: Trigger = first || work.triggers.has('initial') ? 'initial' : full ? 'resync' : work.triggers.has('change') ? 'change' : 'retry';
    let result;
    try {
      result = await runPass(env, {
        manifests: this.manifests,
        only,
        former: this.former,
        prune: pruning,
        trigger,
        drift: trigger === 'resync' ? { except: edited } : undefined,
      });
    } catch (err) {
      // Reading or planning failed (the API is unreachable, say): nothing was written.
      // Try everything again with backoff rather than waiting for the next resync.
      const ms = this.backoff.fail(WHOLE_PASS);
      this.scheduler.retryAfter(WHOLE_PASS, ms, { full: true });
      if (!this.opts.status.ready()) this.opts.status.waiting(`the first reconcile failed: ${(err as Error).message}`);
      env.log.error({ error: (err as Error).message, retryInMs: ms }, `reconcile failed before writing anything; retrying in ${(ms / 1000).toFixed(1)}s: ${(err as Error).message}`);
      return;
    }
    this.backoff.succeed(WHOLE_PASS);
    this.scheduler.cancelRetry(WHOLE_PASS);
    settlePass({ env, status: this.opts.status, scheduler: this.scheduler, backoff: this.backoff, former: this.former }, result, this.manifests);
  }
}

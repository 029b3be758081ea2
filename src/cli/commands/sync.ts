/** `sync --repo URL --ref REF --path DIR`: GitOps — apply each new commit of a ref. */
import { checkPrune, durationMs, runController, type LoopFlags } from '../../loop/runtime';
import { SyncLoop } from '../../loop/sync-loop';
import type { Io } from '../../lib/io';

export interface SyncFlags extends LoopFlags {
  repo: string;
  /** @default 'main' */
  ref?: string;
  /** @default '.' */
  path?: string;
  /** @default '1m' */
  interval?: string;
  /** @default '10m' */
  resync?: string;
}

export async function syncCommand(flags: SyncFlags, io: Io): Promise<number> {
  checkPrune(flags, 'sync');
  const intervalMs = durationMs(flags.interval ?? '1m', '--interval');
  const resyncMs = durationMs(flags.resync ?? '10m', '--resync');
  return runController('sync', flags, io, ({ env, status, graceMs }) =>
    new SyncLoop({
      env,
      status,
      repo: flags.repo,
      ref: flags.ref ?? 'main',
      dir: flags.path ?? '.',
      cwd: io.cwd,
      // git needs the usual environment (PATH, HOME, credential helpers) plus what io adds.
      processEnv: { ...process.env, ...io.env },
      intervalMs,
      resyncMs,
      prune: flags.prune,
      graceMs,
    }).run(),
  );
}

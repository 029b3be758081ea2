/** `watch -f PATH...`: apply on every manifest edit, and correct drift every `--resync`. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunctlError } from '../../engine/types';
import { checkPrune, durationMs, runController, type LoopFlags } from '../../loop/runtime';
import { DEFAULT_DEBOUNCE } from '../../loop/watch-defaults';
import { WatchLoop } from '../../loop/watch-loop';
import type { Io } from '../../lib/io';

export interface WatchFlags extends LoopFlags {
  filename?: string[];
  /** @default '10m' */
  resync?: string;
  /** @default DEFAULT_DEBOUNCE (50ms) */
  debounce?: string;
}

export async function watchCommand(flags: WatchFlags, io: Io): Promise<number> {
  const paths = flags.filename ?? [];
  if (!paths.length) throw new RunctlError('Usage', 'no manifests given: use -f PATH (a file or a directory)', { source: 'user' });
  if (paths.includes('-')) throw new RunctlError('Usage', 'watch reads files it can watch; standard input (-f -) cannot be watched', { source: 'user' });
  const missing = paths.filter((p) => !fs.existsSync(path.resolve(io.cwd, p)));
  if (missing.length) throw new RunctlError('Usage', `${missing.join(', ')}: no such file or directory`, { source: 'user' });
  checkPrune(flags, 'watch');
  const resyncMs = durationMs(flags.resync ?? '10m', '--resync');
  const debounceMs = durationMs(flags.debounce ?? DEFAULT_DEBOUNCE, '--debounce', { allowZero: true });
  return runController('watch', flags, io, ({ env, status, graceMs }) =>
    new WatchLoop({ env, status, paths, cwd: io.cwd, resyncMs, debounceMs, prune: flags.prune, graceMs }).run(),
  );
}

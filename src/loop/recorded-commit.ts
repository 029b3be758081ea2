/**
 * The commit `sync` last applied, read back from the live resources of the set: each
 * resource a commit created or updated carries `runctl-commit: <sha>` and
 * `runctl-applied: <unix seconds>`; the commit in force is the one applied last.
 */
import { ownedBy, scopesFor } from '../engine/planner';
import type { Manifest } from '../engine/types';
import { newSession } from '../lib/session';
import type { LoopEnv } from './pass';

/** Label holding the 40-hex commit ID (fits the 63-character label value limit). */
export const LABEL_COMMIT = 'runctl-commit';
/** Label holding when that commit was applied to the resource, in seconds since the epoch. */
export const LABEL_APPLIED = 'runctl-applied';

export interface RecordedCommit {
  sha: string;
  /** When it was applied (seconds since the epoch). */
  appliedAt: number;
  /** Live resources carrying it. */
  resources: number;
}

/**
 * List the live resources of the set (in every scope the manifests name, plus the
 * target's default) and pick the most recently applied commit. Reads only.
 */
export async function findRecordedCommit(env: LoopEnv, manifests: Manifest[]): Promise<RecordedCommit | undefined> {
  const session = newSession({ controllers: env.controllers, target: env.target, set: env.set });
  for (const m of manifests) {
    try {
      if (session.controllers.has(m.kind)) session.identify(m);
    } catch {
      // An unidentifiable manifest only narrows the scopes searched.
    }
  }
  const ctx = session.observeContext(env.signal);
  const found = new Map<string, { appliedAt: number; resources: number }>();
  const lists = await Promise.all([...session.controllers.values()].map((c) => c.list(scopesFor(session), ctx)));
  for (const live of lists) {
    for (const r of live) {
      const sha = r.labels[LABEL_COMMIT];
      if (!sha || !ownedBy(r.labels, env.set)) continue;
      const at = Number(r.labels[LABEL_APPLIED]) || 0;
      const f = found.get(sha) ?? { appliedAt: 0, resources: 0 };
      found.set(sha, { appliedAt: Math.max(f.appliedAt, at), resources: f.resources + 1 });
    }
  }
  let best: RecordedCommit | undefined;
  for (const [sha, f] of found) if (!best || f.appliedAt > best.appliedAt) best = { sha, ...f };
  return best;
}

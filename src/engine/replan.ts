/**
 * What a write may do after it met a concurrent change (a stale etag, or a create that
 * found the object already made). The executor re-reads and re-plans, then compares the
 * new plan with the one it was about to carry out — Kubernetes server-side apply's field
 * conflicts are the model:
 *
 * - the re-plan is a noop: the other writer already made our change — nothing to write;
 * - every change of the re-plan was in the plan, with the same old and new values (the
 *   other writer touched fields we do not manage, or made part of our change): write it;
 * - otherwise the other writer changed a field we manage to another value since the plan:
 *   fail with `Conflict`, naming the fields and their current values, and write nothing.
 *   Overwriting would revert the other writer without the plan having shown it.
 *
 * For a create, the plan's "old" value of every field is "absent": fields the other
 * writer left unset may still be written, fields it set differently are conflicts.
 */
import { isDeepStrictEqual } from 'node:util';
import type { FieldChange } from './controller';
import type { PlanEntry } from './plan';

export type ReplanVerdict =
  | { kind: 'done' }
  | { kind: 'write' }
  | { kind: 'conflict'; fields: FieldChange[]; message: string };

/** A field value as messages show it (`absent` for none). */
export const show = (v: unknown) => (v === undefined ? 'absent' : JSON.stringify(v));

/** Whether a change of the re-plan is one the plan already showed. */
function shown(before: Pick<PlanEntry, 'action' | 'changes'>, c: FieldChange): boolean {
  if (before.action === 'create') return c.old === undefined && c.op !== 'remove';
  return before.changes.some((b) => b.path === c.path && isDeepStrictEqual(b.old, c.old) && isDeepStrictEqual(b.new, c.new));
}

/** What the plan expected at a path the other writer changed. */
function expected(before: Pick<PlanEntry, 'action' | 'changes'>, c: FieldChange): unknown {
  if (before.action === 'create') return undefined;
  const same = before.changes.find((b) => b.path === c.path);
  // No change planned there: the plan saw the live value equal to ours.
  return same ? same.old : c.new;
}

/** Compare the plan being carried out with the re-plan made after a concurrent change. */
export function compareReplan(key: string, before: Pick<PlanEntry, 'action' | 'changes'>, after: Pick<PlanEntry, 'action' | 'changes'>): ReplanVerdict {
  if (after.action === 'noop') return { kind: 'done' };
  const fields = after.changes.filter((c) => !shown(before, c));
  if (!fields.length) return { kind: 'write' };
  const what = fields.map((c) => `${c.path} is now ${show(c.old)} (plan expected ${show(expected(before, c))})`).join('; ');
  return { kind: 'conflict', fields, message: `another writer changed ${key} since the plan: ${what}; nothing was written; re-run to plan again` };
}

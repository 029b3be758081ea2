/** Rendering for people: whole values, wrapping on terminals, delete wording, result lines. */
import { describe, expect, it } from 'vitest';
import type { ExecuteResult } from '../../src/engine/executor';
import { PLAN_FORMAT, summarize, type Plan, type PlanEntry } from '../../src/engine/plan';
import { renderEntry, renderPlan, renderResults, show } from '../../src/cli/render';
import { PLAIN, styleFor } from '../../src/lib/style';

const ATTESTOR = 'projects/local-project/attestors/built-by-cloud-build-in-the-production-folder-of-the-platform-team';

function entry(over: Partial<PlanEntry>): PlanEntry {
  return {
    key: 'Policy/default', kind: 'Policy', name: 'default', identity: { project: 'p', name: 'default', fullName: 'projects/p/policy' } as PlanEntry['identity'],
    action: 'update', changes: [], patch: [], notes: [], exists: true, dependsOn: [], ...over,
  };
}

function plan(entries: PlanEntry[]): Plan {
  return { format: PLAN_FORMAT, target: { mode: 'emulator', description: 'emulator', endpoint: 'grpc=127.0.0.1:1 http=127.0.0.1:2', projects: ['p'] }, set: 'default', createdAt: '', entries, summary: summarize(entries) };
}

const longChange = entry({
  changes: [{ path: 'spec.defaultRule', op: 'replace', old: { evaluationMode: 'ALWAYS_ALLOW' }, new: { evaluationMode: 'REQUIRE_ATTESTATION', requireAttestationsBy: [ATTESTOR, `${ATTESTOR}-2`] } }],
});

describe('plan values', () => {
  it('are never cut short', () => {
    const long = { list: Array.from({ length: 50 }, (_, i) => `value-${i}`) };
    expect(show(long)).toBe(JSON.stringify(long));
  });

  it('stay whole on one line when the output is not a terminal', () => {
    const lines = renderEntry(longChange, styleFor(false, {}));
    const line = lines.find((l) => l.includes('spec.defaultRule'))!;
    expect(line).toContain(ATTESTOR);
    expect(line).toContain(`${ATTESTOR}-2"]}`);
    expect(line.length).toBeGreaterThan(200);
  });

  it('wrap to the terminal width on a terminal, losing nothing', () => {
    const style = styleFor(true, { NO_COLOR: '1' }, 80);
    const lines = renderEntry(longChange, style);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    const change = lines.slice(1).filter((l) => !l.trimStart().startsWith('#'));
    expect(change.length).toBeGreaterThan(1);
    // Rejoined, the wrapped lines hold the value exactly (breaks fall after commas or spaces).
    const value = JSON.stringify({ evaluationMode: 'REQUIRE_ATTESTATION', requireAttestationsBy: [ATTESTOR, `${ATTESTOR}-2`] });
    expect(change.join('').replace(/\s/g, '')).toContain(value);
    // Continuation lines are indented under the field.
    for (const l of change.slice(1)) expect(l.startsWith('        ')).toBe(true);
  });
});

describe('last changed by', () => {
  it('is shown when someone else made the last change', () => {
    const lines = renderEntry(entry({ lastModifier: 'alice@example.com (via gcloud 470.0.0)', lastModifiedByRunctl: false, changes: [{ path: 'spec.x', op: 'replace', old: 1, new: 2 }] }), PLAIN);
    expect(lines.join('\n')).toContain('# last changed by alice@example.com (via gcloud 470.0.0)');
  });

  it('is not shown when runctl made it', () => {
    const lines = renderEntry(entry({ lastModifier: 'ci@p.iam.gserviceaccount.com (via runctl 0.1.0)', lastModifiedByRunctl: true, changes: [{ path: 'spec.x', op: 'replace', old: 1, new: 2 }] }), PLAIN);
    expect(lines.join('\n')).not.toContain('last changed by');
  });
});

describe('delete wording', () => {
  it('a delete plan counts deletions and resources already absent', () => {
    const text = renderPlan(plan([entry({ action: 'delete' }), entry({ key: 'Service/b', action: 'noop', exists: false })]), PLAIN, 'Target: x', { verb: 'delete' });
    expect(text).toContain('Plan: 1 to delete, 1 already absent.');
    expect(text).not.toContain('unchanged');
  });

  it('a delete of what does not exist says so', () => {
    const text = renderPlan(plan([entry({ action: 'noop', exists: false }), entry({ key: 'Service/b', action: 'noop', exists: false })]), PLAIN, 'Target: x', { verb: 'delete' });
    expect(text).toContain('Nothing to delete: none of the 2 resources the manifests name exists.');
    expect(text).not.toContain('No changes');
  });

  it('results of a delete end with "Delete complete"', () => {
    const result: ExecuteResult = { failed: 0, results: [{ key: 'Service/a', action: 'delete', outcome: 'applied', synced: 'ReconcileSuccess', elapsedMs: 1 }] };
    const text = renderResults(result, PLAIN, { verb: 'delete' });
    expect(text).toContain('✓ Service/a (deleted)');
    expect(text).toContain('Delete complete: 1 deleted');
    expect(text).not.toContain('Apply');
  });
});

describe('apply results', () => {
  it('give every created or updated resource a line, with its URL when it has one', () => {
    const result: ExecuteResult = {
      failed: 0,
      results: [
        { key: 'Policy/default', action: 'create', outcome: 'applied', synced: 'ReconcileSuccess', elapsedMs: 1, status: { fields: {} } },
        { key: 'Slo/avail', action: 'update', outcome: 'applied', synced: 'ReconcileSuccess', elapsedMs: 1 },
        { key: 'Service/web', action: 'create', outcome: 'applied', synced: 'ReconcileSuccess', elapsedMs: 1, status: { fields: { url: 'https://web.a.run.app' } } },
        { key: 'Service/quiet', action: 'noop', outcome: 'unchanged', synced: 'ReconcileSuccess', elapsedMs: 1 },
      ],
    };
    const text = renderResults(result, PLAIN);
    expect(text).toContain('✓ Policy/default (created)\n');
    expect(text).toContain('✓ Slo/avail (updated)\n');
    expect(text).toContain('✓ Service/web (created): https://web.a.run.app\n');
    expect(text).not.toContain('Service/quiet');
    expect(text).toContain('Apply complete: 2 created, 1 updated, 0 deleted, 1 unchanged');
  });
});

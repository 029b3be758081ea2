/**
 * A concurrent writer changes a resource between runctl's read and its write. The
 * write carries the etag runctl read, so the API refuses it; runctl re-reads, re-plans
 * and writes again — and the other writer's unrelated change survives. A saved plan
 * whose resource changed since is refused outright.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadValid } from '../../src/lib/manifests';
import type { EngineEvent } from '../../src/engine/events';
import { executePlan } from '../../src/engine/executor';
import { makePlan } from '../../src/engine/planner';
import type { Session } from '../../src/engine/session';
import { newSession } from '../../src/lib/session';
import { serviceYaml, startHarness, type Harness } from '../helpers/harness';

const REGION = 'europe-north1';
const nameOf = (s: string) => `projects/local-project/locations/${REGION}/services/${s}`;

describe('a concurrent writer between read and write', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  const get = async (s: string) => (await h.clients.runServices().getService({ name: nameOf(s) }))[0] as any;

  /** Another tool changes what runctl's manifest does not declare: a label and the request concurrency. */
  async function otherWriter(s: string): Promise<void> {
    const svc = await get(s);
    const [op] = await h.clients.runServices().updateService({
      service: {
        name: svc.name,
        etag: svc.etag,
        labels: { ...svc.labels, owner: 'other-team' },
        template: { ...svc.template, revision: '', maxInstanceRequestConcurrency: 42 },
        traffic: svc.traffic,
      },
    });
    await op.promise();
  }

  function session(events: EngineEvent[]): Session {
    return newSession({
      target: { info: { mode: 'emulator', description: 'test emulator', fallbackProject: 'local-project', fallbackRegion: 'us-central1' }, clients: h.clients },
      host: { emit: (ev) => events.push(ev) },
    });
  }

  it('detects the etag conflict, re-plans, and keeps the other writer\'s change', async () => {
    const v1 = h.write('cw/svc.yaml', serviceYaml('cw', { image: `${REGION}-docker.pkg.dev/p/r/cw:1`, env: { MODE: 'a' } }));
    expect((await h.cli(['apply', '-f', v1])).code).toBe(0);

    // runctl reads and plans the new image...
    const file = h.write('cw/svc.yaml', serviceYaml('cw', { image: `${REGION}-docker.pkg.dev/p/r/cw:2`, env: { MODE: 'a' } }));
    const manifests = await loadValid([file], { stdout: { write: () => true }, stderr: { write: () => true }, env: {}, cwd: h.dir });
    const events: EngineEvent[] = [];
    const s = session(events);
    const plan = await makePlan(s, manifests);
    expect(plan.entries[0].action).toBe('update');
    const etagRead = plan.entries[0].etag;

    // ...another writer changes the service...
    await otherWriter('cw');
    expect((await get('cw')).etag).not.toBe(etagRead);
    await h.resetStats();

    // ...and runctl's write, made with the etag it read, is refused, then redone.
    const result = await executePlan(s, plan);
    expect(result.failed).toBe(0);
    const progress = events.filter((e) => e.type === 'resource' && e.phase === 'progress').map((e: any) => e.message);
    expect(progress.some((m: string) => /conflict/.test(m))).toBe(true);
    expect((await h.stats()).calls['Services.UpdateService']).toBe(2);

    const live = await get('cw');
    expect(live.template.containers[0].image).toBe(`${REGION}-docker.pkg.dev/p/r/cw:2`);
    expect(live.labels).toMatchObject({ owner: 'other-team', 'managed-by': 'runctl' });
    expect(live.template.maxInstanceRequestConcurrency).toBe(42);
    expect((await h.cli(['diff', '-f', file])).code).toBe(0);
  });

  it('refuses a saved plan whose resource changed since, and writes nothing', async () => {
    const file = h.write('sp/svc.yaml', serviceYaml('sp', { image: `${REGION}-docker.pkg.dev/p/r/sp:1` }));
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    h.write('sp/svc.yaml', serviceYaml('sp', { image: `${REGION}-docker.pkg.dev/p/r/sp:2` }));
    const planFile = path.join(h.dir, 'sp.plan.json');
    expect((await h.cli(['plan', '-f', file, '--out', planFile])).code).toBe(2);
    await otherWriter('sp');
    await h.resetStats();
    const r = await h.cli(['apply', planFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[StalePlan\]/);
    expect(r.stderr).toContain('Service/sp');
    expect((await h.stats()).writes).toBe(0);
    expect((await get('sp')).template.containers[0].image).toBe(`${REGION}-docker.pkg.dev/p/r/sp:1`);
  });
});

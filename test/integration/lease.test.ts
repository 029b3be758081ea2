/**
 * A lease per controller (`--lease gs://BUCKET/PATH`), against a standalone emulator:
 * of two `watch` processes with the same lease only the holder writes (the emulator's
 * call counts prove it) while the other says who holds it; after kill -9 of the holder
 * the other takes over once the lease expires and converges. A controller whose lease
 * is taken stops writing and waits for it again; `apply` with the lease configured
 * refuses to write while a controller holds it; shutdown releases it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serviceYaml, startHarness, type Harness } from '../helpers/harness';
import { poll } from '../helpers/loop-runner';
import { runRunctl, startRunctl, type RunctlProcess } from '../helpers/processes';

const BUCKET = 'runctl-leases';
let h: Harness;
const running: RunctlProcess[] = [];
beforeAll(async () => {
  h = await startHarness();
  await h.clients.storage().createBucket(BUCKET);
});
// A test that fails midway must not leave its controller running into the next one
// (whose call counts would then include the leftover's reads).
afterEach(async () => {
  for (const p of running.splice(0)) await p.stop('SIGKILL');
});
afterAll(async () => {
  await h?.close();
});

function manifest(dir: string, image: string): void {
  fs.writeFileSync(path.join(dir, 'svc.yaml'), serviceYaml('leased', { image: `europe-north1-docker.pkg.dev/p/r/${image}` }));
}

async function liveImage(): Promise<string | undefined> {
  try {
    const [svc] = await h.clients.runServices().getService({ name: 'projects/local-project/locations/europe-north1/services/leased' });
    return svc.template?.containers?.[0]?.image?.split('/').pop() ?? undefined;
  } catch {
    return undefined;
  }
}

async function leaseObject(name: string): Promise<{ generation: number; record: Record<string, any> } | undefined> {
  const f = h.clients.storage().bucket(BUCKET).file(name);
  if (!(await f.exists())[0]) return undefined;
  const [meta] = await f.getMetadata();
  const [bytes] = await f.download();
  return { generation: Number(meta.generation), record: JSON.parse(bytes.toString()) };
}

function watch(dir: string, lease: string, extra: string[] = []): RunctlProcess {
  const p = startRunctl(['watch', '-f', dir, '--lease', lease, '--lease-ttl', '3s', '--resync', '1s', '--debounce', '100ms', '--log-format', 'text', ...extra], {
    cwd: dir,
    env: { RUNCTL_EMULATOR_HOST: h.emu.grpc },
  });
  running.push(p);
  return p;
}

describe('a lease per controller', () => {
  it('two watches with one lease: only the holder writes; after kill -9 the other takes over when it expires and converges', async () => {
    const dir = fs.mkdtempSync(path.join(h.dir, 'two-'));
    manifest(dir, 'a:1');
    const url = `gs://${BUCKET}/two/default.json`;
    const first = watch(dir, url);
    await first.waitFor(/holding the lease/);
    await first.waitFor(/reconciled: 1 to create/);
    const second = watch(dir, url);
    await second.waitFor(new RegExp(`waiting for the lease ${url}: held by watch on host ${os.hostname()}, pid ${first.pid}, since \\S+; writing nothing`));

    // An edit: the holder applies it, once; the one waiting does nothing at all.
    await h.resetStats();
    manifest(dir, 'a:2');
    await first.waitFor(/Service\/leased: updated/);
    await first.waitFor(/Service\/leased: updated[\s\S]*reconciled: no changes/);
    const stats = await h.stats();
    expect(stats.calls['Services.UpdateService']).toBe(1);
    expect(stats.calls['Services.CreateService']).toBeUndefined();
    expect(second.output()).not.toMatch(/reconciled|holding the lease/);
    const held = await leaseObject('two/default.json');
    expect(held?.record).toMatchObject({ holder: os.hostname(), pid: first.pid, set: 'default', project: 'local-project', command: 'watch', ttlSeconds: 3 });
    expect(Date.parse(held!.record.expires)).toBeGreaterThan(Date.parse(held!.record.since));

    // kill -9: the lease is not released; the other takes it once it has expired.
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');
    manifest(dir, 'a:3');
    await second.waitFor(/took over the lease .* it expired at/);
    await second.waitFor(/holding the lease/);
    await poll(async () => (await liveImage()) === 'a:3', 60_000, () => second.output());
    expect((await leaseObject('two/default.json'))?.record.pid).toBe(second.pid);

    // SIGTERM releases the lease: the object is deleted.
    expect(await second.stop('SIGTERM')).toBe(0);
    expect(second.output()).toContain(`released the lease ${url}`);
    expect(await leaseObject('two/default.json')).toBeUndefined();
  });

  it('a controller whose lease is taken stops writing and waits; apply honours the lease', async () => {
    const dir = fs.mkdtempSync(path.join(h.dir, 'lost-'));
    manifest(dir, 'a:1');
    const url = `gs://${BUCKET}/lost/default.json`;
    const ctl = watch(dir, url);
    await ctl.waitFor(/reconciled: (1 to create|0 to create, 1 to update|no changes)/);

    // apply with the lease configured (RUNCTL_LEASE): refused, naming the holder.
    const refused = await runRunctl(['apply', '-f', dir], { cwd: dir, env: { RUNCTL_EMULATOR_HOST: h.emu.grpc, RUNCTL_LEASE: url } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('[LeaseHeld]');
    expect(refused.stderr).toContain(`pid ${ctl.pid}`);

    // Someone takes the lease (as a stale-lease takeover would): the controller's next
    // renewal meets the new generation, and it stops writing.
    // The controller renews the lease meanwhile: a renewal between our read and our write
    // fails the precondition, so read again (a bounded number of times) as a takeover would.
    const thief = { holder: 'other-host', pid: 4242, since: new Date().toISOString(), expires: new Date(Date.now() + 3600_000).toISOString(), set: 'default', project: 'local-project' };
    for (let attempt = 1; ; attempt++) {
      const cur = await leaseObject('lost/default.json');
      try {
        await h.clients.storage().bucket(BUCKET).file('lost/default.json').save(JSON.stringify(thief), { resumable: false, preconditionOpts: { ifGenerationMatch: cur!.generation } });
        break;
      } catch (e) {
        if ((e as { code?: number }).code !== 412 || attempt >= 5) throw e;
      }
    }
    await ctl.waitFor(/lost the lease .* taken by host other-host, pid 4242/);
    await ctl.waitFor(/waiting for the lease .*: held by host other-host, pid 4242/);
    await h.resetStats();
    manifest(dir, 'a:9');
    // Nothing is written while the lease is someone else's (a few debounce and resync periods).
    await new Promise((r) => setTimeout(r, 2000));
    const idle = await h.stats();
    expect(Object.keys(idle.calls).filter((m) => m.startsWith('Services.') && !/Get|List/.test(m))).toEqual([]);
    const before = await liveImage();
    await h.clients.storage().bucket(BUCKET).file('lost/default.json').delete();
    await ctl.waitFor(/waiting for the lease[\s\S]*holding the lease/);
    await poll(async () => (await liveImage()) === 'a:9', 60_000, () => ctl.output());
    expect(before).not.toBe('a:9');

    expect(await ctl.stop('SIGTERM')).toBe(0);
    const applied = await runRunctl(['apply', '-f', dir], { cwd: dir, env: { RUNCTL_EMULATOR_HOST: h.emu.grpc, RUNCTL_LEASE: url } });
    expect(applied.code, applied.stderr).toBe(0);
    expect(await leaseObject('lost/default.json')).toBeUndefined();
  });

  it('sync waits for a lease someone else holds, writing nothing, and applies once it is released', async () => {
    const repo = fs.mkdtempSync(path.join(h.dir, 'sync-'));
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } });
    git('init', '--quiet', '--initial-branch=main');
    fs.writeFileSync(path.join(repo, 'svc.yaml'), serviceYaml('synced', { image: 'europe-north1-docker.pkg.dev/p/r/s:1' }));
    git('add', '--all');
    git('commit', '--quiet', '-m', 'one');
    const holder = { holder: 'other-host', pid: 4242, since: new Date().toISOString(), expires: new Date(Date.now() + 3600_000).toISOString(), set: 'default', project: 'local-project', command: 'sync' };
    const obj = h.clients.storage().bucket(BUCKET).file('sync/default.json');
    await obj.save(JSON.stringify(holder), { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    await h.resetStats();
    const url = `gs://${BUCKET}/sync/default.json`;
    const ctl = startRunctl(['sync', '--repo', repo, '--ref', 'main', '--interval', '500ms', '--log-format', 'text', '--lease-ttl', '3s'], {
      cwd: h.dir,
      env: { RUNCTL_EMULATOR_HOST: h.emu.grpc, RUNCTL_LEASE: url },
    });
    running.push(ctl);
    await ctl.waitFor(/waiting for the lease .*: held by sync on host other-host, pid 4242, since \S+; writing nothing/);
    const waiting = await h.stats();
    expect(Object.keys(waiting.calls).filter((m) => !m.startsWith('Objects.'))).toEqual([]);
    await obj.delete();
    await ctl.waitFor(/holding the lease/);
    await ctl.waitFor(/commit \w+ applied/);
    expect((await h.clients.runServices().getService({ name: 'projects/local-project/locations/europe-north1/services/synced' }))[0].template?.containers?.[0]?.image).toContain('s:1');
    expect(await ctl.stop('SIGTERM')).toBe(0);
    expect(await leaseObject('sync/default.json')).toBeUndefined();
  });
});

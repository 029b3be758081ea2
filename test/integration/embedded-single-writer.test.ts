/**
 * One writer per embedded state: `watch` on the embedded emulator (no
 * RUNCTL_EMULATOR_HOST) and other runctl processes on the same directory attach to the
 * emulator it serves, so both changes persist and drift made through one process is
 * corrected by the other; when the serving process exits (SIGTERM or kill -9) an
 * attached one takes over from the state on disk and loses nothing. `.runctl/` is
 * private and ignored by Git.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Clients } from '../../src/gcp/clients';
import { readLock } from '../../src/lib/state-lock';
import { poll } from '../helpers/loop-runner';
import { runRunctl, startRunctl, type RunctlProcess } from '../helpers/processes';
import { serviceYaml } from '../helpers/harness';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-single-writer-'));
const running: RunctlProcess[] = [];
const clients = new Map<string, Clients>();
afterAll(async () => {
  for (const p of running) await p.stop('SIGKILL');
  for (const c of clients.values()) await c.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function workdir(name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function write(dir: string, file: string, name: string, image: string): void {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), serviceYaml(name, { image: `europe-north1-docker.pkg.dev/p/r/${image}` }));
}

/** A client attached to whichever process serves the directory's state now. */
function attached(dir: string): Clients {
  const lock = readLock(path.join(dir, '.runctl', 'emulator', 'lock'));
  if (!lock?.grpc || !lock.http) throw new Error('no emulator serves the state');
  let c = clients.get(lock.grpc);
  if (!c) clients.set(lock.grpc, (c = new Clients({ mode: 'emulator', grpc: lock.grpc, http: lock.http }, undefined, { attempts: 2 })));
  return c;
}

async function liveImage(dir: string, name: string): Promise<string | undefined> {
  try {
    const [svc] = await attached(dir).runServices().getService({ name: `projects/local-project/locations/europe-north1/services/${name}` });
    return svc.template?.containers?.[0]?.image?.split('/').pop() ?? undefined;
  } catch {
    return undefined;
  }
}

/** Images on disk, as the next process to load the state will see them. */
function persistedImages(dir: string): Record<string, string> {
  const state = JSON.parse(fs.readFileSync(path.join(dir, '.runctl', 'emulator', 'state.json'), 'utf8'));
  const out: Record<string, string> = {};
  const walk = (v: any): void => {
    if (!v || typeof v !== 'object') return;
    if (typeof v.name === 'string' && /\/services\/[^/]+$/.test(v.name) && v.template?.containers) {
      out[v.name.split('/').pop()] = String(v.template.containers[0].image).split('/').pop()!;
      return;
    }
    for (const x of Object.values(v)) walk(x);
  };
  walk(state);
  return out;
}

const watchArgs = (dir: string) => ['watch', '-f', dir, '--resync', '1s', '--debounce', '100ms', '--log-format', 'text'];

describe('the embedded emulator has one writer', () => {
  it('watch and apply in two processes: both changes persist; drift made by one is corrected by the other', async () => {
    const dir = workdir('two-processes');
    write(dir, 'a/a.yaml', 'svc-a', 'a:1');
    write(dir, 'b/b.yaml', 'svc-b', 'b:1');
    write(dir, 'a2/a.yaml', 'svc-a', 'a:2');
    const watch = startRunctl(watchArgs('a'), { cwd: dir });
    running.push(watch);
    await watch.waitFor(/reconciled: 1 to create/);

    const apply = await runRunctl(['apply', '-f', 'b'], { cwd: dir });
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stderr).toContain(`attached to the embedded emulator of pid ${watch.pid}`);
    // Several resyncs of watch later, the Service apply created is still there.
    await watch.waitFor(/reconciled: no changes[\s\S]*reconciled: no changes/);
    expect(await liveImage(dir, 'svc-b')).toBe('b:1');

    // apply changes svc-a behind watch's back: watch sees it and puts its manifest back.
    const drift = await runRunctl(['apply', '-f', 'a2'], { cwd: dir });
    expect(drift.code, drift.stderr).toBe(0);
    // apply read what watch wrote (a:1) before changing it.
    expect(drift.stdout).toMatch(/spec\.image: .*a:1.* → .*a:2/);
    await poll(async () => (await liveImage(dir, 'svc-a')) === 'a:1', 60_000, () => watch.output());

    // A write through a client attached to the same emulator is corrected the same way.
    const svc = `projects/local-project/locations/europe-north1/services/svc-a`;
    const [live] = await attached(dir).runServices().getService({ name: svc });
    live.template!.containers![0].image = 'europe-north1-docker.pkg.dev/p/r/a:9';
    const [op] = await attached(dir).runServices().updateService({ service: live });
    await op.promise();
    await poll(async () => (await liveImage(dir, 'svc-a')) === 'a:1', 60_000, () => watch.output());

    expect(await watch.stop()).toBe(0);
    expect(persistedImages(dir)).toEqual({ 'svc-a': 'a:1', 'svc-b': 'b:1' });
    expect(fs.existsSync(path.join(dir, '.runctl', 'emulator', 'lock'))).toBe(false);
  });

  it('the serving process exits while another is attached: the attached one takes over and loses nothing', async () => {
    const dir = workdir('takeover');
    write(dir, 'a/a.yaml', 'svc-a', 'a:1');
    write(dir, 'b/b.yaml', 'svc-b', 'b:1');
    write(dir, 'c/c.yaml', 'svc-c', 'c:1');
    const owner = startRunctl(watchArgs('a'), { cwd: dir });
    running.push(owner);
    await owner.waitFor(/reconciled: 1 to create/);
    const second = startRunctl(watchArgs('b'), { cwd: dir });
    running.push(second);
    await second.waitFor(new RegExp(`attached to the embedded emulator of pid ${owner.pid}`));
    await second.waitFor(/reconciled: 1 to create/);

    expect(await owner.stop('SIGTERM')).toBe(0);
    await second.waitFor(/this process \(pid \d+\) serves the state now/);
    expect(readLock(path.join(dir, '.runctl', 'emulator', 'lock'))?.pid).toBe(second.pid);

    // The new owner keeps working: an edit is applied, a third process attaches to it.
    write(dir, 'b/b.yaml', 'svc-b', 'b:2');
    await poll(async () => (await liveImage(dir, 'svc-b')) === 'b:2', 60_000, () => second.output());
    const apply = await runRunctl(['apply', '-f', 'c'], { cwd: dir });
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stderr).toContain(`attached to the embedded emulator of pid ${second.pid}`);

    // kill -9 of the owner: every answered write is on disk; the stale lock is taken over.
    expect(await second.stop('SIGKILL')).toBe('SIGKILL');
    expect(persistedImages(dir)).toEqual({ 'svc-a': 'a:1', 'svc-b': 'b:2', 'svc-c': 'c:1' });
    const get = await runRunctl(['get', 'services', '--region', 'europe-north1'], { cwd: dir });
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toMatch(/svc-a[\s\S]*svc-b[\s\S]*svc-c/);
    expect(get.stderr).not.toContain('attached');
  });

  it('keeps .runctl/ private: directories 0700, state 0600, and a .gitignore of *', async () => {
    const dir = workdir('private');
    write(dir, 'a/a.yaml', 'svc-a', 'a:1');
    const r = await runRunctl(['apply', '-f', 'a'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const mode = (p: string) => fs.statSync(path.join(dir, p)).mode & 0o777;
    expect(mode('.runctl')).toBe(0o700);
    expect(mode('.runctl/emulator')).toBe(0o700);
    expect(mode('.runctl/emulator/state.json')).toBe(0o600);
    expect(fs.readFileSync(path.join(dir, '.runctl', '.gitignore'), 'utf8')).toBe('*\n');
    expect(fs.readdirSync(path.join(dir, '.runctl', 'emulator'))).toEqual(['state.json']);

    // State left readable by an older version is tightened on the next run.
    const old = workdir('older');
    fs.mkdirSync(path.join(old, '.runctl', 'emulator'), { recursive: true, mode: 0o755 });
    fs.chmodSync(path.join(old, '.runctl'), 0o755);
    fs.writeFileSync(path.join(old, '.runctl', 'emulator', 'state.json'), '{}', { mode: 0o644 });
    const get = await runRunctl(['get', 'services'], { cwd: old });
    expect(get.code, get.stderr).toBe(0);
    const oldMode = (p: string) => fs.statSync(path.join(old, p)).mode & 0o777;
    expect([oldMode('.runctl'), oldMode('.runctl/emulator'), oldMode('.runctl/emulator/state.json')]).toEqual([0o700, 0o700, 0o600]);
  });
});

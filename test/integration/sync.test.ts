/**
 * `runctl sync` end to end: a local bare Git repository made with the git command, the
 * CLI in-process against a standalone emulator, state read back through the real
 * @google-cloud/run client and the emulator's write counters.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceYaml, startHarness, type Harness } from '../helpers/harness';
import { poll, startCli, type RunningCli } from '../helpers/loop-runner';

const parent = 'projects/local-project/locations/europe-north1';

/** A bare "origin" and a working clone that commits and pushes to it. */
function makeRepo(root: string) {
  const origin = path.join(root, 'origin.git');
  const work = path.join(root, 'work');
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } }).trim();
  fs.mkdirSync(work, { recursive: true });
  git(root, 'init', '--quiet', '--bare', '--initial-branch=main', origin);
  git(work, 'init', '--quiet', '--initial-branch=main');
  return {
    origin,
    /** Write (string) or delete (null) files, commit, push; returns the commit ID. */
    commit(files: Record<string, string | null>, message: string): string {
      for (const [name, text] of Object.entries(files)) {
        const file = path.join(work, name);
        if (text === null) fs.rmSync(file);
        else {
          fs.mkdirSync(path.dirname(file), { recursive: true });
          fs.writeFileSync(file, text);
        }
      }
      git(work, 'add', '--all');
      git(work, 'commit', '--quiet', '--allow-empty', '-m', message);
      git(work, 'push', '--quiet', origin, 'HEAD:refs/heads/main');
      return git(work, 'rev-parse', 'HEAD');
    },
  };
}

describe('runctl sync', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  const get = async (name: string) => (await h.clients.runServices().getService({ name: `${parent}/services/${name}` }))[0] as any;
  const envOf = async (name: string) => Object.fromEntries((await get(name)).template.containers[0].env.map((e: any) => [e.name, e.value]));
  const names = async () => (await h.clients.runServices().listServices({ parent }))[0].map((s: any) => s.name.split('/').pop()).sort();
  const start = (repo: string, extra: string[] = []): RunningCli =>
    startCli(['sync', '--repo', repo, '--ref', 'main', '--path', 'deploy', '--interval', '100ms', '--log-format', 'json', ...extra], {
      env: { RUNCTL_EMULATOR_HOST: h.emu.grpc },
      cwd: h.dir,
    });
  const appliedRecord = (sha: string) => (r: Record<string, any>) => r.commit === sha && r.message.startsWith(`commit ${sha} applied`);

  it('applies commits, rejects an invalid one whole, prunes deletions, and restarts without writing', async () => {
    const repo = makeRepo(path.join(h.dir, 'gitops'));
    const c1 = repo.commit(
      { 'deploy/web.yaml': serviceYaml('web', { env: { V: '1' } }), 'deploy/api.yaml': serviceYaml('api'), 'README.md': '# not a manifest\n' },
      'web and api',
    );
    let c3 = '';
    let c4 = '';
    let s = start(repo.origin, ['--prune', '--yes', '--metrics-port', '0']);
    try {
      const url = (await s.waitForRecord((r) => typeof r.url === 'string')).url;
      await s.waitForRecord(appliedRecord(c1));
      expect(await names()).toEqual(['api', 'web']);
      expect((await get('web')).labels).toMatchObject({ 'runctl-commit': c1, 'managed-by': 'runctl' });

      // Invalid: one bad document rejects the whole commit, including the valid edit beside it.
      const c2 = repo.commit(
        { 'deploy/web.yaml': serviceYaml('web', { env: { V: '2' } }), 'deploy/api.yaml': serviceYaml('api', { scaling: { maxInstances: 'lots' } }) },
        'broken',
      );
      const rejected = await s.waitForRecord((r) => r.severity === 'ERROR' && r.commit === c2);
      expect(rejected.message).toContain(`commit ${c2} rejected`);
      expect(rejected.inForce).toBe(c1);
      expect(rejected.diagnostics[0]).toMatch(/^deploy\/api\.yaml:\d+:\d+: Service\/api: spec\.scaling\.maxInstances: /);
      expect(await envOf('web')).toEqual({ V: '1' });

      c3 = repo.commit({ 'deploy/api.yaml': serviceYaml('api'), 'deploy/web.yaml': serviceYaml('web', { env: { V: '3' } }) }, 'fixed');
      const applied = await s.waitForRecord(appliedRecord(c3));
      expect(applied.writes).toBe(1);
      expect(await envOf('web')).toEqual({ V: '3' });
      // Only what a commit changes carries it: api was not rewritten.
      expect((await get('web')).labels['runctl-commit']).toBe(c3);
      expect((await get('api')).labels['runctl-commit']).toBe(c1);

      c4 = repo.commit({ 'deploy/api.yaml': null }, 'retire api');
      await s.waitForRecord(appliedRecord(c4));
      expect(await names()).toEqual(['web']);

      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain(`runctl_last_applied_commit{commit="${c4}"} 1`);
      expect(metrics).toMatch(/runctl_rejected_commits_total 1/);
      expect(metrics).toMatch(/runctl_reconcile_passes_total\{trigger="commit",result="success"\} 3/);
      expect(metrics).toMatch(/runctl_last_applied_commit_timestamp_seconds \d+/);
    } finally {
      expect(await s.stop()).toBe(0);
    }

    // A restarted controller on an unchanged repository: reads, plans, writes nothing.
    await h.resetStats();
    s = start(repo.origin, ['--prune', '--yes']);
    try {
      const resumed = await s.waitForRecord((r) => typeof r.message === 'string' && r.message.startsWith('last applied commit'));
      expect(resumed.commit).toBe(c3);
      const again = await s.waitForRecord(appliedRecord(c4));
      expect(again.writes).toBe(0);
      expect((await h.stats()).writes).toBe(0);
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });

  it('restarted on a rejected head, keeps the recorded commit in force and corrects drift to it', async () => {
    const repo = makeRepo(path.join(h.dir, 'resume'));
    const good = repo.commit({ 'deploy/keeper.yaml': serviceYaml('keeper', { env: { V: 'good' } }) }, 'good');
    let s = start(repo.origin);
    try {
      await s.waitForRecord(appliedRecord(good));
    } finally {
      expect(await s.stop()).toBe(0);
    }
    const bad = repo.commit({ 'deploy/keeper.yaml': 'kind: Service\nmetadata: {name: keeper}\nspec:\n  image: [\n' }, 'bad yaml');
    // Someone edits the live service while the controller is down.
    const live = await get('keeper');
    live.template.containers[0].env = [{ name: 'V', value: 'by-hand' }];
    await (await h.clients.runServices().updateService({ service: live }))[0].promise();

    s = start(repo.origin, ['--metrics-port', '0']);
    try {
      const url = (await s.waitForRecord((r) => typeof r.url === 'string')).url;
      const rejected = await s.waitForRecord((r) => r.severity === 'ERROR' && r.commit === bad);
      expect(rejected.diagnostics[0]).toMatch(/^deploy\/keeper\.yaml:\d+:\d+: .*\[YamlSyntax\]$/);
      await poll(async () => (await envOf('keeper')).V === 'good', 15_000, () => s.log());
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      expect(await (await fetch(`${url}/metrics`)).text()).toContain(`runctl_last_applied_commit{commit="${good}"} 1`);
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });

  it('reports a repository it cannot fetch, stays not ready, and exits 0 on the signal', async () => {
    const s = start(path.join(h.dir, 'no-such-repo.git'), ['--metrics-port', '0']);
    try {
      const url = (await s.waitForRecord((r) => typeof r.url === 'string')).url;
      const failed = await s.waitForRecord((r) => r.severity === 'ERROR' && /cannot fetch main/.test(r.message));
      expect(failed.error).toMatch(/git fetch .*failed/);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.text()).toMatch(/cannot fetch main/);
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });

  it('explains that git is missing', async () => {
    const repo = makeRepo(path.join(h.dir, 'nogit'));
    repo.commit({ 'deploy/x.yaml': serviceYaml('nogit') }, 'x');
    const r = await h.cli(['sync', '--repo', repo.origin, '--path', 'deploy'], { env: { PATH: path.join(h.dir, 'empty-bin') } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/needs the git command.*\[Usage\]/);
  });
});

/**
 * `runctl watch` end to end: the CLI in-process against a standalone emulator, files in a
 * temp directory, state read back through the real @google-cloud/run client.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceYaml, startHarness, type Harness } from '../helpers/harness';
import { poll, startCli, type RunningCli } from '../helpers/loop-runner';

const parent = 'projects/local-project/locations/europe-north1';

describe('runctl watch', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  const get = async (name: string) => (await h.clients.runServices().getService({ name: `${parent}/services/${name}` }))[0] as any;
  const envOf = async (name: string) => Object.fromEntries((await get(name)).template.containers[0].env.map((e: any) => [e.name, e.value]));
  const start = (dir: string, extra: string[] = []): RunningCli =>
    startCli(['watch', '-f', dir, '--log-format', 'json', ...extra], { env: { RUNCTL_EMULATOR_HOST: h.emu.grpc }, cwd: h.dir });
  const passes = (w: RunningCli) => w.records().filter((r) => typeof r.message === 'string' && r.message.startsWith('reconciled'));

  it('applies an edit in the pass the edit triggers, reports a broken edit and keeps running, then applies the fix', async () => {
    const file = h.write('edit/web.yaml', serviceYaml('web', { env: { VERSION: '1' } }));
    const w = start('edit');
    try {
      await w.waitForRecord((r) => r.trigger === 'initial' && r.message.startsWith('reconciled'));
      expect(await envOf('web')).toEqual({ VERSION: '1' });

      fs.writeFileSync(file, serviceYaml('web', { env: { VERSION: '2' } }));
      await poll(async () => (await envOf('web')).VERSION === '2', 15_000);
      // The file event did it: a 'change' pass wrote the edit, and no periodic resync (10m
      // by default) has run.
      const change = await w.waitForRecord((r) => r.trigger === 'change' && r.message.startsWith('reconciled'));
      expect(change.writes).toBe(1);
      expect(passes(w).filter((r) => r.trigger === 'resync')).toEqual([]);

      // Broken YAML: reported with file:line:col, ignored; the loop carries on.
      fs.writeFileSync(file, 'apiVersion: runctl.dev/v1alpha1\nkind: Service\nmetadata: {name: web\nspec: [\n');
      const bad = await w.waitForRecord((r) => r.severity === 'ERROR' && Array.isArray(r.diagnostics));
      expect(bad.diagnostics[0]).toMatch(/^edit\/web\.yaml:\d+:\d+: .*\[YamlSyntax\]$/);
      expect(await envOf('web')).toEqual({ VERSION: '2' });

      fs.writeFileSync(file, serviceYaml('web', { env: { VERSION: '3' } }));
      await poll(async () => (await envOf('web')).VERSION === '3', 15_000);
      expect(await w.stop()).toBe(0);
      expect(w.records().some((r) => r.message === 'watch stopped')).toBe(true);
    } finally {
      await w.stop();
    }
  });

  it('re-plans only the edited document and its dependents', async () => {
    const a = h.write('partial/a.yaml', serviceYaml('part-a', { env: { V: '1' } }));
    h.write('partial/b.yaml', serviceYaml('part-b', { env: { A_URL: '${Service/part-a.status.url}' } }));
    const c = h.write('partial/c.yaml', serviceYaml('part-c', { env: { V: '1' } }));
    const w = start('partial');
    const changes = () => w.records().filter((r) => r.trigger === 'change' && r.message.startsWith('reconciled'));
    try {
      await w.waitForRecord((r) => r.trigger === 'initial' && r.message.startsWith('reconciled'));
      expect(passes(w)[0].planned).toBe(3);
      expect((await envOf('part-b')).A_URL).toMatch(/^https:\/\/part-a-/);
      // c stands alone: only c is planned.
      fs.writeFileSync(c, serviceYaml('part-c', { env: { V: '2' } }));
      await poll(() => changes().length === 1, 15_000, () => w.log());
      expect(changes()[0]).toMatchObject({ planned: 1, writes: 1 });
      // b reads a's URL: editing a re-plans a and b, not c.
      fs.writeFileSync(a, serviceYaml('part-a', { env: { V: '2' } }));
      await poll(() => changes().length === 2, 15_000, () => w.log());
      expect(changes()[1]).toMatchObject({ planned: 2, writes: 1 });
      expect((await envOf('part-a')).V).toBe('2');
    } finally {
      expect(await w.stop()).toBe(0);
    }
  });

  it('watches a single file too, including an editor-style replace (write a temp file, rename it over)', async () => {
    const file = h.write('single.yaml', serviceYaml('single', { env: { V: '1' } }));
    const w = start('single.yaml');
    try {
      await w.waitForRecord((r) => r.trigger === 'initial' && r.message.startsWith('reconciled'));
      fs.writeFileSync(`${file}.tmp`, serviceYaml('single', { env: { V: '2' } }));
      fs.renameSync(`${file}.tmp`, file);
      await poll(async () => (await envOf('single')).V === '2', 15_000, () => w.log());
    } finally {
      expect(await w.stop()).toBe(0);
    }
  });

  it("makes one pass of an editor's save burst (backup rename, a new file written in pieces, backup deleted) with the default debounce", async () => {
    const file = h.write('burst/svc.yaml', serviceYaml('bursty', { env: { V: '1' } }));
    const w = start('burst');
    const changes = () => passes(w).filter((r) => r.trigger === 'change');
    try {
      await w.waitForRecord((r) => r.trigger === 'initial' && r.message.startsWith('reconciled'));
      for (let save = 2; save <= 3; save++) {
        // vim with 'writebackup': rename to a backup, write the new file, delete the backup.
        fs.renameSync(file, `${file}~`);
        const text = serviceYaml('bursty', { env: { V: String(save) } });
        const fd = fs.openSync(file, 'w');
        // Several writes, each its own file event (no pauses: a loaded machine could stretch
        // a pause past the debounce, and a writer that slow is not one save burst).
        for (let i = 0; i < text.length; i += Math.ceil(text.length / 4)) {
          fs.writeSync(fd, text.slice(i, i + Math.ceil(text.length / 4)));
          fs.fsyncSync(fd);
        }
        fs.closeSync(fd);
        fs.unlinkSync(`${file}~`);
        await poll(async () => (await envOf('bursty')).V === String(save), 15_000, () => w.log());
        await poll(() => changes().length >= save - 1, 15_000, () => w.log());
        // Give a stray second pass time to show up: there must not be one.
        await new Promise((r) => setTimeout(r, 500));
        expect(changes().length).toBe(save - 1);
      }
      expect(changes().map((r) => r.writes)).toEqual([1, 1]);
      expect(w.records().some((r) => Array.isArray(r.diagnostics))).toBe(false);
    } finally {
      expect(await w.stop()).toBe(0);
    }
  });

  it('puts back a change made behind its back within one resync period', async () => {
    h.write('drift/svc.yaml', serviceYaml('drifty', { env: { MODE: 'declared' } }));
    const w = start('drift', ['--resync', '1s', '--metrics-port', '0']);
    try {
      const url = (await w.waitForRecord((r) => typeof r.url === 'string')).url;
      await w.waitForRecord((r) => r.trigger === 'initial' && r.message.startsWith('reconciled'));
      const live = await get('drifty');
      live.template.containers[0].env = [{ name: 'MODE', value: 'hand-edited' }];
      const resyncs = () => passes(w).filter((r) => r.trigger === 'resync');
      const before = resyncs().length;
      const [op] = await h.clients.runServices().updateService({ service: live });
      await op.promise();
      await poll(async () => (await envOf('drifty')).MODE === 'declared', 15_000);
      const fix = await w.waitForRecord((r) => r.trigger === 'resync' && r.writes === 1);
      expect(fix.failed).toBe(0);
      // Within one resync period, counted in passes rather than seconds: of the resync
      // passes that end after the hand edit, at most the first (one already running, that
      // read the service before the edit) leaves it; the next one puts it back.
      const fixedBy = resyncs().findIndex((r) => r.writes === 1);
      expect(fixedBy).toBeGreaterThanOrEqual(before);
      expect(fixedBy - before).toBeLessThanOrEqual(1);
      expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/runctl_drift_corrections_total\{kind="Service"\} 1/);
    } finally {
      expect(await w.stop()).toBe(0);
    }
  });

  it('retries a failing resource with backoff without holding up the others', async () => {
    h.write('retry/one.yaml', serviceYaml('retry-one'));
    h.write('retry/two.yaml', serviceYaml('retry-two'));
    // The first create fails with a non-transient error; the second goes through.
    await fetch(`http://${h.emu.http}/__emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'Services.CreateService', code: 'PERMISSION_DENIED', times: 1 }),
    });
    const w = start('retry');
    try {
      const first = await w.waitForRecord((r) => r.trigger === 'initial' && r.message.startsWith('reconciled'));
      expect(first.failed).toBe(1);
      expect(first.writes).toBe(1);
      const retry = await w.waitForRecord((r) => typeof r.retryInMs === 'number');
      expect(retry.attempt).toBe(1);
      const again = await w.waitForRecord((r) => r.trigger === 'retry' && r.message.startsWith('reconciled'));
      expect(again.failed).toBe(0);
      expect(again.planned).toBe(1);
      for (const name of ['retry-one', 'retry-two']) expect((await get(name)).labels['managed-by']).toBe('runctl');
    } finally {
      expect(await w.stop()).toBe(0);
    }
  });

  it('deletes a removed document with --prune --yes, and refuses --prune without --yes', async () => {
    h.write('prune/keep.yaml', serviceYaml('prune-keep'));
    const gone = h.write('prune/gone.yaml', serviceYaml('prune-gone'));
    const refused = await h.cli(['watch', '-f', 'prune', '--prune']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/\[Refused\]/);
    const w = start('prune', ['--prune', '--yes']);
    try {
      await w.waitForRecord((r) => r.trigger === 'initial' && r.message.startsWith('reconciled'));
      fs.rmSync(gone);
      await poll(async () => !(await h.clients.runServices().listServices({ parent }))[0].some((s: any) => s.name.endsWith('/prune-gone')), 15_000);
      expect((await get('prune-keep')).name).toBe(`${parent}/services/prune-keep`);
    } finally {
      expect(await w.stop()).toBe(0);
    }
  });

  it('serves /readyz only after the first reconcile, and /metrics with the counters', async () => {
    const file = h.write('ops/svc.yaml', 'kind: Service\nmetadata: {name: ops}\nspec: {}\n');
    const w = start('ops', ['--metrics-port', '0']);
    try {
      const served = await w.waitForRecord((r) => typeof r.url === 'string');
      // Invalid from the start: nothing can be reconciled, so the loop is alive but not ready.
      await w.waitForRecord((r) => r.severity === 'ERROR' && Array.isArray(r.diagnostics));
      expect((await fetch(`${served.url}/healthz`)).status).toBe(200);
      const notReady = await fetch(`${served.url}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.text()).toMatch(/no valid manifests yet/);

      fs.writeFileSync(file, serviceYaml('ops'));
      await w.waitForRecord((r) => r.trigger === 'initial' && r.message.startsWith('reconciled'));
      expect((await fetch(`${served.url}/readyz`)).status).toBe(200);
      const metrics = await (await fetch(`${served.url}/metrics`)).text();
      expect(metrics).toMatch(/runctl_reconcile_passes_total\{trigger="initial",result="success"\} 1/);
      expect(metrics).toMatch(/runctl_reconciles_total\{kind="Service",outcome="applied"\} 1/);
      expect(metrics).toMatch(/runctl_reconcile_duration_seconds_count\{kind="Service"\} 1/);
      expect(metrics).toMatch(/runctl_manifest_errors_total 1/);
      expect(metrics).toMatch(/runctl_resources_managed\{kind="Service"\} 1/);
      expect(metrics).toMatch(/runctl_ready 1/);
      expect(metrics).toMatch(/# TYPE runctl_drift_corrections_total counter/);
      expect(metrics).toMatch(/# TYPE runctl_resources_out_of_sync gauge/);
      expect(metrics).toMatch(/# TYPE runctl_reconcile_errors_total counter/);
    } finally {
      expect(await w.stop()).toBe(0);
    }
  });

  it('refuses standard input and missing paths', async () => {
    expect((await h.cli(['watch', '-f', '-'])).stderr).toMatch(/\[Usage\]/);
    const missing = await h.cli(['watch', '-f', path.join('no', 'such', 'dir')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no such file or directory \[Usage\]/);
  });
});

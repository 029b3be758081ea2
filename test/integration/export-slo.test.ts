/**
 * Slos recognised from Monitoring parts made outside runctl: monitored services, SLOs,
 * burn-rate alert policies and channels created through the official Monitoring client
 * the way the console, gcloud and Terraform make them (their IDs and display names, no
 * runctl labels), then `runctl export slos` -> one minimal Slo per SLO (what it cannot
 * express listed at the top) -> the plan with --adopt changes labels only -> `apply
 * --adopt` writes only labels (counted, and every object compared before and after) ->
 * `diff` exits 0 and nothing is ever duplicated.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adoptCounted, expectConverged, startHarness, TRANSPORTS, type Harness } from '../helpers/harness';

const P = 'projects/local-project';
const REGION = 'europe-north1';
const RUN = `${P}/locations/${REGION}`;
type Obj = Record<string, any>;

/** A Cloud Run metric filter as people write it: `AND`-joined, in their own order. */
const runFilter = (metric: string, service: string, extra: string[] = []) =>
  [`resource.type="cloud_run_revision"`, `resource.labels.location="${REGION}"`, `resource.labels.service_name="${service}"`, `metric.type="run.googleapis.com/${metric}"`, ...extra].join(' AND ');
const burn = (slo: string, lookback: string, threshold: number, displayName: string) => ({
  displayName,
  conditionThreshold: { filter: `select_slo_burn_rate("${slo}", "${lookback}")`, comparison: 'COMPARISON_GT' as const, thresholdValue: threshold, duration: { seconds: 0 } },
});

describe.each(TRANSPORTS)('export and adopt Slos made in the console, with gcloud or Terraform (%s)', (transport) => {
  let h: Harness;
  let out: string;
  let other: string;
  let unexported = '';
  const ids: Obj = {};
  const sm = () => h.clients.monitoring('ServiceMonitoringServiceClient');
  const ap = () => h.clients.monitoring('AlertPolicyServiceClient');
  const nc = () => h.clients.monitoring('NotificationChannelServiceClient');
  const all = async <T>(it: AsyncIterable<T>) => {
    const xs: T[] = [];
    for await (const x of it) xs.push(x);
    return xs;
  };
  /** Every Monitoring object of the project, by name. */
  const world = async (): Promise<Map<string, Obj>> => {
    const objs: Obj[] = [];
    const services = (await all(sm().listServicesAsync({ parent: P }))) as Obj[];
    objs.push(...services);
    for (const s of services) objs.push(...((await all(sm().listServiceLevelObjectivesAsync({ parent: s.name }))) as Obj[]));
    objs.push(...((await all(ap().listAlertPoliciesAsync({ name: P }))) as Obj[]));
    objs.push(...((await all(nc().listNotificationChannelsAsync({ name: P }))) as Obj[]));
    return new Map(objs.map((o) => [o.name, o]));
  };
  /** An object without what every write renews (its labels, its mutation records). */
  const unlabelled = (o: Obj) => {
    const { userLabels: _l, mutationRecord: _m, mutationRecords: _ms, ...rest } = o;
    return rest;
  };

  beforeAll(async () => {
    h = await startHarness({ transport });
    for (const name of ['checkout', 'search']) {
      const [op] = await h.clients.runServices().createService({ parent: RUN, serviceId: name, service: { client: 'gcloud', template: { containers: [{ image: `gcr.io/acme/${name}:1` }] } } });
      await op.promise();
    }
    // The console: "Define service" on the Cloud Run candidate (a basic service, ID chosen by
    // the server), an SLO without an ID, an email channel and two burn-rate alerts.
    const [checkout] = await sm().createService({ parent: P, service: { displayName: 'checkout', basicService: { serviceType: 'CLOUD_RUN', serviceLabels: { service_name: 'checkout', location: REGION } } } });
    const [avail] = await sm().createServiceLevelObjective({
      parent: checkout.name!,
      serviceLevelObjective: {
        displayName: 'Checkout availability',
        userLabels: { team: 'checkout' },
        goal: 0.995,
        calendarPeriod: 'MONTH',
        serviceLevelIndicator: { requestBased: { goodTotalRatio: { badServiceFilter: runFilter('request_count', 'checkout', ['metric.labels.response_code_class="5xx"']), goodServiceFilter: runFilter('request_count', 'checkout', ['metric.labels.response_code_class="2xx"']) } } },
      },
    });
    const [oncall] = await nc().createNotificationChannel({ name: P, notificationChannel: { type: 'email', displayName: 'On-call', labels: { email_address: 'oncall@acme.example' } } });
    for (const [lookback, rate, title] of [['3600s', 10, 'Checkout fast burn'], ['21600s', 2, 'Checkout slow burn']] as const) {
      await ap().createAlertPolicy({ name: P, alertPolicy: { displayName: title, combiner: 'OR', conditions: [burn(avail.name!, lookback, rate, `Burn rate above ${rate}`)], notificationChannels: [oncall.name!] } });
    }
    // The console's latency SLO for a Cloud Run service: a basic SLI (no filters).
    const [fast] = await sm().createServiceLevelObjective({
      parent: checkout.name!,
      serviceLevelObjectiveId: 'checkout-latency',
      serviceLevelObjective: { displayName: 'Checkout latency', goal: 0.9, rollingPeriod: { seconds: 28 * 86400 }, serviceLevelIndicator: { basicSli: { latency: { threshold: { nanos: 500_000_000 } } } } },
    });
    await ap().createAlertPolicy({ name: P, alertPolicy: { displayName: 'Checkout slow responses', combiner: 'OR', conditions: [burn(fast.name!, '3600s', 5, 'Burn rate above 5')], notificationChannels: [oncall.name!] } });
    // Terraform: a custom service with an SLO it names, a latency SLI, a multi-window alert
    // (two burn-rate conditions joined by AND) with documentation and a severity, notifying
    // email and Slack; and a budget alert on the same SLO.
    const [search] = await sm().createService({ parent: P, serviceId: 'search-custom', service: { displayName: 'Search', custom: {} } });
    const [latency] = await sm().createServiceLevelObjective({
      parent: search.name!,
      serviceLevelObjectiveId: 'search-latency',
      serviceLevelObjective: {
        displayName: 'Search p95 under 300ms',
        goal: 0.95,
        rollingPeriod: { seconds: 7 * 86400 },
        serviceLevelIndicator: { requestBased: { distributionCut: { distributionFilter: runFilter('request_latencies', 'search'), range: { max: 300 } } } },
      },
    });
    const [team] = await nc().createNotificationChannel({ name: P, notificationChannel: { type: 'email', displayName: 'Search team', labels: { email_address: 'search@acme.example' } } });
    const [slack] = await nc().createNotificationChannel({ name: P, notificationChannel: { type: 'slack', displayName: 'Slack #search', labels: { channel_name: '#search' } } });
    await ap().createAlertPolicy({
      name: P,
      alertPolicy: {
        displayName: 'Search latency burn',
        combiner: 'AND',
        conditions: [burn(latency.name!, '3600s', 5, 'long window'), burn(latency.name!, '300s', 5, 'short window')],
        notificationChannels: [team.name!, slack.name!],
        documentation: { content: 'Check the search index.', mimeType: 'text/markdown' },
        severity: 'WARNING',
      },
    });
    await ap().createAlertPolicy({
      name: P,
      alertPolicy: { displayName: 'Search budget half gone', combiner: 'OR', conditions: [{ displayName: 'budget', conditionThreshold: { filter: `select_slo_budget_fraction("${latency.name}")`, comparison: 'COMPARISON_LT' as const, thresholdValue: 0.5, duration: { seconds: 0 } } }] },
    });
    // A windows-based SLO (no Slo expresses it), under the console's service.
    const [windows] = await sm().createServiceLevelObjective({
      parent: checkout.name!,
      serviceLevelObjectiveId: 'checkout-windows',
      serviceLevelObjective: {
        displayName: 'Checkout good minutes',
        goal: 0.99,
        rollingPeriod: { seconds: 86400 },
        serviceLevelIndicator: { windowsBased: { windowPeriod: { seconds: 60 }, goodTotalRatioThreshold: { threshold: 0.9, performance: { goodTotalRatio: { goodServiceFilter: runFilter('request_count', 'checkout', ['metric.labels.response_code_class="2xx"']), totalServiceFilter: runFilter('request_count', 'checkout') } } } } },
      },
    });
    // A custom service measuring something else than Cloud Run: no Slo stands for its SLO.
    const [batch] = await sm().createService({ parent: P, serviceId: 'batch', service: { displayName: 'Batch jobs', custom: {} } });
    await sm().createServiceLevelObjective({
      parent: batch.name!,
      serviceLevelObjectiveId: 'batch-success',
      serviceLevelObjective: { goal: 0.9, rollingPeriod: { seconds: 86400 }, serviceLevelIndicator: { requestBased: { goodTotalRatio: { goodServiceFilter: 'metric.type="custom.googleapis.com/batch/ok"', totalServiceFilter: 'metric.type="custom.googleapis.com/batch/all"' } } } },
    });
    Object.assign(ids, { checkout: checkout.name, avail: avail.name, oncall: oncall.name, search: search.name, latency: latency.name, team: team.name, slack: slack.name, windows: windows.name });

    out = path.join(h.dir, 'exported');
    other = path.join(h.dir, 'windows');
    const avId = String(avail.name).split('/').pop()!;
    const list = await h.cli(['export', 'slos', '-o', 'json']);
    expect(list.code, list.stderr).toBe(0);
    const names = (JSON.parse(list.stdout) as Obj[]).filter((m) => m.kind === 'Slo').map((m) => m.metadata.name);
    expect(names).toHaveLength(4);
    unexported = list.stderr;
    const availName = (JSON.parse(list.stdout) as Obj[]).find((m) => m.spec.sloId === avId)!.metadata.name;
    const r = await h.cli(['export', 'slos', availName, 'checkout-latency', 'search-latency', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect((await h.cli(['export', 'slos', 'checkout-windows', '--out', other])).code).toBe(0);
  }, 120_000);
  afterAll(async () => h?.close());

  const docs = (dir: string) => fs.readdirSync(dir).map((f) => ({ file: f, text: fs.readFileSync(path.join(dir, f), 'utf8'), doc: YAML.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Obj }));
  const header = (text: string) => text.split('\n').filter((l) => l.startsWith('#')).join('\n');

  it("exports one minimal Slo per SLO, with the console's IDs and display names, and the Services they measure", () => {
    const files = docs(out);
    expect(files.map((f) => `${f.doc.kind}/${f.doc.spec.service ?? f.doc.metadata.name}`).sort()).toEqual(['Service/checkout', 'Service/search', 'Slo/checkout', 'Slo/checkout', 'Slo/search']);
    const avail = files.find((f) => f.doc.kind === 'Slo' && f.doc.spec.sloId)!.doc;
    expect(avail.metadata).toEqual({ name: expect.stringMatching(/^slo-[a-z0-9-]+$/), labels: { team: 'checkout' } });
    expect(avail.spec).toEqual({
      service: 'checkout',
      displayName: 'Checkout availability',
      sloId: String(ids.avail).split('/').pop(),
      monitoredService: String(ids.checkout).split('/').pop(),
      availability: { goal: 0.995, window: 'calendar-month' },
      alerts: [
        { burnRate: 10, lookback: '1h', notify: ['email:oncall@acme.example'], displayName: 'Checkout fast burn' },
        { burnRate: 2, lookback: '6h', notify: ['email:oncall@acme.example'], displayName: 'Checkout slow burn' },
      ],
    });
    expect(files.find((f) => f.doc.metadata.name === 'checkout-latency')!.doc.spec).toEqual({
      service: 'checkout',
      displayName: 'Checkout latency',
      monitoredService: String(ids.checkout).split('/').pop(),
      latency: { threshold: '500ms', goal: 0.9, window: '28d', basic: true },
      alerts: [{ burnRate: 5, lookback: '1h', notify: ['email:oncall@acme.example'], displayName: 'Checkout slow responses' }],
    });
    const search = files.find((f) => f.doc.kind === 'Slo' && f.doc.spec.service === 'search')!;
    expect(search.doc).toEqual({
      apiVersion: 'runctl.dev/v1alpha1',
      kind: 'Slo',
      metadata: { name: 'search-latency' },
      spec: {
        service: 'search',
        displayName: 'Search p95 under 300ms',
        monitoredService: 'search-custom',
        latency: { threshold: '300ms', goal: 0.95, window: '7d' },
        alerts: [{ burnRate: 5, lookback: '1h', notify: ['email:search@acme.example'], displayName: 'Search latency burn' }],
      },
    });
    for (const f of files) expect(YAML.stringify(f.doc), f.file).not.toMatch(/managed-by|runctl-/);
    expect(fs.readdirSync(out).sort()).toContain('service-checkout.yaml');
  });

  it('names on stderr an SLO that measures no Cloud Run service, and does not export it', () => {
    expect(unexported).toMatch(/not exported: SLO "batch-success" .*batch-success\) of monitored service "Batch jobs": it measures no Cloud Run service/);
  });

  it('lists at the top what a Slo cannot express: nothing for the console group, the rest for the others', () => {
    const files = docs(out);
    for (const console of files.filter((f) => f.doc.kind === 'Slo' && f.doc.spec.service === 'checkout')) expect(header(console.text), console.file).not.toContain('Not expressible');
    const search = header(files.find((f) => f.doc.metadata.name === 'search-latency')!.text);
    for (const what of ['condition "short window"', 'joined by AND: kept', 'documentation: kept', 'severity WARNING: kept', '"Slack #search" (type slack', '"Search budget half gone"', 'not its burn rate']) {
      expect(search).toContain(what);
    }
    const windows = header(docs(other).find((f) => f.doc.kind === 'Slo')!.text);
    expect(windows).toContain('serviceLevelIndicator: a windows-based SLI (windows of 60s, goodTotalRatioThreshold)');
    expect(windows).toContain('Not expressible in this manifest, and applying it changes them (diff shows them):');
    expect(windows).toContain('applying it replaces the SLI with that');
  });

  it('what applying would change shows in diff: the windows-based SLO is blocked without --adopt, and with it the SLI is replaced', async () => {
    expect((await h.cli(['diff', '-f', other])).code).toBe(1);
    const plan = await h.cli(['diff', '-f', other, '--adopt', '-o', 'json']);
    expect(plan.code, plan.stderr).toBe(2);
    const slo = (JSON.parse(plan.stdout).entries as Obj[]).find((e) => e.kind === 'Slo')!;
    expect(slo.children.find((c: Obj) => c.name.startsWith('serviceLevelObjective')).changes.map((c: Obj) => c.path).join(' ')).toMatch(/slo\.serviceLevelIndicator/);
  });

  it('without --adopt: diff exits 0 and marks each Slo not managed; apply writes nothing to them', async () => {
    const json = await h.cli(['diff', '-f', out, '-o', 'json']);
    expect(json.code, json.stdout + json.stderr).toBe(0);
    const entries = JSON.parse(json.stdout).entries as Obj[];
    expect(entries.filter((e) => e.kind === 'Slo')).toHaveLength(3);
    for (const e of entries) expect(e, e.key).toMatchObject({ action: 'noop', unowned: { adoptable: true } });
    const before = await world();
    await h.resetStats();
    const applied = await h.cli(['apply', '-f', out]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toContain('Slo/search-latency (unchanged: not managed by runctl, not written');
    expect((await h.stats()).writes).toBe(0);
    expect(await world()).toEqual(before);
  });

  it('a manifest that differs from the parts made elsewhere stays blocked without --adopt', async () => {
    const file = docs(out).find((f) => f.doc.metadata.name === 'search-latency')!;
    const changed = path.join(h.dir, 'changed');
    fs.mkdirSync(changed, { recursive: true });
    for (const f of docs(out)) fs.writeFileSync(path.join(changed, f.file), f.text);
    fs.writeFileSync(path.join(changed, file.file), YAML.stringify({ ...file.doc, spec: { ...file.doc.spec, latency: { ...file.doc.spec.latency, goal: 0.9 } } }));
    const diff = await h.cli(['diff', '-f', changed]);
    expect(diff.code).toBe(1);
    expect(diff.stdout + diff.stderr).toMatch(/Slo\/search-latency[^\n]*(NotOwned|--adopt)|NotOwned[^\n]*Slo\/search-latency/);
  });

  it('the plan with --adopt changes labels only; apply --adopt writes only labels, once per object; then diff exits 0', async () => {
    const plan = await h.cli(['diff', '-f', out, '--adopt', '-o', 'json']);
    expect(plan.code, plan.stderr).toBe(2);
    const entries = JSON.parse(plan.stdout).entries as Obj[];
    for (const e of entries) {
      expect(e.changes.map((c: Obj) => c.path).filter((p: string) => !p.startsWith('metadata.labels')), e.key).toEqual([]);
      for (const c of e.children ?? []) {
        expect(c.action, `${e.key} ${c.name}`).toBe('update');
        expect((c.changes ?? []).map((x: Obj) => x.path).filter((p: string) => !/\.userLabels/.test(p)), `${e.key} ${c.name}`).toEqual([]);
      }
    }

    const before = await world();
    const { writes, stats } = await adoptCounted(h, out);
    expect(writes).toEqual({
      'Services.UpdateService': 2, // the Cloud Run services' labels
      'ServiceMonitoringService.UpdateService': 2, // the monitored services
      'ServiceMonitoringService.UpdateServiceLevelObjective': 3,
      'AlertPolicyService.UpdateAlertPolicy': 4, // the burn-rate alerts; the budget alert is not the Slo's
      'NotificationChannelService.UpdateNotificationChannel': 2, // the email channels; Slack is kept as it is
    });
    expect(stats.writes).toBe(13);

    // Every object is as it was but for its labels; nothing was made or removed.
    const after = await world();
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    const owned = { 'managed-by': 'runctl', 'runctl-set': 'default' };
    for (const [name, o] of after) {
      expect(unlabelled(o), name).toEqual(unlabelled(before.get(name)!));
      const untouched = [ids.slack, ids.windows].includes(name) || o.displayName === 'Search budget half gone' || name.includes('/services/batch');
      if (untouched) expect(o.userLabels ?? {}, name).toEqual(before.get(name)!.userLabels ?? {});
      else expect(o.userLabels, name).toMatchObject(owned);
      // Labels are ownership marks only: the SLO's own label is not copied onto its policies.
      if (String(o.displayName).startsWith('Checkout ') && name.includes('alertPolicies')) expect(o.userLabels.team, name).toBeUndefined();
    }

    await expectConverged(h, out);
    expect([...(await world()).keys()].sort()).toEqual([...before.keys()].sort());
  });

  it('once adopted, the Slos are managed: exported again they are the same manifests, and a change is planned in place', async () => {
    const again = path.join(h.dir, 'again');
    const names = docs(out).filter((f) => f.doc.kind === 'Slo').map((f) => f.doc.metadata.name);
    expect((await h.cli(['export', 'slos', ...names, '--out', again])).code).toBe(0);
    for (const f of docs(out).filter((x) => x.doc.kind === 'Slo')) {
      const g = docs(again).find((x) => x.doc.metadata.name === f.doc.metadata.name)!;
      expect(g.doc, f.file).toEqual(f.doc);
      expect(header(g.text)).toContain('already managed by runctl set "default"');
    }
    // `export --all` recognises them too, as the same manifests, next to the Services they measure.
    const everything = await h.cli(['export', '--all', '-o', 'json']);
    expect(everything.code, everything.stderr).toBe(0);
    const byKey = new Map((JSON.parse(everything.stdout) as Obj[]).map((m) => [`${m.kind}/${m.metadata.name}`, m]));
    for (const f of docs(out)) expect(byKey.get(`${f.doc.kind}/${f.doc.metadata.name}`), f.file).toEqual(f.doc);
    // A changed burn rate updates the adopted policy in place, keeping what runctl does not model.
    const file = docs(out).find((f) => f.doc.metadata.name === 'search-latency')!;
    file.doc.spec.alerts[0].burnRate = 6;
    fs.writeFileSync(path.join(out, file.file), YAML.stringify(file.doc));
    expect((await h.cli(['apply', '-f', out])).code).toBe(0);
    const pols = (await all(ap().listAlertPoliciesAsync({ name: P }))) as Obj[];
    const p = pols.find((x) => x.displayName === 'Search latency burn')!;
    expect(pols).toHaveLength(5);
    expect(p.conditions.map((c: Obj) => [c.displayName, c.conditionThreshold.thresholdValue])).toEqual([['long window', 6], ['short window', 5]]);
    expect(p).toMatchObject({ combiner: 'AND', severity: 'WARNING', documentation: { content: 'Check the search index.' } });
    expect([...p.notificationChannels].sort()).toEqual([ids.team, ids.slack].sort());
    // A basic SLI's threshold is written as the API takes it (a Duration).
    const lat = docs(out).find((f) => f.doc.metadata.name === 'checkout-latency')!;
    lat.doc.spec.latency.threshold = '300ms';
    fs.writeFileSync(path.join(out, lat.file), YAML.stringify(lat.doc));
    const applied = await h.cli(['apply', '-f', out]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const [slo] = await sm().getServiceLevelObjective({ name: `${ids.checkout}/serviceLevelObjectives/checkout-latency` });
    expect(slo.serviceLevelIndicator!.basicSli!.latency!.threshold).toMatchObject({ nanos: 300_000_000 });
    expect(slo.displayName).toBe('Checkout latency');
    expect((await h.cli(['diff', '-f', out])).code).toBe(0);
  });

  it('renamed (its sloId kept), an adopted Slo keeps its SLO and policies: they are relabelled, never duplicated, and --prune deletes nothing', async () => {
    const file = docs(out).find((f) => f.doc.kind === 'Slo' && f.doc.spec.sloId)!;
    fs.rmSync(path.join(out, file.file));
    fs.writeFileSync(path.join(out, 'slo-checkout-availability.yaml'), YAML.stringify({ ...file.doc, metadata: { ...file.doc.metadata, name: 'checkout-availability' } }));
    const before = await world();
    const plan = await h.cli(['diff', '-f', out, '-o', 'json']);
    expect(plan.code, plan.stderr).toBe(2);
    const entry = (JSON.parse(plan.stdout).entries as Obj[]).find((e) => e.key === 'Slo/checkout-availability')!;
    expect(entry.changes).toEqual([]);
    expect(entry.children.map((c: Obj) => [c.name.split(' ')[0], c.action])).toEqual([['alertPolicy', 'update'], ['alertPolicy', 'update']]);
    for (const c of entry.children) expect(c.changes.every((x: Obj) => x.path.startsWith('alertPolicy.userLabels.runctl-')), c.name).toBe(true);
    const applied = await h.cli(['apply', '-f', out, '--prune', '--yes']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toContain('0 to delete');
    expect(applied.stdout).not.toMatch(/^- /m);
    expect([...(await world()).keys()].sort()).toEqual([...before.keys()].sort());
    expect((await h.cli(['diff', '-f', out])).code).toBe(0);
  });
});

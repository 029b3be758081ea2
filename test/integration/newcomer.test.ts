/**
 * The newcomer test (issue 11, acceptance 2): every command README.md shows, run as
 * written — by bash, in a fresh copy of the repository's user-facing files (README.md,
 * manifests/, examples/), on the embedded emulator — with its documented exit code and
 * key lines.
 *
 * The commands are read from README.md (`test/helpers/readme.ts`), and STEPS below must
 * name exactly those commands: a command added to the README without a step here, or a
 * step whose command left the README, fails the test. Steps assert exit codes and a few
 * key lines, never whole outputs, so wording can change without breaking the test.
 *
 * Two liberties, both mechanical: `npx runctl` runs this checkout's build
 * (`dist/src/cli/main.js`, as `npx` does after `npm ci`) instead of asking the registry,
 * and the fixed ports of the examples (8085/8086, 9090) are swapped for free ones so that
 * parallel test runs do not collide.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-root';
import { commandKey, quickStartCount, readmeCommands, type ReadmeCommand } from '../helpers/readme';
import { poll } from '../helpers/loop-runner';

const ROOT = packageRoot();
const BIN = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const COMMANDS = readmeCommands(README);
/** How many resources the quick start's manifests/ holds (it grows with the journey). */
const N = quickStartCount(ROOT);

/** `npx runctl ...` runs the build; any other npx is refused (nothing is fetched). */
const SHIM = `npx() { if [ "$1" = runctl ]; then shift; $RUNCTL_EXEC node "$RUNCTL_BIN" "$@"; else echo "npx $1: not available offline" >&2; return 127; fi; }`;

interface Ctx {
  /** The current copy of the repository (the shell's working directory). */
  dir: string;
  /** Free ports standing in for 8085 (gRPC; HTTP is +1) and 9090. */
  ports: { emu: number; metrics: number };
}

interface Run {
  /** Exit code (for `cmd ; echo $?`, the README's last shown line is checked instead). */
  code?: number;
  /** Lines (or patterns) that must appear in stdout + stderr. */
  lines?: Array<string | RegExp>;
  /** Start in a fresh copy of the repository (a journey that starts from nothing). */
  fresh?: boolean;
  /** What the README's prose says happens before the command. */
  before?: (ctx: Ctx) => Promise<void> | void;
  /** Long-running: started, checked once `ready` appears, then stopped with SIGTERM. */
  daemon?: { ready: RegExp; check?: (ctx: Ctx, out: string) => Promise<void>; exitCode?: number };
}
type Step = Run | { skip: string };

const NEEDS_CLOUD = 'needs a real Google Cloud project and Application Default Credentials';
const PACKAGE_TEST = 'needs a clone to pack; test/integration/package.test.ts packs, installs (locally, globally, through npx) and runs the package';
const NEEDS_GCLOUD = 'needs gcloud, which is not installed where the tests run; the REST surface it uses is tested through the official clients (test/emulator/transports.test.ts, test/emulator/rest-discovery.test.ts)';
const NEEDS_DOCKER = 'needs Docker and a pullable base image, which CI has not; test/unit/docker-image.test.ts checks the Dockerfile and its build context, and test/integration/package.test.ts runs its entrypoint, default command and health check from the installed package';
const S = {
  top: '',
  quick: 'Quick start',
  install: 'Two ways to run runctl: from a clone, or installed',
  cli: 'Command line',
  precedence: 'The manifest wins: project and region',
  singleWriter: 'The embedded emulator: one writer per directory',
  project: 'Pointing runctl at a project',
  transport: 'gRPC or REST: `--transport`',
  transports: 'Two transports: gRPC and REST/JSON',
  errors: 'Errors: one line each',
  watch: 'Watch: apply on every change',
  sync: 'Sync: GitOps from a Git repository',
  controller: 'Running runctl as a controller on Cloud Run',
  gradio: 'The Gradio journey: a load balancer and a bucket',
  prod: 'The production journey: trusted images, an SLO, Gemma on a GPU',
  canary: 'Walkthrough',
  time: 'Time: Google Cloud, the embedded emulator, a standalone emulator',
  traffic: "The emulator's traffic model",
  bench: 'Performance: benchmarks',
  reliability: 'Reliability: what runctl guarantees when things fail',
  emulator: 'The emulator',
  dev: 'Development',
  repository: 'Repository',
  adopt: 'Adopting what already runs',
};

const emulatorLine = (ctx: Ctx) => `{"grpc":"127.0.0.1:${ctx.ports.emu}","http":"127.0.0.1:${ctx.ports.emu + 1}"}`;
const emulatorDaemon = (check?: (ctx: Ctx, out: string) => Promise<void>): Run => ({
  daemon: { ready: /"grpc":"127\.0\.0\.1:\d+"/, check: async (ctx, out) => {
    expect(out.split('\n')[0]).toBe(emulatorLine(ctx));
    await check?.(ctx, out);
  } },
});

/** Every README command, keyed `section » command`, in README order. */
const STEPS: Record<string, Step> = {
  [`${S.top} » npm ci && npx runctl apply -f manifests/`]: { skip: 'npm ci is how this checkout was made; its apply is the quick start below' },
  [`${S.top} » npm test`]: { skip: 'this test runs inside npm test' },

  [`${S.quick} » npx runctl apply -f manifests/`]: {
    fresh: true,
    code: 0,
    lines: [/^Target: embedded emulator .* · project local-project$/m, '+ GpuModel/ollama-gemma [local-project/europe-west4] (create)', '+ Slo/jokes-availability [local-project] (create)',
      `Plan: ${N} to create, 0 to update, 0 to delete, 0 unchanged.`, /^✓ Policy\/default \(created\)$/m, /^✓ Service\/jokes \(created\): https:\/\/jokes-\S+\.a\.run\.app$/m,
      `Apply complete: ${N} created, 0 updated, 0 deleted, 0 unchanged, 0 failed, 0 skipped.`],
  },
  [`${S.quick} » npx runctl apply -f manifests/ #2`]: { code: 0, lines: ['No changes. The live state matches the manifests.', `Plan: 0 to create, 0 to update, 0 to delete, ${N} unchanged.`] },
  [`${S.quick} » npx runctl diff -f manifests/ ; echo $?`]: {},
  // A newcomer's copy holds no sources to pack; test/integration/package.test.ts packs a
  // copy of the repository and runs exactly these with the tarball.
  [`${S.install} » npm pack`]: { skip: PACKAGE_TEST },
  [`${S.install} » npm install -g ./runctl-0.1.0.tgz`]: { skip: PACKAGE_TEST },
  [`${S.install} » runctl --version`]: { skip: PACKAGE_TEST },
  [`${S.install} » npx --package ./runctl-0.1.0.tgz runctl validate -f manifests/`]: { skip: PACKAGE_TEST },
  [`${S.cli} » npx runctl <verb>`]: { skip: 'a placeholder for the verbs below' },
  [`${S.cli} » npx runctl validate -f examples/mistakes/bad.yaml`]: { code: 1, lines: ['2 problems found.'] },
  // A flag that contradicts a manifest is refused, naming file:line and both values.
  [`${S.precedence} » npx runctl diff -f manifests/ --region europe-north1`]: { code: 1, lines: [/\[Usage\]$/m] },
  [`${S.singleWriter} » npx runctl apply -f manifests/extra.yaml`]: {
    skip: 'shows a second command attaching while another one runs; test/integration/embedded-single-writer.test.ts runs that with two processes',
  },
  [`${S.project} » gcloud auth application-default login`]: { skip: NEEDS_CLOUD },
  [`${S.project} » npx runctl diff -f manifests/ --project my-proj`]: { skip: NEEDS_CLOUD },
  [`${S.project} » npx runctl apply -f manifests/ --project my-proj`]: { skip: NEEDS_CLOUD },
  [`${S.transport} » npx runctl apply -f manifests/ --transport rest`]: { fresh: true, code: 0, lines: [/^Target: embedded emulator /m, `Apply complete: ${N} created, 0 updated, 0 deleted, 0 unchanged, 0 failed, 0 skipped.`] },
  [`${S.transport} » RUNCTL_TRANSPORT=rest npx runctl diff -f manifests/`]: { code: 0, lines: ['No changes. The live state matches the manifests.'] },
  // No Application Default Credentials in the newcomer's shell (its HOME is empty): one line.
  [`${S.errors} » npx runctl diff -f manifests/ --project my-proj`]: { code: 1, lines: [/gcloud auth application-default login.*\[NoCredentials\]$/m] },
  // Nothing listens on the (swapped) emulator port: a progress line, then one error naming it.
  [`${S.errors} » RUNCTL_EMULATOR_HOST=127.0.0.1:8085 npx runctl diff -f manifests/`]: { code: 1, lines: [/^waiting for the emulator at 127\.0\.0\.1:\d+/m, /is "runctl emulator --port \d+" running\? \[Unreachable\]$/m] },
  [`${S.adopt} » npx runctl apply -f manifests/nightly-report.yaml -f manifests/repositories.yaml -f manifests/accounts.yaml`]: { fresh: true, code: 0, lines: ['Service/nightly-report'] },
  [`${S.adopt} » npx runctl export services --out exported/`]: { code: 0, lines: [/wrote exported\/service-nightly-report\.yaml/] },
  [`${S.adopt} » npx runctl diff -f exported/`]: { code: 0, lines: ['No changes. The live state matches the manifests.'] },
  [`${S.adopt} » npx runctl apply -f exported/ --adopt`]: { code: 0 },
  [`${S.adopt} » npx runctl convert -f examples/knative/jokes.yaml --out converted/`]: { code: 0, lines: [/examples\/knative\/jokes\.yaml:\d+:\d+: .*cloudsql-instances/, 'converted 1 manifest(s)'] },
  [`${S.adopt} » npx runctl validate -f converted/`]: { code: 0, lines: ['1 resource valid: Service/jokes'] },
  [`${S.watch} » npx runctl watch -f manifests/ --resync 10m --metrics-port 9090`]: {
    daemon: {
      ready: /reconciled: /,
      exitCode: 0,
      check: async (ctx, out) => {
        expect(out).toContain(`serving /healthz, /readyz and /metrics on http://127.0.0.1:${ctx.ports.metrics}`);
        expect(out).toMatch(/watching manifests/);
        const ready = await fetch(`http://127.0.0.1:${ctx.ports.metrics}/readyz`);
        expect(ready.status).toBe(200);
        expect(await (await fetch(`http://127.0.0.1:${ctx.ports.metrics}/metrics`)).text()).toContain('runctl_ready 1');
      },
    },
  },
  [`${S.sync} » npx runctl sync --repo https://github.com/acme/deploy.git --ref main --path prod --interval 1m --prune --yes --project my-proj --set prod`]: {
    skip: `${NEEDS_CLOUD}, and a repository on github.com (test/integration/sync.test.ts runs sync on local repositories)`,
  },
  [`${S.controller} » rm -f runctl-*.tgz && npm pack`]: { skip: PACKAGE_TEST },
  [`${S.controller} » docker build -t europe-north1-docker.pkg.dev/my-proj/tools/runctl:0.1.0 .`]: { skip: NEEDS_DOCKER },
  [`${S.controller} » docker push europe-north1-docker.pkg.dev/my-proj/tools/runctl:0.1.0`]: { skip: NEEDS_DOCKER },
  [`${S.controller} » docker run --rm -p 8080:8080 -v "$PWD:/repo:ro" europe-north1-docker.pkg.dev/my-proj/tools/runctl:0.1.0`]: { skip: NEEDS_DOCKER },
  [`${S.controller} » npx runctl apply -f examples/runctl-controller.yaml --project my-proj --set runctl-system`]: { skip: NEEDS_CLOUD },

  [`${S.gradio} » npx runctl apply -f manifests/`]: {
    fresh: true,
    code: 0,
    lines: ['+ Volume/gradio-data [local-project] (create)', '+ LoadBalancer/gradio-lb [local-project] (create)', '    + sslCertificate gradio-lb-cert-da6f2a92 (create)',
      /^✓ Volume\/gradio-data \(created\): gs:\/\/local-project-gradio-data$/m, /^✓ LoadBalancer\/gradio-lb \(created\): https:\/\/gradio\.example\.com\/$/m],
  },
  [`${S.gradio} » npx runctl get loadbalancer gradio-lb -o yaml`]: { code: 0, lines: ['status:', /^ {2}ip: \d+\.\d+\.\d+\.\d+$/m, '  url: https://gradio.example.com/', '    gradio.example.com: ACTIVE'] },
  [`${S.gradio} » npx runctl diff -f manifests/`]: {
    // "Add a domain and the plan shows exactly what happens, in order"
    before: (ctx) => edit(ctx, 'manifests/gradio-lb.yaml', 'domains: [gradio.example.com]', 'domains: [gradio.example.com, www.gradio.example.com]'),
    code: 2,
    lines: ['~ LoadBalancer/gradio-lb [local-project] (update)', '+ spec.domains.1: "www.gradio.example.com"', '~ targetHttpsProxy gradio-lb-https-proxy (update)', '- sslCertificate gradio-lb-cert-da6f2a92 (delete)'],
  },
  [`${S.gradio} » npx runctl delete -f manifests/ --yes`]: { code: 0, lines: ['- LoadBalancer/gradio-lb [local-project] (delete)', new RegExp(`^Delete complete: ${N} deleted`, 'm')] },

  [`${S.prod} » npx runctl apply -f manifests/`]: {
    fresh: true,
    code: 0,
    lines: ['+ Policy/default [local-project] (create)', '# attestor projects/local-project/attestors/built-by-cloud-build does not exist yet', '    + spec.env: {"LOG_LEVEL":"info","OLLAMA_URI":"(known after apply)/api/generate"}',
      '    + monitoredService run-jokes-europe-north1 (Cloud Run jokes in europe-north1) (create)', /^✓ GpuModel\/ollama-gemma \(created\): https:/m, /^✓ Service\/jokes \(created\): https:/m],
  },
  [`${S.prod} » npx runctl diff -f manifests/ ; echo $?`]: {
    // "Someone loosens the policy by hand": through the emulator's Binary Authorization API, on the same state.
    before: (ctx) => withStandaloneEmulator(ctx, async (http) => {
      const url = `http://${http}/v1/projects/local-project/policy`;
      const policy = (await (await fetch(url)).json()) as any;
      policy.defaultAdmissionRule = { evaluationMode: 'ALWAYS_ALLOW', enforcementMode: 'ENFORCED_BLOCK_AND_AUDIT_LOG' };
      const res = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(policy) });
      expect(res.status).toBe(200);
    }),
    lines: ['~ Policy/default [local-project] (update)', '    ~ spec.defaultRule.evaluationMode: "ALWAYS_ALLOW" → "REQUIRE_ATTESTATION"'],
  },
  [`${S.prod} » npx runctl apply -f examples/mistakes/untrusted.yaml`]: {
    before: (ctx) => expect(sh(ctx, 'npx runctl apply -f manifests/').code).toBe(0), // "apply puts them back"
    code: 1,
    lines: [/^✗ Service\/app: .*is not authorized by policy 'projects\/local-project\/policy'/m],
  },
  [`${S.prod} » npx runctl emulator --port 8085 --attested europe-north1-docker.pkg.dev/local-project/untrusted/app:1`]: emulatorDaemon(async (ctx) => {
    const res = (await (await fetch(`http://127.0.0.1:${ctx.ports.emu + 1}/__emulator/attestations`)).json()) as { images: string[] };
    expect(res.images).toEqual(['europe-north1-docker.pkg.dev/local-project/untrusted/app:1']);
  }),
  [`${S.prod} » curl -X POST 127.0.0.1:8086/__emulator/attestations -d '{"images": ["IMAGE"]}'`]: {
    before: (ctx) => startDaemon(ctx, 'npx runctl emulator --port 8085', /"grpc"/),
    code: 0,
    lines: ['"IMAGE"'],
  },
  [`${S.prod} » npx runctl validate -f examples/mistakes/bad-model.yaml`]: { code: 1, lines: ['4 problems found.'] },

  [`${S.canary} » cp -r examples/canary canary-demo`]: { fresh: true, code: 0 },
  [`${S.canary} » npx runctl apply -f canary-demo/`]: { code: 0, lines: ['+ Service/jokes-canary [local-project/europe-north1] (create)', /^Apply complete: 2 created/m] },
  [`${S.canary} » sed -i 's|jokes:1.0.0|jokes:1.1.0|' canary-demo/jokes-canary.yaml`]: { code: 0 },
  [`${S.canary} » npx runctl apply -f canary-demo/ #2`]: {
    code: 0,
    lines: ['~ spec.image: "europe-north1-docker.pkg.dev/local-project/jokes/jokes:1.0.0" → "europe-north1-docker.pkg.dev/local-project/jokes/jokes:1.1.0"', /step 1\/3: 10% of traffic to jokes-canary-\S+ \(tag next\)/, /promoting jokes-canary-\S+: 100% of traffic, tag good/,
      /^✓ Service\/jokes-canary \(updated\): https:/m, 'Apply complete: 0 created, 1 updated, 0 deleted, 1 unchanged, 0 failed, 0 skipped.'],
  },
  [`${S.canary} » sed -i 's|jokes/jokes:1.1.0|jokes/jokes-failing:1.2.0|' canary-demo/jokes-canary.yaml`]: { code: 0 },
  [`${S.canary} » npx runctl apply -f canary-demo/; echo "exit $?"`]: { lines: [/gate failed at step 1\/3/, /^✗ Service\/jokes-canary: rollout of \S+ failed at step 1\/3 .*rolled back: 100% of traffic is on \S+ \(tag good\)$/m] },
  [`${S.canary} » npx runctl rollout status jokes-canary -f canary-demo/`]: { code: 0, lines: ['Service/jokes-canary [local-project/europe-north1]', /^Rollout of jokes-canary-\S+: failed, ended at step 1\/3$/m, /^ {2}jokes-canary-\S+ +100% +good$/m, /^ {2}jokes-canary-\S+ +0% +next$/m] },

  [`${S.time} » npx runctl emulator --port 8085`]: emulatorDaemon(),
  [`${S.time} » curl -X POST 127.0.0.1:8086/__emulator/clock/advance -d '{"seconds": 300}'`]: {
    before: (ctx) => startDaemon(ctx, 'npx runctl emulator --port 8085', /"grpc"/),
    code: 0,
    lines: [/^\{"now":"\d{4}-\d\d-\d\dT/m],
  },
  // The prose says a standalone emulator runs and the repository exists (the manifests made it).
  [`${S.repository} » curl -s -X POST http://127.0.0.1:8086/__emulator/artifact-registry/push -d '{"image": "europe-north1-docker.pkg.dev/local-project/jokes/jokes:1.0.0"}'`]: {
    before: async (ctx) => {
      await startDaemon(ctx, 'npx runctl emulator --port 8085', /"grpc"/);
      const res = await fetch(`http://127.0.0.1:${ctx.ports.emu + 1}/v1/projects/local-project/locations/europe-north1/repositories?repositoryId=jokes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ format: 'DOCKER' }) });
      expect(res.status).toBe(200);
    },
    code: 0,
    lines: ['"tags":["1.0.0"]', /"uri":"europe-north1-docker\.pkg\.dev\/local-project\/jokes\/jokes@sha256:[0-9a-f]{64}"/],
  },
  [`${S.traffic} » npx runctl emulator --port 8085 &`]: { daemon: { ready: /"grpc"/ } },
  [`${S.traffic} » curl -X POST 127.0.0.1:8086/__emulator/traffic -H 'content-type: application/json' -d '{"images": {"jokes:2.0.0": {"errorRatio": 0.3}}, "services": {"nightly-report": {"rps": 5}}}'`]: { code: 0, lines: ['"errorRatio":0.3'] },
  [`${S.traffic} » curl 127.0.0.1:8086/__emulator/traffic`]: { code: 0, lines: ['"jokes:2.0.0"', '"nightly-report"'] },
  [`${S.bench} » npm run build && npm run bench`]: { skip: 'a 7-minute benchmark, not a test (README: "nothing fails on a timing")' },
  [`${S.bench} » npm run bench -- --quick`]: { skip: 'a benchmark, not a test' },
  [`${S.bench} » npm run bench -- --only startup,watch`]: { skip: 'a benchmark, not a test' },
  [`${S.bench} » npm run bench -- --only startup --node 22,24`]: { skip: 'a benchmark, not a test (it installs Node.js from the npm registry)' },
  [`${S.reliability} » npx runctl emulator --port 8085 --fault '*=UNAVAILABLE:0.2' --operation-fault 'Services.*=INTERNAL:0.05' --method-latency 'Services.*=50ms+20ms' --operation-latency 2s --quota 'Services.:write=180/min' &`]: {
    skip: 'the reproduction of test/reliability/, which runs these faults in the suite',
  },
  [`${S.reliability} » export RUNCTL_EMULATOR_HOST=127.0.0.1:8085 RUNCTL_RATE_LIMITS=run.write=180/min`]: { skip: 'part of the reliability reproduction' },
  [`${S.reliability} » npx runctl apply -f manifests/`]: { skip: 'part of the reliability reproduction' },
  [`${S.reliability} » npx runctl diff -f manifests/`]: { skip: 'part of the reliability reproduction' },
  [`${S.emulator} » npx runctl emulator --port 8085 --state ./emu-state`]: emulatorDaemon(async (ctx) => {
    // "Point runctl at it with RUNCTL_EMULATOR_HOST=127.0.0.1:8085": its state lands in ./emu-state.
    // jokes-api's image names the jokes Repository, and its env reads the openai-api-key Secret
    // (Cloud Run fails a revision whose image or secret is missing): the files go together.
    const r = sh(ctx, 'RUNCTL_EMULATOR_HOST=127.0.0.1:8085 npx runctl apply -f manifests/repositories.yaml -f manifests/jokes-api.yaml -f manifests/openai-api-key.yaml');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`Target: emulator at 127.0.0.1:${ctx.ports.emu}`);
    await poll(() => fs.existsSync(path.join(ctx.dir, 'emu-state')) && fs.readdirSync(path.join(ctx.dir, 'emu-state')).length > 0, 10_000);
  }),
  [`${S.transports} » npx runctl emulator --port 8085 &`]: { daemon: { ready: /"grpc"/ } },
  [`${S.transports} » curl -X POST '127.0.0.1:8086/v2/projects/local-project/locations/europe-north1/services?serviceId=hello' -H 'content-type: application/json' -d '{"template": {"containers": [{"image": "us-docker.pkg.dev/cloudrun/container/hello"}]}}'`]: {
    code: 0,
    lines: [/"name":"projects\/local-project\/locations\/europe-north1\/operations\/[^"]+"/],
  },
  [`${S.transports} » curl 127.0.0.1:8086/v2/projects/local-project/locations/europe-north1/services/hello`]: { code: 0, lines: ['"name":"projects/local-project/locations/europe-north1/services/hello"'] },
  [`${S.transports} » curl 127.0.0.1:8086/v2/projects/local-project/locations/europe-north1/jobs`]: { code: 0, lines: ['"code":501', '"status":"UNIMPLEMENTED"', 'google.cloud.run.v2.Jobs.ListJobs'] },
  [`${S.transports} » gcloud config set api_endpoint_overrides/run http://127.0.0.1:8086/`]: { skip: NEEDS_GCLOUD },
  [`${S.transports} » gcloud config set api_endpoint_overrides/monitoring http://127.0.0.1:8086/`]: { skip: NEEDS_GCLOUD },
  [`${S.transports} » gcloud config set auth/disable_credentials true`]: { skip: NEEDS_GCLOUD },
  [`${S.dev} » npm ci`]: { skip: 'how this checkout was made' },
  [`${S.dev} » npm test`]: { skip: 'this test runs inside npm test' },
  [`${S.dev} » npm run build`]: { skip: 'the suite runs on its output (dist/)' },
};

// ---- running commands -------------------------------------------------------------

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-newcomer-home-'));
const daemons: ChildProcess[] = [];

/** A clean shell environment: no project, no emulator, no gcloud configuration. */
function shellEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // METADATA_SERVER_DETECTION/GCE_METADATA_HOST: a Google-target command never probes a
  // metadata server outside loopback while it looks for credentials.
  return { PATH: process.env.PATH, HOME: home, CLOUDSDK_CONFIG: path.join(home, 'gcloud'), LANG: 'C.UTF-8', METADATA_SERVER_DETECTION: 'none', GCE_METADATA_HOST: '127.0.0.1:1', RUNCTL_BIN: BIN, RUNCTL_EXEC: '', ...extra };
}

/** The command with the examples' fixed ports swapped for this run's free ones. */
function withPorts(ctx: Ctx, cmd: string): string {
  return cmd.replace(/\b8085\b/g, String(ctx.ports.emu)).replace(/\b8086\b/g, String(ctx.ports.emu + 1)).replace(/\b9090\b/g, String(ctx.ports.metrics));
}

function sh(ctx: Ctx, cmd: string): { code: number; out: string; stdout: string } {
  const r = spawnSync('bash', ['-c', `${SHIM}\n${withPorts(ctx, cmd)}`], { cwd: ctx.dir, env: shellEnv(), encoding: 'utf8', timeout: 240_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

/** Start a long-running command; resolves with it once `ready` appears in its output. */
async function startDaemon(ctx: Ctx, cmd: string, ready: RegExp): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn('bash', ['-c', `${SHIM}\n${withPorts(ctx, cmd.replace(/\s*&\s*$/, ''))}`], { cwd: ctx.dir, env: shellEnv({ RUNCTL_EXEC: 'exec' }), stdio: ['ignore', 'pipe', 'pipe'] });
  daemons.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await poll(() => ready.test(out) || child.exitCode !== null, 120_000, () => out);
  if (!ready.test(out)) throw new Error(`${cmd} exited ${child.exitCode} before it was ready:\n${out}`);
  return { child, out: () => out };
}

/** SIGTERM to a daemon (the shell exec'd runctl, so this is runctl's own process). */
async function stopDaemon(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

async function stopAll(): Promise<void> {
  for (const d of daemons.splice(0)) await stopDaemon(d);
}

/** A standalone emulator on the embedded emulator's state: "someone changes it by hand". */
async function withStandaloneEmulator(ctx: Ctx, fn: (http: string) => Promise<void>): Promise<void> {
  const d = await startDaemon(ctx, 'npx runctl emulator --port 8085 --state .runctl/emulator', /"grpc"/);
  try {
    await fn(`127.0.0.1:${ctx.ports.emu + 1}`);
  } finally {
    await stopDaemon(d.child);
  }
}

function edit(ctx: Ctx, file: string, from: string, to: string): void {
  const abs = path.join(ctx.dir, file);
  const text = fs.readFileSync(abs, 'utf8');
  expect(text).toContain(from);
  fs.writeFileSync(abs, text.replace(from, to));
}

/** A fresh copy of what a newcomer reads and runs. */
function freshCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-newcomer-'));
  for (const f of ['README.md', 'manifests', 'examples']) fs.cpSync(path.join(ROOT, f), path.join(dir, f), { recursive: true });
  return dir;
}

async function freePort(pair: boolean): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    if ((await canBind(port)) && (!pair || (await canBind(port + 1)))) return port;
  }
  throw new Error('no free port');
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Check one run against its step; the README's own `echo $?` line is the documented code. */
async function runStep(ctx: Ctx, c: ReadmeCommand, step: Run): Promise<void> {
  await step.before?.(ctx);
  if (step.daemon) {
    const d = await startDaemon(ctx, c.command, step.daemon.ready);
    try {
      await step.daemon.check?.(ctx, d.out());
    } finally {
      // A `&` daemon serves the rest of its block; others stop here.
      if (!/&\s*$/.test(c.command)) {
        const code = await stopDaemon(d.child);
        if (step.daemon.exitCode !== undefined) expect(code, `${c.command} after SIGTERM`).toBe(step.daemon.exitCode);
      }
    }
    return;
  }
  const r = sh(ctx, c.command);
  const where = `README.md:${c.line}: ${c.command}\n${r.out}`;
  if (/echo "?(exit )?\$\?"?\s*$/.test(c.command)) {
    const documented = c.shown.filter((l) => l.trim()).pop();
    expect(r.stdout.trim().split('\n').pop(), where).toBe(documented);
  } else if (step.code !== undefined) expect(r.code, where).toBe(step.code);
  for (const l of step.lines ?? []) {
    if (typeof l === 'string') expect(r.out, where).toContain(l);
    else expect(r.out, where).toMatch(l);
  }
  // A validation example: every diagnostic the README shows is reported at the same place with the same code.
  for (const shownLine of c.shown) {
    const diag = /^(\S+\.ya?ml:\d+:\d+): .*(\[[A-Za-z]+\])$/.exec(shownLine);
    if (diag) expect(r.out, where).toMatch(new RegExp(`^${escape(diag[1])}: .*${escape(diag[2])}$`, 'm'));
  }
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ---- the test ---------------------------------------------------------------------

describe('a newcomer runs the README', () => {
  afterAll(async () => {
    await stopAll();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('names every README command in STEPS, and nothing else', () => {
    const inReadme = new Set(COMMANDS.map(commandKey));
    expect([...inReadme].filter((k) => !(k in STEPS)), 'README commands without a step').toEqual([]);
    expect(Object.keys(STEPS).filter((k) => !inReadme.has(k)), 'steps whose command left the README').toEqual([]);
  });

  let ports: Ctx['ports'];
  beforeAll(async () => {
    ports = { emu: await freePort(true), metrics: await freePort(false) };
  });

  it('runs every command as written, with its documented exit code and key lines', async () => {
    const ctx: Ctx = { dir: '', ports };
    const dirs: string[] = [];
    let block = '';
    try {
      for (const c of COMMANDS) {
        const step = STEPS[commandKey(c)];
        if (!step || 'skip' in step) continue;
        // Daemons of a block (`emulator &`) live until the next section.
        if (c.section !== block) await stopAll();
        block = c.section;
        if (step.fresh) {
          ctx.dir = freshCopy();
          dirs.push(ctx.dir);
        }
        await runStep(ctx, c, step);
      }
      await stopAll();
      // README: the suggested first edit (`scaling.maxInstances` in manifests/jokes.yaml)
      // applies cleanly, in the quick start's copy.
      ctx.dir = dirs[0];
      edit(ctx, 'manifests/jokes.yaml', 'maxInstances: 5', 'maxInstances: 8');
      const diff = sh(ctx, 'npx runctl diff -f manifests/');
      expect(diff.code, diff.out).toBe(2);
      expect(diff.out).toContain('~ spec.scaling.maxInstances: 5 → 8');
      expect(diff.out).toContain('# creates a new revision (template fields changed: scaling)');
      const apply = sh(ctx, 'npx runctl apply -f manifests/');
      expect(apply.code, apply.out).toBe(0);
      expect(sh(ctx, 'npx runctl diff -f manifests/').code).toBe(0);
    } finally {
      await stopAll();
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    }
  }, 900_000);
});

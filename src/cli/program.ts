/**
 * The command line, declared as data with commander. `run()` returns the exit code and
 * never calls process.exit, so tests drive it in-process. One top-level catch prints
 * errors (a stack only with RUNCTL_DEBUG=1).
 */
import { Command, CommanderError, Option } from 'commander';
import { DEFAULT_PARALLELISM } from '../engine/limit';
import { formatDiagnostic, RunctlError } from '../engine/types';
import { redact } from '../engine/redact';
import { apiError, credentialsMessage, isCredentialsError } from '../gcp/errors';
import type { Io } from '../lib/io';
import { DEFAULT_DEBOUNCE } from '../loop/watch-defaults';
import { packageVersion } from '../package-root';

const collect = (v: string, prev: string[] = []) => [...prev, v];
/** `--lease` for the one-shot verbs that write (`apply`, `delete`). */
function leaseOptions(cmd: Command): Command {
  return cmd
    .option('--lease <url>', 'take this controller lease (gs://BUCKET/PATH) before writing (default: RUNCTL_LEASE)')
    .option('--lease-timeout <duration>', 'how long to wait while someone else holds the lease', '0s')
    .option('--lease-ttl <duration>', 'how long the lease holds without a renewal', '30s');
}

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new RunctlError('Usage', `not a positive integer: ${v}`, { source: 'user' });
  return n;
};

function targetOptions(cmd: Command): Command {
  return cmd
    .option('--project <id>', 'Google Cloud project (default: GOOGLE_CLOUD_PROJECT, spec.project, or local-project on an emulator)')
    .option('--region <region>', 'region (default: CLOUDSDK_RUN_REGION, spec.region)')
    .addOption(new Option('--transport <transport>', 'how Cloud Run and Monitoring are reached: grpc, or rest (REST/JSON over HTTP/1.1, where proxies block gRPC) (default: RUNCTL_TRANSPORT, else grpc)').choices(['grpc', 'rest']))
    .option('--set <name>', 'ownership set: the runctl-set label value', 'default');
}

/** Options of the long-running verbs (`watch`, `sync`). */
function loopOptions(cmd: Command): Command {
  return cmd
    .option('--metrics-port <port>', 'serve /healthz, /readyz and /metrics on this port (0 = any free port)')
    .option('--metrics-host <host>', 'address to serve them on', '127.0.0.1')
    .addOption(new Option('--log-format <format>', 'log lines (default: text on a terminal, json otherwise)').choices(['json', 'text']))
    .addOption(new Option('--log-level <level>', 'least severe level logged').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .option('--shutdown-timeout <duration>', 'on SIGINT/SIGTERM, how long to let in-flight operations finish', '8s')
    .option('--lease <url>', 'write only while holding this lease, a Cloud Storage object gs://BUCKET/PATH (default: RUNCTL_LEASE)')
    .option('--lease-ttl <duration>', 'how long the lease holds without a renewal (renewed every third of it)', '30s');
}

export async function run(argv: string[], io: Io): Promise<number> {
  let code = 0;
  const program = new Command();
  const out = (s: string) => io.stdout.write(s);
  const err = (s: string) => io.stderr.write(s);
  program
    .name('runctl')
    .description('Declarative reconciler for Google Cloud Run and what surrounds it')
    .version(packageVersion())
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: err })
    .showHelpAfterError();

  leaseOptions(targetOptions(program.command('apply [planfile]').description('validate, plan and execute (or execute a saved plan)')))
    .option('-f, --filename <path>', 'manifest file, directory or - (repeatable)', collect)
    .option('--dry-run', 'plan only; change nothing')
    .option('--prune', 'delete resources of the set that the manifests no longer name')
    .option('--adopt', 'take over existing resources runctl did not create')
    .option('--allow-empty', 'accept standard input (-f -) that holds no manifests')
    .option('--parallelism <n>', 'resources applied concurrently', int, DEFAULT_PARALLELISM)
    .option('-y, --yes', 'do not ask for confirmation')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']))
    .action(async (planfile, opts) => {
      const { applyCommand } = await import('./commands/apply');
      code = await applyCommand({ ...opts, filename: opts.filename }, planfile, io);
    });

  for (const verb of ['diff', 'plan']) {
    targetOptions(program.command(verb).description('show the plan; exit 2 when there are changes'))
      .requiredOption('-f, --filename <path>', 'manifest file, directory or - (repeatable)', collect)
      .option('--prune', 'include deletions of resources no longer named')
      .option('--adopt', 'plan to take over existing unmanaged resources')
      .option('--allow-empty', 'accept standard input (-f -) that holds no manifests')
      .option('--out <file>', 'save the plan for `runctl apply FILE`')
      .option('--parallelism <n>', 'concurrent reads', int, DEFAULT_PARALLELISM)
      .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']))
      .action(async (opts) => {
        const { planCommand } = await import('./commands/plan');
        code = await planCommand(opts, io);
      });
  }

  targetOptions(program.command('get [kind] [name]').description('live state in manifest form, with status (every region)'))
    .option('-f, --filename <path>', 'get the resources these manifests name (repeatable)', collect)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'yaml', 'json']))
    .action(async (kind, name, opts) => {
      const { getCommand } = await import('./commands/get');
      code = await getCommand(kind, name, opts, io);
    });

  targetOptions(program.command('export [kind] [names...]').description('live resources as minimal manifests (every region unless --region); --set: the set --adopt would label'))
    .option('--all', 'every kind')
    .option('--out <dir>', 'write one file per resource (KIND-NAME.yaml) into this directory')
    .option('--references', 'also rebuild ${Kind/name.status.x} references inside strings (an image under an exported Repository)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']))
    .action(async (kind, names, opts) => {
      const { exportCommand } = await import('./commands/export');
      code = await exportCommand(kind, names ?? [], opts, io);
    });

  program
    .command('convert')
    .description("Cloud Run's Knative YAML (gcloud run services describe --format export) to runctl manifests")
    .requiredOption('-f, --filename <path>', 'Knative YAML file or directory (repeatable)', collect)
    .option('--out <dir>', 'write one file per manifest (KIND-NAME.yaml) into this directory')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']))
    .action(async (opts) => {
      const { convertCommand } = await import('./commands/convert');
      code = await convertCommand(opts, io);
    });

  leaseOptions(targetOptions(program.command('delete').description('delete what the manifests name (reverse dependency order)')))
    .requiredOption('-f, --filename <path>', 'manifest file, directory or - (repeatable)', collect)
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--dry-run', 'show what would be deleted')
    .option('--parallelism <n>', 'resources deleted concurrently', int, DEFAULT_PARALLELISM)
    .action(async (opts) => {
      const { deleteCommand } = await import('./commands/delete');
      code = await deleteCommand(opts, io);
    });

  program
    .command('validate')
    .description('check schemas, references and cycles; no API calls')
    .requiredOption('-f, --filename <path>', 'manifest file, directory or - (repeatable)', collect)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']))
    .action(async (opts) => {
      const { validateCommand } = await import('./commands/validate');
      code = await validateCommand(opts, io);
    });

  loopOptions(targetOptions(program.command('watch').description('apply on every manifest change; correct drift every --resync')))
    .requiredOption('-f, --filename <path>', 'manifest file or directory (repeatable)', collect)
    .option('--resync <duration>', 're-read all live state and correct drift this often', '10m')
    .option('--debounce <duration>', 'quiet time after the last file event before re-planning', DEFAULT_DEBOUNCE)
    .option('--prune', 'delete resources of the set that the manifests no longer name (needs --yes)')
    .option('-y, --yes', 'confirm --prune up front (a loop cannot ask)')
    .option('--adopt', 'take over existing resources runctl did not create')
    .option('--parallelism <n>', 'resources applied concurrently', int, DEFAULT_PARALLELISM)
    .action(async (opts) => {
      const { watchCommand } = await import('./commands/watch');
      code = await watchCommand(opts, io);
    });

  loopOptions(targetOptions(program.command('sync').description('GitOps: apply the manifests under --path at each new commit of --ref')))
    .requiredOption('--repo <url>', 'Git repository: a path, file://, https:// or ssh URL (git@host:org/repo.git)')
    .option('--ref <ref>', 'branch or tag to follow', 'main')
    .option('--path <dir>', 'directory of manifests inside the repository', '.')
    .option('--interval <duration>', 'how often to fetch the ref', '1m')
    .option('--resync <duration>', 're-read all live state and correct drift this often', '10m')
    .option('--prune', 'delete resources of the set that a commit no longer names (needs --yes)')
    .option('-y, --yes', 'confirm --prune up front (a loop cannot ask)')
    .option('--adopt', 'take over existing resources runctl did not create')
    .option('--parallelism <n>', 'resources applied concurrently', int, DEFAULT_PARALLELISM)
    .action(async (opts) => {
      const { syncCommand } = await import('./commands/sync');
      code = await syncCommand(opts, io);
    });

  targetOptions(program.command('rollout <action> <service>').description('progressive delivery: status | promote | abort | undo a Service\'s canary rollout'))
    .option('-f, --filename <path>', 'manifests naming the Service (its project, region and gate) (repeatable)', collect)
    .option('-y, --yes', 'do not ask before promote, abort or undo on real Google Cloud')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']))
    .action(async (action, service, opts) => {
      const { rolloutCommand } = await import('./commands/rollout');
      code = await rolloutCommand(action, service, opts, io);
    });

  program
    .command('emulator')
    .description('run the local Google Cloud emulator (gRPC on P, HTTP on P+1)')
    .option('--port <port>', 'gRPC port; HTTP is port+1 (0 = pick free ports)', '0')
    .option('--state <dir>', 'persist state in this directory')
    .option('--latency <duration>', 'added to every call, e.g. 50ms')
    .option('--operation-latency <duration>', 'until a long-running operation is done, e.g. 2s')
    .option('--time-scale <n>', 'simulated seconds per real second')
    .option('--traffic-rps <n>', 'requests per second the traffic model sends each public service')
    .option('--attested <image>', 'image carrying a Binary Authorization attestation (repeatable)', collect)
    .option('--org-policy <name>', 'organisation policy constraint to enforce: domain-restricted-sharing (refuses allUsers/allAuthenticatedUsers in IAM policies) (repeatable)', collect)
    .option('--verified-domain <domain>', 'domain verified for Cloud Run domain mappings; once given, mappings of other domains fail (repeatable; default: every domain)', collect)
    .option('--fault <rule>', 'METHOD=CODE[:RATE]: calls fail, e.g. Services.CreateService=UNAVAILABLE:0.2 (repeatable)', collect)
    .option('--operation-fault <rule>', 'METHOD=CODE[:RATE]: long-running operations fail, e.g. Services.*=INTERNAL:0.05 (repeatable)', collect)
    .option('--method-latency <rule>', 'METHOD=DURATION[+JITTER]: added latency, e.g. Services.*=50ms+20ms (repeatable)', collect)
    .option('--quota <rule>', 'GROUP[:read|write]=N/min: 429 beyond N requests a minute, e.g. Services.:write=180/min (repeatable)', collect)
    .option('--seed <n>', 'seed of the random choices of --fault/--operation-fault rates and jitter (0..4294967295; default random, shown at /__emulator/faults)')
    .option('--secret-key-file <file>', 'key sealing Secret Manager payloads in --state (default $RUNCTL_EMULATOR_KEY_FILE, else ~/.local/state/runctl/emulator-secrets.key; created 0600)')
    .action(async (opts) => {
      const { emulatorCommand } = await import('./commands/emulator');
      code = await emulatorCommand(opts, io);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    return reportError(e, io);
  }
}

/** The one place errors are printed. */
export function reportError(e: unknown, io: Io): number {
  if (e instanceof CommanderError) {
    return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 1;
  }
  if (e instanceof RunctlError) {
    for (const d of e.diagnostics) io.stderr.write(`${redact(formatDiagnostic(d))}\n`);
    io.stderr.write(`error: ${redact(e.message)} [${e.code}]\n`);
  } else if (isCredentialsError(e)) {
    io.stderr.write(`error: ${redact(credentialsMessage(e, io.env))} [NoCredentials]\n`);
  } else {
    // One line: API errors (gRPC details can span lines) and anything unexpected.
    const message = apiError(e).message.split('\n').find((l) => l.trim()) ?? String(e);
    io.stderr.write(`error: ${redact(message)}\n`);
  }
  if (io.env.RUNCTL_DEBUG && e instanceof Error && e.stack) io.stderr.write(`${redact(e.stack)}\n`);
  return 1;
}

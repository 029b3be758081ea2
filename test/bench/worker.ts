/**
 * One benchmark scenario in a fresh process: optionally warm the process up, then run
 * one CLI verb in-process (`run(argv, io)`, exactly what `runctl` does) and print one
 * JSON line: the verb's time, the time since the process started, and the peak RSS.
 *
 * The warm-up applies one Service to a scratch emulator inside the worker (so none of
 * its calls reach the benchmark's emulator). It pays the one-time costs of a fresh
 * process — loading modules, compiling the schemas, parsing the client protos,
 * generating protobuf codecs, connecting — which the benchmark reports on its own as
 * cold start. A warm process is what a long-running `runctl watch` or `sync` is on
 * every pass after its first.
 *
 * Usage: node dist/test/bench/worker.js '["apply","-f","dir","--yes"]' [warm]
 */
import type { WorkerResult } from './procs';

/** Apply one Service to a scratch in-process emulator, then throw it away. */
async function warmUp(run: typeof import('../../src/cli/program').run): Promise<void> {
  const fs = require('node:fs') as typeof import('node:fs');
  const os = require('node:os') as typeof import('node:os');
  const path = require('node:path') as typeof import('node:path');
  const { startEmulator } = require('../../src/emulator/server') as typeof import('../../src/emulator/server');
  const { serviceDoc } = require('./manifests') as typeof import('./manifests');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-bench-warm-'));
  fs.writeFileSync(path.join(dir, 'warm.yaml'), [serviceDoc(3, { prefix: 'warm' }), serviceDoc(4, { prefix: 'warm' })].join('\n---\n'));
  const emu = await startEmulator({ port: 0 });
  try {
    const { seedFleetSecret } = require('./manifests') as typeof import('./manifests');
    await seedFleetSecret(emu.http, 'local-project');
    const quiet = { stdout: { write: () => true }, stderr: { write: () => true }, env: { RUNCTL_EMULATOR_HOST: emu.grpc }, cwd: dir };
    const code = await run(['apply', '-f', dir, '--yes'], quiet);
    if (code !== 0) throw new Error(`warm-up apply exited ${code}`);
  } finally {
    await emu.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '[]') as string[];
  const { run } = require('../../src/cli/program') as typeof import('../../src/cli/program');
  if (process.argv[3] === 'warm') await warmUp(run);
  let stderr = '';
  const t0 = performance.now();
  const code = await run(args, {
    stdout: { write: () => true },
    stderr: { write: (s: string) => (stderr = (stderr + s).slice(-4000)) },
    env: process.env,
    cwd: process.cwd(),
  });
  const end = performance.now();
  const result: WorkerResult = {
    code,
    ms: end - t0,
    processMs: end,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    stderrTail: code ? stderr.slice(-1500) : '',
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // gRPC channels must not keep the worker alive.
  setTimeout(() => process.exit(0), 20).unref();
}

main().catch((err) => {
  process.stderr.write(`${(err as Error)?.stack ?? err}\n`);
  process.exit(1);
});

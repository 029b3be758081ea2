/** `validate -f PATH`: schemas, references, cycles; no API calls. */
import { redact } from '../../engine/redact';
import { formatDiagnostic } from '../../engine/types';
import { validateFiles } from '../../lib/actions/validate';
import type { Io } from '../../lib/io';

export async function validateCommand(flags: { filename: string[]; output?: string }, io: Io): Promise<number> {
  const out = await validateFiles(flags.filename, io);
  if (flags.output === 'json') {
    io.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return out.valid ? 0 : 1;
  }
  if (!out.valid) {
    for (const d of out.diagnostics) io.stderr.write(`${redact(formatDiagnostic(d))}\n`);
    const n = out.diagnostics.length;
    io.stderr.write(`${n} problem${n === 1 ? '' : 's'} found.\n`);
    return 1;
  }
  io.stdout.write(`${out.resources.length} resource${out.resources.length === 1 ? '' : 's'} valid: ${out.resources.join(', ')}\n`);
  return 0;
}

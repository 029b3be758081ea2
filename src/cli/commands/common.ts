/** Shared flow for verbs that talk to the target: a session from the library, rendered for people. */
import type { EngineEvent } from '../../engine/events';
import { redact } from '../../engine/redact';
import type { Io } from '../../lib/io';
import { withSession as openSession, type Opened as LibOpened } from '../../lib/session';
import { styleFor, type Style } from '../../lib/style';
import { renderEvent } from '../render';

export interface GlobalFlags {
  project?: string;
  region?: string;
  transport?: string;
  set?: string;
  parallelism?: number;
  output?: string;
}

/** The library's open session, and the style this command prints stdout in. */
export interface Opened extends LibOpened {
  style: Style;
}

/** Events as lines on stderr (stdout stays clean for `-o json`). */
export function eventHost(io: Io, style: Style, json: boolean) {
  return {
    emit(ev: EngineEvent) {
      if (json) {
        io.stderr.write(`${redact(JSON.stringify(ev))}\n`);
        return;
      }
      const line = renderEvent(ev, style);
      if (line) io.stderr.write(`${redact(line)}\n`);
    },
  };
}

export async function withSession<T>(flags: GlobalFlags, io: Io, fn: (o: Opened) => Promise<T>): Promise<T> {
  const style = styleFor(io.stdout.isTTY, io.env, io.stdout.columns);
  return openSession(
    {
      project: flags.project,
      region: flags.region,
      transport: flags.transport,
      set: flags.set ?? 'default',
      parallelism: flags.parallelism,
      host: eventHost(io, styleFor(io.stderr.isTTY, io.env), flags.output === 'json'),
      progress: (line) => io.stderr.write(`${redact(line)}\n`),
    },
    io,
    (o) => fn({ ...o, style }),
  );
}

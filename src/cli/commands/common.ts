/** Shared flow for verbs that talk to the target: open it, make a session, report. */
import { CONTROLLERS } from '../../../controllers/index';
import type { EngineEvent } from '../../engine/events';
import { redact } from '../../engine/redact';
import { Session } from '../../engine/session';
import type { Io } from '../../lib/io';
import { renderEvent } from '../render';
import { styleFor, type Style } from '../../lib/style';
import { openTarget, targetLine, type Target } from '../../lib/target';

export interface GlobalFlags {
  project?: string;
  region?: string;
  transport?: string;
  set?: string;
  parallelism?: number;
  output?: string;
}

export interface Opened {
  target: Target;
  session: Session;
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
  const target = await openTarget({ project: flags.project, region: flags.region, transport: flags.transport }, io);
  try {
    target.clients.progress = (line) => io.stderr.write(`${redact(line)}\n`);
    // Missing credentials or an emulator that is not running: one clear error now,
    // not one per API call after minutes of retries.
    await target.clients.preflight();
    const session = new Session({
      controllers: CONTROLLERS,
      target: target.info,
      clients: target.clients,
      set: flags.set ?? 'default',
      parallelism: flags.parallelism,
      host: eventHost(io, styleFor(io.stderr.isTTY, io.env), flags.output === 'json'),
    });
    return await fn({ target, session, style });
  } finally {
    await target.close();
  }
}

export function header(o: Opened): string {
  const projects = [...new Set([...o.session.identities.values()].map((i) => i.project))].sort();
  return targetLine(o.target.info, projects);
}

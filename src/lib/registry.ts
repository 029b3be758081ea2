/**
 * The controller registry as the layers above the engine see it: the only import of
 * `controllers/index.ts` outside the controllers, so the CLI, the loops and the tests
 * reach kinds through here (and a test can hand a session its own controllers).
 */
import { CONTROLLERS } from '../../controllers/index';
import type { Controller } from '../engine/controller';
import { RunctlError, type Diagnostic, type Manifest } from '../util/types';

/** Every controller runctl knows, in registry order. */
export function controllers(): readonly Controller[] {
  return CONTROLLERS;
}

/** A kind's controller by the name a user types: any letter case, singular or plural (`services`, `policies`). */
export function findKind(name: string, list: readonly Controller[] = CONTROLLERS): Controller {
  const n = name.toLowerCase();
  for (const c of list) {
    const k = c.kind.toLowerCase();
    const plural = k.endsWith('y') ? `${k.slice(0, -1)}ies` : `${k}s`;
    if (n === k || n === plural || n === `${k}es`) return c;
  }
  throw new RunctlError('UnknownKind', `unknown kind "${name}"; known kinds: ${list.map((c) => c.kind).join(', ')}`, { source: 'user' });
}

/** Per-kind checks beyond the schemas, from the controllers. */
export function extraChecks(list: readonly Controller[] = CONTROLLERS): Map<string, (m: Manifest, all: Manifest[]) => Diagnostic[]> {
  const checks = new Map<string, (m: Manifest, all: Manifest[]) => Diagnostic[]>();
  for (const c of list) if (c.validate) checks.set(c.kind, c.validate.bind(c));
  return checks;
}

/**
 * The one registry of kinds: every controller runctl knows. Adding a kind means adding
 * its controller file and one line here; the engine has no kind-specific code.
 */
import type { Controller } from '../src/engine/controller';
import { serviceController } from './service';

export const CONTROLLERS: Controller[] = [serviceController];

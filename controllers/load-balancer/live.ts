/**
 * What a scan finds of a load balancer's sub-resources: its own file so that the spec
 * (which reads a live model back into a spec) and the model (which builds views of
 * both) need not import each other.
 */
import type { SubKind } from './names';

/** A sub-resource found live (owned by this load balancer, or foreign with one of its names). */
export interface LiveSub {
  kind: SubKind;
  name: string;
  region?: string;
  raw: any;
  owned: boolean;
}

export interface LiveModel {
  subs: LiveSub[];
}

/**
 * What a Monitoring resource type supplies to the generic CRUD machinery (`crud.ts`), in
 * the manner of Compute's `resource-type.ts`: where its collection lives, how IDs are
 * chosen, how a request body becomes the stored resource, what an update mask may touch,
 * and the few hooks where a type differs (cascades, reference checks, records).
 */
import type { EmulatorCore } from '../../core';
import type { MaskOptions, MonitoringState } from './state';

/** Context of a create. */
export interface CreateContext {
  core: EmulatorCore;
  /** The project of the parent, as requested (ID or number). */
  project: string;
  /** The parent as requested (`projects/p`, `projects/p/services/s`). */
  parent: string;
  /** The new resource's full name. */
  name: string;
}

/** Context of an update. */
export interface UpdateContext {
  core: EmulatorCore;
  name: string;
  /** The stored resource before the update. */
  existing: any;
}

/** A Monitoring v3 resource type (Service, ServiceLevelObjective, AlertPolicy, NotificationChannel). */
export interface MonitoringResourceType {
  /**
   * Names come back with the project number even when the request used the project ID
   * (services, SLOs); either form is accepted on input. Without it, names keep the
   * form the request used (alert policies, notification channels).
   */
  numbered?: boolean;
  /** gRPC method noun: `Create{noun}`, `Get{noun}`, `Update{noun}`, `Delete{noun}`. */
  noun: string;
  /** `List{plural}`. */
  plural: string;
  /** Map of the Monitoring state holding this type. */
  store: keyof MonitoringState;
  /** Request field carrying the resource (`service`, `alertPolicy`, ...). */
  field: string;
  /** Response field of List (`services`, `alertPolicies`, ...). */
  listField: string;
  /** Request field carrying the parent on Create and List: `parent`, or `name` (alert policies, channels). */
  parentField: 'parent' | 'name';
  /**
   * Validate the parent of a Create and answer its project and the collection path new
   * names go under (`projects/p/services`).
   */
  collection(core: EmulatorCore, parent: string): { project: string; path: string };
  /** Validate the parent of a List and answer the name prefix it lists. */
  listPrefix(core: EmulatorCore, parent: string): string;
  /** The NOT_FOUND error for a missing resource (default: `Requested entity was not found: NAME`). */
  notFound?(core: EmulatorCore, name: string): never;
  /** Validate a resource name (Get, Update, Delete) before it is looked up. */
  checkName?(name: string): void;
  /** How a new resource's ID is chosen. */
  id: {
    /** Request field of a caller-chosen ID (`serviceId`); without it, or when empty, the server assigns one. */
    field?: string;
    /** Check a caller-chosen ID. */
    check?(id: string): void;
    /** Server-assigned form: 22 opaque characters, or a 19-digit number. */
    assign: 'opaque' | 'numeric';
  };
  /** Validate the request body and build the stored resource. */
  create(input: any, ctx: CreateContext): any;
  /** Fields an update mask may name (camelCase), and how the mask applies. */
  mutable: string[];
  mask?: MaskOptions;
  /** Projection of an update's body before a mask applies (drops output-only fields). */
  maskInput?(incoming: any): any;
  /** Refuse an update before it is applied (e.g. a changed type). */
  checkUpdate?(incoming: any, ctx: UpdateContext): void;
  /** The resource an update without a mask makes (a full replacement). */
  replace(incoming: any, ctx: UpdateContext): any;
  /** Complete and validate an updated resource (records, defaults, references). */
  finishUpdate?(next: any, ctx: UpdateContext): void;
  /** Extra filter fields of List (`identifier_case`). */
  filterFields?(resource: any): Record<string, () => unknown>;
  /** List honours `order_by` and reports `total_size`. */
  ordered?: boolean;
  /** Run before a delete: refuse it, or remove what goes with it. */
  beforeDelete?(core: EmulatorCore, name: string, req: any): void;
}

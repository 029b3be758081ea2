/**
 * What a scan finds of a load balancer's sub-resources: its own file so that the spec
 * (which reads a live model back into a spec) and the model (which builds views of
 * both) need not import each other.
 */
import type { protos } from '@google-cloud/compute';
import type { SubKind } from './names';

/** The Compute v1 message of each sub-resource kind, as the clients return it. */
export interface ComputeMessages {
  networkEndpointGroup: protos.google.cloud.compute.v1.INetworkEndpointGroup;
  backendService: protos.google.cloud.compute.v1.IBackendService;
  urlMap: protos.google.cloud.compute.v1.IUrlMap;
  sslCertificate: protos.google.cloud.compute.v1.ISslCertificate;
  targetHttpsProxy: protos.google.cloud.compute.v1.ITargetHttpsProxy;
  targetHttpProxy: protos.google.cloud.compute.v1.ITargetHttpProxy;
  address: protos.google.cloud.compute.v1.IAddress;
  forwardingRule: protos.google.cloud.compute.v1.IForwardingRule;
}

/**
 * A Compute resource of whichever of the load balancer's kinds. Every field of these messages
 * is optional (and nullable), so one type holding all of them reads each kind's fields
 * safely: a field the kind does not have reads as undefined, as it does at run time.
 * The sub-resource's `kind` says which fields can really be there.
 */
export type ComputeResource = ComputeMessages['networkEndpointGroup'] &
  ComputeMessages['backendService'] &
  ComputeMessages['urlMap'] &
  ComputeMessages['sslCertificate'] &
  ComputeMessages['targetHttpsProxy'] &
  ComputeMessages['targetHttpProxy'] &
  ComputeMessages['address'] &
  ComputeMessages['forwardingRule'];

/** A sub-resource found live (owned by this load balancer, or foreign with one of its names). */
export interface LiveSub {
  kind: SubKind;
  name: string;
  region?: string;
  raw: ComputeResource;
  owned: boolean;
}

export interface LiveModel {
  subs: LiveSub[];
}

/**
 * Regional network endpoint groups — the serverless kind that points a load balancer at
 * a Cloud Run service (`cloudRun.service`, optional `tag`, or a `urlMask`). Immutable:
 * the API has no update; changes mean delete and re-create. The Cloud Run service need not
 * exist (the real API does not check either).
 */
import type { ResourceType } from '../resource-type';
import { invalid } from '../errors';
import { compact } from './common';

const RUN_NAME = /^[a-z](?:[-a-z0-9]{0,47}[a-z0-9])?$/;
const PLATFORMS = ['cloudRun', 'appEngine', 'cloudFunction', 'serverlessDeployment'];

function checkCloudRun(cr: any): Record<string, any> {
  if (!cr || typeof cr !== 'object') throw invalid('resource.cloudRun', cr, 'Must be an object.');
  const out = compact({ service: cr.service, tag: cr.tag, urlMask: cr.urlMask });
  if (!out.service && !out.urlMask) {
    throw invalid('resource.cloudRun', '', 'Either cloudRun.service or cloudRun.urlMask must be specified.');
  }
  if (out.service !== undefined && (typeof out.service !== 'string' || !RUN_NAME.test(out.service))) {
    throw invalid('resource.cloudRun.service', out.service, 'Must be a valid Cloud Run service name.');
  }
  if (out.tag !== undefined && (typeof out.tag !== 'string' || !RUN_NAME.test(out.tag))) {
    throw invalid('resource.cloudRun.tag', out.tag, 'Must be a valid Cloud Run tag.');
  }
  if (out.urlMask !== undefined && typeof out.urlMask !== 'string') {
    throw invalid('resource.cloudRun.urlMask', out.urlMask, 'Must be a string.');
  }
  return out;
}

export const networkEndpointGroups: ResourceType = {
  service: 'RegionNetworkEndpointGroups',
  collection: 'networkEndpointGroups',
  regional: true,
  kind: 'compute#networkEndpointGroup',
  typeName: 'network_endpoint_group',
  param: 'networkEndpointGroup',
  build(input) {
    const type = input.networkEndpointType;
    if (type !== 'SERVERLESS') {
      throw invalid('resource.networkEndpointType', type ?? '', 'Only SERVERLESS regional network endpoint groups are emulated.');
    }
    const given = PLATFORMS.filter((p) => input[p] !== undefined && input[p] !== null);
    if (given.length !== 1) {
      throw invalid('resource.networkEndpointType', type, 'A serverless network endpoint group needs exactly one of cloudRun, appEngine, cloudFunction or serverlessDeployment.');
    }
    for (const f of ['network', 'subnetwork', 'defaultPort']) {
      if (input[f] !== undefined) throw invalid(`resource.${f}`, input[f], `${f} must not be set for SERVERLESS network endpoint groups.`);
    }
    const out: Record<string, any> = { description: input.description, networkEndpointType: type };
    if (given[0] === 'cloudRun') out.cloudRun = checkCloudRun(input.cloudRun);
    else out[given[0]] = input[given[0]];
    if (input.annotations && Object.keys(input.annotations).length) out.annotations = input.annotations;
    return compact(out);
  },
  decorate(res) {
    return { ...res, size: 0 };
  },
};

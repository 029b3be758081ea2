/**
 * `google.cloud.run.v2.Revisions`: GetRevision, ListRevisions (service `-` lists every
 * service of the location), DeleteRevision (only revisions that cannot receive traffic).
 */
import type { EmulatorCore } from '../../core';
import { Code, EmulatorError } from '../../errors';
import { unary } from '../../grpc';
import { operationWire, previewOperation, startOperation } from './operations';
import { clone, lastSegment, notFound, paginate, parseRevisionName, parseServiceName, runNs, type Obj } from './state';

/** Why a revision may not be deleted, or undefined when it may. */
function deletionBlocker(service: Obj | undefined, revisionName: string, revisionCount: number): string | undefined {
  if (!service) return undefined;
  const id = lastSegment(revisionName);
  if (revisionCount <= 1) return 'it is the only revision of the service';
  if (service.latestCreatedRevision === revisionName || service.latestReadyRevision === revisionName) return 'it is the latest revision of the service';
  const routed = [...(service.traffic ?? []), ...(service.trafficStatuses ?? [])].some((t: Obj) => t.revision === id);
  if (routed) return 'it is able to receive traffic';
  return undefined;
}

function remove(core: EmulatorCore, req: any): unknown {
  const rn = parseRevisionName(req.name, 'DeleteRevisionRequest.name');
  const st = runNs(core);
  const rec = st.revisions[rn.revisionName];
  if (!rec) throw notFound('REVISION', rn.revision, rn);
  if (req.etag && req.etag !== rec.revision.etag) {
    throw new EmulatorError(Code.ABORTED, `The etag provided does not match the current etag of revision '${rn.revision}'.`);
  }
  const count = Object.keys(st.revisions).filter((n) => n.startsWith(`${rn.name}/revisions/`)).length;
  const blocker = deletionBlocker(st.services[rn.name]?.service, rn.revisionName, count);
  if (blocker) throw new EmulatorError(Code.FAILED_PRECONDITION, `Revision '${rn.revision}' cannot be deleted because ${blocker}.`);
  if (req.validateOnly) return previewOperation(rn.parent, 'Revision', rec.revision);
  const op = startOperation(core, rn.parent, {
    kind: 'delete-revision',
    method: 'Revisions.DeleteRevision',
    target: rn.revisionName,
    metadataType: 'Revision',
    metadata: clone(rec.revision),
  });
  return operationWire(op);
}

/** Handlers of `google.cloud.run.v2.Revisions`. */
export function revisionsHandlers(core: EmulatorCore): Record<string, unknown> {
  return {
    GetRevision: unary(core, 'Revisions.GetRevision', 'read', (req) => {
      const rn = parseRevisionName(req.name, 'GetRevisionRequest.name');
      const rec = runNs(core).revisions[rn.revisionName];
      if (!rec) throw notFound('REVISION', rn.revision, rn);
      return rec.revision;
    }),
    ListRevisions: unary(core, 'Revisions.ListRevisions', 'read', (req) => {
      const sn = parseServiceName(req.parent, 'ListRevisionsRequest.parent', true);
      const st = runNs(core);
      if (sn.service !== '-' && !st.services[sn.name]) throw notFound('SERVICE', sn.service, sn);
      const prefix = sn.service === '-' ? `${sn.parent}/services/` : `${sn.name}/revisions/`;
      const items = Object.values(st.revisions)
        .filter((r) => r.revision.name.startsWith(prefix))
        .sort((a, b) => b.createMs - a.createMs || b.seq - a.seq);
      const { page, nextPageToken } = paginate(items, req.pageSize, req.pageToken, 'ListRevisionsRequest');
      return { revisions: page.map((r) => r.revision), nextPageToken };
    }),
    DeleteRevision: unary(core, 'Revisions.DeleteRevision', 'write', (req) => remove(core, req)),
  };
}

/**
 * Docker images: a minimal model so "image not found" can be judged. Images are
 * recorded by `POST /__emulator/artifact-registry/push` (what `docker push` does to a
 * real registry) and read through ListDockerImages / GetDockerImage. The admission check
 * Cloud Run runs on every new revision lives here too. Rules: spec/artifact-registry.md.
 */
import { createHash } from 'node:crypto';
import type { ImageAdmissionRequest, ImageDenial } from '../../admission';
import type { EmulatorCore } from '../../core';
import { Code, EmulatorError } from '../../errors';
import { arNs, dockerHost, invalid, paginate, parseRepoName, requireRepo, type ImageRecord, type Repo } from './state';

/** An Artifact Registry Docker image reference, parsed. */
export interface DockerRef {
  location: string;
  project: string;
  repository: string;
  /** Image path inside the repository. */
  pkg: string;
  tag?: string;
  digest?: string;
}

const DOCKER_REF = /^([a-z0-9-]+)-docker\.pkg\.dev\/([^/]+)\/([^/]+)\/([^:@]+?)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$/;

/** Parse `LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE[:TAG][@DIGEST]`; undefined for any other image. */
export function parseDockerRef(image: string): DockerRef | undefined {
  const m = DOCKER_REF.exec(image);
  if (!m) return undefined;
  return { location: m[1], project: m[2], repository: m[3], pkg: m[4], tag: m[5], digest: m[6] };
}

const repoName = (r: DockerRef) => `projects/${r.project}/locations/${r.location}/repositories/${r.repository}`;

/** The DockerImage message of a recorded image. */
function dockerImage(repoFull: string, repo: Repo, img: ImageRecord): Record<string, unknown> {
  const [, project, , location] = repoFull.split('/');
  const id = `${encodeURIComponent(img.pkg)}@${img.digest}`;
  const [seconds, nanos] = [String(Math.floor(Date.parse(img.uploadTime) / 1000)), (Date.parse(img.uploadTime) % 1000) * 1e6];
  return {
    name: `${repoFull}/dockerImages/${id}`,
    uri: `${dockerHost(location)}/${project}/${String(repo.name).split('/')[5]}/${img.pkg}@${img.digest}`,
    tags: img.tags,
    imageSizeBytes: img.sizeBytes,
    uploadTime: { seconds, nanos },
    updateTime: { seconds, nanos },
    mediaType: img.mediaType,
  };
}

/**
 * Record a push of `image`. Its repository must exist and be a DOCKER one. A tag moves
 * to the pushed manifest (away from any other of the same image path); the digest is the
 * one given, or one derived from the reference and the push count.
 */
export function pushImage(core: EmulatorCore, image: unknown, sizeBytes?: unknown): Record<string, unknown> {
  const ref = typeof image === 'string' ? parseDockerRef(image) : undefined;
  if (!ref) throw invalid(`expected {"image": "LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE[:TAG][@sha256:DIGEST]"}, got ${JSON.stringify(image)}`);
  const name = repoName(ref);
  const st = arNs(core);
  const repo = st.repositories[name];
  if (!repo) throw new EmulatorError(Code.NOT_FOUND, `name unknown: Repository "${ref.repository}" not found`);
  if (repo.format !== 'DOCKER') throw new EmulatorError(Code.FAILED_PRECONDITION, `Repository "${ref.repository}" is a ${repo.format} repository, not a Docker one.`);
  const list = (st.images[name] ??= []);
  const digest = ref.digest ?? `sha256:${createHash('sha256').update(`${image}#${list.length}`).digest('hex')}`;
  const tag = ref.tag ?? (ref.digest ? undefined : 'latest');
  let img = list.find((i) => i.pkg === ref.pkg && i.digest === digest);
  if (!img) {
    img = { pkg: ref.pkg, digest, tags: [], sizeBytes: String(Number(sizeBytes) > 0 ? Math.floor(Number(sizeBytes)) : 1024), uploadTime: core.nowIso(), mediaType: 'application/vnd.docker.distribution.manifest.v2+json' };
    list.push(img);
  }
  if (tag) {
    for (const other of list) if (other.pkg === ref.pkg && other !== img) other.tags = other.tags.filter((t) => t !== tag);
    if (!img.tags.includes(tag)) img.tags.push(tag);
  }
  repo.sizeBytes = String(list.reduce((n, i) => n + Number(i.sizeBytes), 0));
  return dockerImage(name, repo, img);
}

export function listDockerImages(core: EmulatorCore, req: any): Record<string, unknown> {
  const { rn, repo } = requireRepo(core, req.parent);
  const imgs = [...(arNs(core).images[rn.name] ?? [])].sort((a, b) => a.pkg.localeCompare(b.pkg) || a.digest.localeCompare(b.digest));
  const { page, nextPageToken } = paginate(imgs, req.pageSize, req.pageToken);
  return { dockerImages: page.map((i) => dockerImage(rn.name, repo, i)), nextPageToken };
}

export function getDockerImage(core: EmulatorCore, req: any): Record<string, unknown> {
  const name = typeof req.name === 'string' ? req.name : '';
  const i = name.indexOf('/dockerImages/');
  if (i < 0) throw invalid(`Invalid resource name "${name}".`);
  const rn = parseRepoName(name.slice(0, i));
  const { repo } = requireRepo(core, rn.name);
  const id = decodeURIComponent(name.slice(i + '/dockerImages/'.length));
  const at = id.lastIndexOf('@');
  const [pkg, digest] = at > 0 ? [id.slice(0, at), id.slice(at + 1)] : [id, ''];
  const img = (arNs(core).images[rn.name] ?? []).find((x) => x.pkg === pkg && x.digest === digest);
  if (!img) throw new EmulatorError(Code.NOT_FOUND, 'Requested entity was not found.');
  return dockerImage(rn.name, repo, img);
}

/**
 * Whether the emulator can tell that `image` does not exist: an Artifact Registry Docker
 * image of a project that holds at least one repository here. Then its repository must
 * exist (a Docker one), and once any push was recorded for that repository, the image
 * path with that tag (default `latest`) or digest must have been pushed.
 */
export function imageMissing(core: EmulatorCore, image: string): boolean {
  const ref = parseDockerRef(image);
  if (!ref) return false;
  const st = arNs(core);
  const projectUsesRegistry = Object.keys(st.repositories).some((n) => n.startsWith(`projects/${ref.project}/`));
  if (!projectUsesRegistry) return false;
  const name = repoName(ref);
  const repo = st.repositories[name];
  if (!repo || repo.format !== 'DOCKER') return true;
  const pushed = st.images[name];
  if (!pushed) return false;
  if (ref.digest) return !pushed.some((i) => i.pkg === ref.pkg && i.digest === ref.digest && (!ref.tag || i.tags.includes(ref.tag)));
  const tag = ref.tag ?? 'latest';
  return !pushed.some((i) => i.pkg === ref.pkg && i.tags.includes(tag));
}

/** The check registered on `core.imageAdmission`: a missing image fails the revision as Cloud Run does. */
export function admissionCheck(core: EmulatorCore): (req: ImageAdmissionRequest) => ImageDenial | undefined {
  return (req) => {
    const missing = req.images.find((image) => imageMissing(core, image));
    return missing ? { reason: 'CONTAINER_MISSING', message: `Image '${missing}' not found.` } : undefined;
  };
}

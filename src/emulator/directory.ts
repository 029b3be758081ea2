/**
 * What one emulated API asks of another, as types only, so modules never import each
 * other (as `admission.ts` does for Binary Authorization). IAM (service accounts) and
 * Resource Manager (project IAM policies) fill `core.directory`; Cloud Run, Cloud
 * Scheduler, Secret Manager and Artifact Registry consult it to enforce what the real
 * platform enforces (an account that does not exist, a member without the role).
 */

/** Facts about identities and project-level grants. */
export interface IamDirectory {
  /**
   * Whether a service account with this email exists. Google-managed accounts that every
   * project has (the Compute Engine default account `NUMBER-compute@developer.gserviceaccount.com`,
   * service agents) always exist.
   */
  serviceAccountExists(email: string): boolean;
  /** The roles `member` (`serviceAccount:EMAIL`, `user:…`) holds on `project` (ID or number) through the project's IAM policy. */
  projectRoles(project: string, member: string): string[];
}

/** Before any module registers: every account exists and no one holds a project role. */
export const OPEN_DIRECTORY: IamDirectory = {
  serviceAccountExists: () => true,
  projectRoles: () => [],
};

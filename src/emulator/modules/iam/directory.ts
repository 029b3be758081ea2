/**
 * The IAM directory the other modules consult (`core.directory`, contract in
 * `src/emulator/directory.ts`): which service accounts exist, and the roles a member
 * holds on a project through its IAM policy.
 */
import type { EmulatorCore } from '../../core';
import type { IamDirectory } from '../../directory';
import { rolesOf } from './policy';
import { projectPolicy } from './projects';
import { iamNs, isGoogleManaged } from './state';

export function iamDirectory(core: EmulatorCore): IamDirectory {
  return {
    serviceAccountExists(email: string): boolean {
      const st = iamNs(core);
      if (st.accounts[email]) return true;
      // Google-managed accounts exist in every project, unless someone deleted one.
      return isGoogleManaged(email) && !st.deleted[email];
    },
    projectRoles(project: string, member: string): string[] {
      // A project whose policy was never read or set has the policy every new project has.
      return rolesOf(projectPolicy(core, project), member);
    },
  };
}

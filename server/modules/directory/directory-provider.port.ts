/**
 * Where the org chart comes from (DingTalk today). Adapters translate the platform's fields into
 * these words; the sync engine never sees a platform field name.
 */
export interface DirectoryDepartment {
  externalId: string;
  /** null for the root department. */
  parentExternalId: string | null;
  name: string;
  order: number;
  managerExternalIds: string[];
}

export interface DirectoryMember {
  externalId: string;
  displayName: string;
  departmentIds: string[];
  title: string | null;
  jobNumber: string | null;
  /** A company email the platform already knows (DingTalk org_email), used by the org_email template. */
  directoryEmail: string | null;
  avatarUrl: string | null;
  isOrgAdmin: boolean;
  hiredAt: Date | null;
}

export interface DirectorySnapshot {
  departments: DirectoryDepartment[];
  members: DirectoryMember[];
}

export interface FetchProgress {
  phase: 'departments' | 'members';
  done: number;
  total?: number;
}

export interface DirectoryProvider {
  /**
   * The whole org chart. `onMembers` hears each person the first time a listing page names them,
   * while the fetch goes on (the sync engine starts applying then); the snapshot is the last word.
   */
  fetchAll(
    onProgress?: (p: FetchProgress) => void,
    onMembers?: (fresh: DirectoryMember[]) => void,
  ): Promise<DirectorySnapshot>;
  /** Named people; ids the platform no longer knows (they left) come back in `missing`. */
  fetchMembers(externalIds: string[]): Promise<{ found: DirectoryMember[]; missing: string[] }>;
  /** Named departments; removed ones come back in `missing`. */
  fetchDepartments(externalIds: string[]): Promise<{ found: DirectoryDepartment[]; missing: string[] }>;
  /** API calls made so far (benchmarks report it). */
  callCount(): number;
}

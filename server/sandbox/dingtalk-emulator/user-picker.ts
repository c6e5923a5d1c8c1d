import { pinyin } from 'pinyin-pro';
import type { AdminLevel, UserRecord } from './org-records';

/**
 * The sandbox sign-in picker's search: name, userid or pinyin (full or initials, surname-aware, so
 * 单 matches "shan"). Pinyin is computed lazily per distinct name and cached; a search stops as soon
 * as it has `limit` hits.
 */

export interface PickerUser {
  userid: string;
  name: string;
  title: string;
  avatar: string;
  deptNames: string[];
  adminLevel: AdminLevel;
  active: boolean;
}

export class UserPicker {
  private readonly pinyinCache = new Map<string, string>();

  search(
    users: Iterable<UserRecord>,
    deptName: (deptId: number) => string,
    query: string,
    limit: number,
  ): PickerUser[] {
    const q = query.trim().toLowerCase();
    const out: PickerUser[] = [];
    for (const user of users) {
      if (out.length >= limit) break;
      if (q && !this.matches(user, q)) continue;
      out.push({
        userid: user.userid,
        name: user.name,
        title: user.title,
        avatar: user.avatar,
        deptNames: user.dept_id_list.map(deptName),
        adminLevel: user.admin_level,
        active: user.active,
      });
    }
    return out;
  }

  private matches(user: UserRecord, q: string): boolean {
    return (
      user.name.toLowerCase().includes(q) ||
      user.userid.toLowerCase().includes(q) ||
      this.pinyinOf(user.name).includes(q)
    );
  }

  private pinyinOf(name: string): string {
    let value = this.pinyinCache.get(name);
    if (value === undefined) {
      const options = { toneType: 'none', surname: 'head', type: 'array' } as const;
      const full = pinyin(name, options);
      const initials = pinyin(name, { ...options, pattern: 'first' });
      value = `${full.join('')} ${initials.join('')}`.toLowerCase();
      this.pinyinCache.set(name, value);
    }
    return value;
  }
}

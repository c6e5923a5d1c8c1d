import type { DeptRecord, OrgSnapshot, UserRecord } from './dingtalk-emulator/org-records';
import {
  CITIES,
  COMPANIES,
  DIVISIONS,
  ENGLISH_FIRST,
  ENGLISH_LAST,
  GIVEN,
  POLYPHONIC_SURNAMES,
  PROJECTS,
  SUBUNITS,
  SURNAMES,
  TITLES,
  type Category,
} from './org-vocabulary';

/**
 * A deterministic, realistic Chinese company for demos, tests and benchmarks. Everything comes from
 * one seeded PRNG (never Math.random or the clock), so the same options always give the same org.
 */

export interface GenerateOrgOptions {
  employees: number;
  /** Department levels including the root (1 = only the root). */
  depth: number;
  seed: number;
}

/** mulberry32: tiny, fast and good enough for test data. */
export function createSeededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALNUM_CODES = Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', (c) =>
  c.charCodeAt(0),
);
const CN_DIGITS = '零 一 二 三 四 五 六 七 八 九'.split(' ');
const HIRED_FROM = Date.UTC(2012, 0, 1);
const HIRED_SPAN = Date.UTC(2025, 5, 30) - HIRED_FROM;

function cnNumber(n: number): string {
  if (n <= 10) return n === 10 ? '十' : CN_DIGITS[n];
  const tens = Math.floor(n / 10);
  return `${tens === 1 ? '' : CN_DIGITS[tens]}十${n % 10 === 0 ? '' : CN_DIGITS[n % 10]}`;
}

interface DeptDraft {
  record: DeptRecord;
  level: number;
  category: Category;
  children: number;
  members: UserRecord[];
}

export function generateOrg(options: GenerateOrgOptions): OrgSnapshot {
  const employees = Math.max(0, Math.floor(options.employees));
  const depth = Math.min(10, Math.max(1, Math.floor(options.depth)));
  const rand = createSeededRandom(options.seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)];

  const [corpName, mailDomain] = COMPANIES[Math.abs(options.seed) % COMPANIES.length];
  const depts = buildDepartments(corpName, employees, depth, rand);
  const users = new UserFactory(rand, mailDomain);

  // Direct member counts: a small root (the executives), inner departments thinner than leaves.
  const rootCount = Math.min(
    employees,
    depts.length === 1 ? employees : Math.min(8, 1 + Math.round(employees / 500)),
  );
  const weights = depts.map((d, i) => (i === 0 ? 0 : (20 + rand() * 130) * (d.children > 0 ? 0.4 : 1)));
  const total = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => (total > 0 ? Math.floor((w / total) * (employees - rootCount)) : 0));
  counts[0] = rootCount;
  let leftover = employees - counts.reduce((a, b) => a + b, 0);
  for (let i = 1; leftover > 0; i = (i % (depts.length - 1)) + 1, leftover--) counts[i]++;

  for (let d = 0; d < depts.length; d++) {
    const dept = depts[d];
    for (let k = 0; k < counts[d]; k++) {
      const user = users.create(dept.record.dept_id, k + 1);
      user.title = k === 0 ? managerTitle(dept) : pick(TITLES[dept.category]);
      dept.members.push(user);
    }
    const heads = dept.members.slice(0, dept.members.length > 30 && rand() < 0.15 ? 2 : 1);
    dept.record.dept_manager_userid_list = heads.map((u) => u.userid);
  }

  const all = depts.flatMap((d) => d.members);
  users.sprinkleNamesakes(all);
  assignManagers(depts);
  assignRoles(depts, all);

  // ~1% belong to a second department as well.
  if (depts.length > 1) {
    for (const user of all) {
      if (rand() >= 0.01) continue;
      const other = depts[1 + int(depts.length - 1)];
      if (user.dept_id_list.includes(other.record.dept_id)) continue;
      user.dept_id_list.push(other.record.dept_id);
      other.members.push(user);
      user.dept_order_list.push({ dept_id: other.record.dept_id, order: other.members.length * 1024 });
    }
  }
  // job_number is not an identifier: one deliberate repeat keeps consumers honest.
  if (all.length > 10) all[all.length - 1].job_number = all[0].job_number;

  return { corpName, mailDomain, departments: depts.map((d) => d.record), users: all };
}

function buildDepartments(
  corpName: string,
  employees: number,
  depth: number,
  rand: () => number,
): DeptDraft[] {
  const avgSize = Math.min(70, Math.max(8, employees / 8));
  const wanted = depth === 1 ? 1 : Math.max(1, Math.round(employees / avgSize));
  const maxLevel = depth - 1;
  let nextId = 100_000_000 + Math.floor(rand() * 1_000_000);
  const root: DeptDraft = {
    record: {
      dept_id: 1,
      name: corpName,
      order: 0,
      dept_manager_userid_list: [],
      create_dept_group: true,
      auto_add_user: true,
    },
    level: 0,
    category: 'strategy',
    children: 0,
    members: [],
  };
  const drafts = [root];
  const childNames = new Map<number, Set<string>>();
  const addChild = (parent: DeptDraft, category?: Category): DeptDraft => {
    const taken = childNames.get(parent.record.dept_id) ?? new Set<string>();
    childNames.set(parent.record.dept_id, taken);
    let name = '';
    let cat = category ?? parent.category;
    if (parent.level === 0) {
      const division = DIVISIONS[parent.children] ?? [
        `第${cnNumber(parent.children - DIVISIONS.length + 1)}事业部`,
        'tech',
      ];
      [name, cat] = division;
    } else {
      for (let k = parent.children; !name || taken.has(name); k++) name = childName(parent, k);
    }
    taken.add(name);
    nextId += 1 + Math.floor(rand() * 5000);
    parent.children++;
    const draft: DeptDraft = {
      record: {
        dept_id: nextId,
        name,
        parent_id: parent.record.dept_id,
        order: parent.children * 1024,
        dept_manager_userid_list: [],
        create_dept_group: rand() < 0.8,
        auto_add_user: true,
      },
      level: parent.level + 1,
      category: cat,
      children: 0,
      members: [],
    };
    drafts.push(draft);
    return draft;
  };

  const divisions = Math.min(wanted - 1, DIVISIONS.length, Math.round(Math.sqrt(wanted - 1)) + 2);
  for (let i = 0; i < divisions; i++) addChild(root);
  // One chain down to the deepest level so `depth` is really reached.
  for (let parent = drafts[1]; parent && drafts.length < wanted && parent.level < maxLevel;)
    parent = addChild(parent);
  // The rest hang under random existing departments: a random recursive tree, capped at maxLevel.
  const parents = drafts.filter((d) => d.level >= 1 && d.level < maxLevel);
  while (drafts.length < wanted && parents.length > 0) {
    const child = addChild(parents[Math.floor(rand() * parents.length)]);
    if (child.level < maxLevel) parents.push(child);
  }
  return drafts;
}

function childName(parent: DeptDraft, k: number): string {
  const stem = parent.record.name.replace(/(项目组|办事处|中心|部|组)$/, '');
  if (parent.level === 1) {
    const pool = SUBUNITS[parent.category];
    return k < pool.length ? pool[k] : `${stem}${cnNumber(k - pool.length + 1)}部`;
  }
  if (parent.level === 2 && parent.category === 'sales' && k < CITIES.length) return `${CITIES[k]}办事处`;
  if (parent.level === 2 && parent.category === 'tech' && k < PROJECTS.length) return PROJECTS[k];
  if (parent.level === 2) return `${stem}${cnNumber(k + 1)}组`;
  return `第${cnNumber(k + 1)}小组`;
}

function managerTitle(dept: DeptDraft): string {
  if (dept.level === 0) return '首席执行官';
  const name = dept.record.name;
  if (name.endsWith('中心')) return `${name}总监`;
  if (name.endsWith('办事处')) return '办事处主任';
  if (name.endsWith('部')) return `${name}经理`;
  return '组长';
}

function assignManagers(depts: DeptDraft[]): void {
  const byId = new Map(depts.map((d) => [d.record.dept_id, d.record]));
  for (const dept of depts) {
    const head = dept.record.dept_manager_userid_list[0];
    // A department head reports to the nearest head above; everyone else to their own head.
    let aboveHead: string | undefined;
    for (let up = dept.record.parent_id; up !== undefined && !aboveHead; up = byId.get(up)?.parent_id) {
      aboveHead = byId.get(up)?.dept_manager_userid_list[0];
    }
    for (const user of dept.members)
      user.manager_userid = user.userid === head ? (aboveHead ?? '') : (head ?? '');
  }
}

function assignRoles(depts: DeptDraft[], all: UserRecord[]): void {
  if (all.length === 0) return;
  all[0].boss = true;
  const admin = depts.find((d) => d.category === 'admin')?.members[1] ?? all[Math.min(1, all.length - 1)];
  admin.admin_level = 1;
  const hr = depts.find((d) => d.category === 'hr')?.members ?? [];
  const subs = [...hr.slice(0, 2), ...all.slice(2, 4)].filter((u) => u.admin_level === 0).slice(0, 2);
  for (const user of subs) user.admin_level = 2;
}

class UserFactory {
  private readonly userids = new Set<string>();
  private serial = 0;

  constructor(
    private readonly rand: () => number,
    private readonly mailDomain: string,
  ) {}

  create(deptId: number, position: number): UserRecord {
    const rand = this.rand;
    const i = this.serial++;
    const english = i % 311 === 157;
    const name = english ? `${this.pick(ENGLISH_FIRST)} ${this.pick(ENGLISH_LAST)}` : this.chineseName(i);
    const jobNumber = String(i + 1).padStart(6, '0');
    return {
      userid: this.userid(),
      unionid: this.unionid(),
      name,
      avatar: rand() < 0.3 ? `https://static.example.com/avatar/${jobNumber}.png` : '',
      state_code: '86',
      mobile: `1${this.pick(['3', '5', '7', '8', '9'])}${this.digits(9)}`,
      telephone: rand() < 0.1 ? `0571-8${this.digits(7)}` : '',
      job_number: jobNumber,
      title: '',
      email: rand() < 0.3 ? `${1 + this.int(9)}${this.digits(8)}@qq.com` : '',
      org_email:
        rand() < 0.03
          ? `${english ? name.toLowerCase().replace(' ', '.') : `e${jobNumber}`}@${this.mailDomain}`
          : '',
      work_place: rand() < 0.2 ? this.pick(['杭州总部', '上海分公司', '北京分公司']) : '',
      remark: '',
      dept_id_list: [deptId],
      dept_order_list: [{ dept_id: deptId, order: position * 1024 }],
      hired_date: HIRED_FROM + Math.floor(rand() * HIRED_SPAN),
      active: rand() < 0.97,
      admin_level: 0,
      boss: false,
      manager_userid: '',
      extension: rand() < 0.02 ? '{"爱好":"旅游"}' : '',
    };
  }

  /** Guarantees the cases sync code must handle: a same-name pair even in tiny orgs. */
  sprinkleNamesakes(all: UserRecord[]): void {
    if (all.length < 4) return;
    all[Math.floor(all.length / 3)].name = '张伟';
    all[Math.floor((2 * all.length) / 3)].name = '张伟';
  }

  private chineseName(i: number): string {
    const r = this.rand();
    const surname =
      i % 53 === 7
        ? POLYPHONIC_SURNAMES[((i / 53) % POLYPHONIC_SURNAMES.length) | 0]
        : SURNAMES[Math.floor(r * r * SURNAMES.length)];
    return this.rand() < 0.6
      ? `${surname}${this.pick(GIVEN)}${this.pick(GIVEN)}`
      : `${surname}${this.pick(GIVEN)}`;
  }

  private userid(): string {
    // "managerNNNN" is what DingTalk assigns when an admin adds someone without a userid.
    for (let attempt = 0; ; attempt++) {
      const id =
        this.rand() < 0.25
          ? `manager${1 + this.int(10 ** (4 + Math.min(attempt, 6)))}`
          : this.rand() < 0.5
            ? `0${this.digits(15)}`
            : `1${this.digits(16)}`;
      if (!this.userids.has(id)) {
        this.userids.add(id);
        return id;
      }
    }
  }

  private unionid(): string {
    // Five base-62 characters per PRNG draw, built in one go: char-by-char concatenation and one
    // draw per character made this the main cost at 100k users. 26 random base-62 characters
    // never collide in practice, so no uniqueness set is kept.
    const codes = new Array<number>(28);
    for (let k = 0; k < 26;) {
      let x = Math.floor(this.rand() * 916_132_832); // 62^5
      for (let j = 0; j < 5 && k < 26; j++, k++) {
        codes[k] = ALNUM_CODES[x % 62];
        x = Math.floor(x / 62);
      }
    }
    codes[26] = 105; // 'i'
    codes[27] = 69; // 'E'
    return String.fromCharCode(...codes);
  }

  private digits(n: number): string {
    const head = String(Math.floor(this.rand() * 1e9)).padStart(9, '0');
    if (n <= 9) return head.slice(0, n);
    return (
      head +
      String(Math.floor(this.rand() * 1e9))
        .padStart(9, '0')
        .slice(0, n - 9)
    );
  }

  private int(n: number): number {
    return Math.floor(this.rand() * n);
  }

  private pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)];
  }
}

import { expect } from 'chai';
import type { OrgSnapshot } from '../../server/sandbox/dingtalk-emulator';
import { createSeededRandom, generateOrg } from '../../server/sandbox/org-generator';

function levels(org: OrgSnapshot): Map<number, number> {
  const byId = new Map(org.departments.map((d) => [d.dept_id, d]));
  const level = new Map<number, number>();
  const of = (id: number): number => {
    const known = level.get(id);
    if (known !== undefined) return known;
    const parent = byId.get(id)!.parent_id;
    const value = parent === undefined ? 0 : of(parent) + 1;
    level.set(id, value);
    return value;
  };
  for (const d of org.departments) of(d.dept_id);
  return level;
}

function directCounts(org: OrgSnapshot): Map<number, number> {
  const counts = new Map<number, number>(org.departments.map((d) => [d.dept_id, 0]));
  for (const u of org.users) for (const id of u.dept_id_list) counts.set(id, counts.get(id)! + 1);
  return counts;
}

describe('generateOrg', () => {
  const org = generateOrg({ employees: 20_000, depth: 5, seed: 42 });

  it('is deterministic per seed and differs across seeds', () => {
    const a = generateOrg({ employees: 500, depth: 4, seed: 1 });
    expect(generateOrg({ employees: 500, depth: 4, seed: 1 })).to.deep.equal(a);
    const b = generateOrg({ employees: 500, depth: 4, seed: 2 });
    expect(b.users.map((u) => u.userid)).to.not.deep.equal(a.users.map((u) => u.userid));
    const r1 = createSeededRandom(9);
    const r2 = createSeededRandom(9);
    expect([r1(), r1(), r1()]).to.deep.equal([r2(), r2(), r2()]);
  });

  it('has root department 1 named after the company, and exactly the requested employees', () => {
    const root = org.departments.find((d) => d.dept_id === 1)!;
    expect(root.name)
      .to.equal(org.corpName)
      .and.match(/有限公司$/);
    expect(root).to.not.have.property('parent_id');
    expect(org.users).to.have.length(20_000);
  });

  it('builds a tree exactly `depth` levels deep with unique sibling names and Chinese names', () => {
    const level = levels(org);
    expect(Math.max(...level.values())).to.equal(4);
    const ids = new Set(org.departments.map((d) => d.dept_id));
    expect(ids.size).to.equal(org.departments.length);
    const siblings = new Map<number, Set<string>>();
    for (const d of org.departments) {
      if (d.parent_id === undefined) continue;
      expect(ids.has(d.parent_id), `parent of ${d.name}`).to.equal(true);
      const names = siblings.get(d.parent_id) ?? new Set();
      expect(names.has(d.name), `duplicate sibling ${d.name}`).to.equal(false);
      names.add(d.name);
      siblings.set(d.parent_id, names);
      expect(d.name).to.match(/[\u4e00-\u9fa5]/);
    }
    const names = org.departments.map((d) => d.name);
    expect(names).to.include.members(['研发中心', '销售中心', '前端组', '华东销售部']);
    expect(generateOrg({ employees: 300, depth: 1, seed: 1 }).departments).to.have.length(1);
    expect(Math.max(...levels(generateOrg({ employees: 300, depth: 3, seed: 1 })).values())).to.equal(2);
  });

  it('sizes departments roughly 20–150 direct members', () => {
    const sizes = [...directCounts(org).entries()].filter(([id]) => id !== 1).map(([, n]) => n);
    const inRange = sizes.filter((n) => n >= 8 && n <= 160).length;
    expect(inRange / sizes.length).to.be.greaterThan(0.9);
    const sorted = [...sizes].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    expect(median).to.be.within(20, 150);
  });

  it('names people realistically: polyphonic surnames, a 张伟 pair, some English names', () => {
    const names = org.users.map((u) => u.name);
    expect(names.filter((n) => n === '张伟').length).to.be.at.least(2);
    for (const surname of ['单', '曾', '解', '仇', '区']) {
      expect(
        names.some((n) => n.startsWith(surname)),
        surname,
      ).to.equal(true);
    }
    const english = names.filter((n) => /^[A-Z][a-z]+ [A-Z][a-z]+$/.test(n));
    expect(english.length)
      .to.be.greaterThan(10)
      .and.lessThan(org.users.length * 0.01);
    expect(names.filter((n) => /^[\u4e00-\u9fa5]{2,4}$/.test(n)).length / names.length).to.be.greaterThan(
      0.98,
    );
  });

  it('gives unique realistic userids and unionids, titles, job numbers and hire dates', () => {
    expect(new Set(org.users.map((u) => u.userid)).size).to.equal(org.users.length);
    expect(new Set(org.users.map((u) => u.unionid)).size).to.equal(org.users.length);
    for (const u of org.users) {
      expect(u.userid).to.match(/^(manager\d+|0\d{15}|1\d{16})$/);
      expect(u.title).to.not.equal('');
      expect(u.job_number).to.match(/^\d{6}$/);
      expect(u.hired_date).to.be.within(Date.UTC(2012, 0, 1), Date.UTC(2025, 5, 30));
    }
    expect(org.users.some((u) => u.userid.startsWith('manager'))).to.equal(true);
    expect(org.users.some((u) => u.email !== '')).to.equal(true);
    expect(org.users.some((u) => u.org_email !== '')).to.equal(true);
    expect(org.users.filter((u) => u.email === '').length).to.be.greaterThan(org.users.length / 2);
  });

  it('puts about 1% in two departments, with an order in each', () => {
    const multi = org.users.filter((u) => u.dept_id_list.length > 1);
    expect(multi.length / org.users.length).to.be.within(0.005, 0.02);
    for (const u of multi) {
      expect(new Set(u.dept_id_list).size).to.equal(u.dept_id_list.length);
      expect(u.dept_order_list.map((o) => o.dept_id)).to.deep.equal(u.dept_id_list);
    }
  });

  it('has managers who are members, one main admin, two sub-admins and a boss', () => {
    const counts = directCounts(org);
    const members = new Map<number, Set<string>>();
    for (const u of org.users)
      for (const id of u.dept_id_list) members.set(id, (members.get(id) ?? new Set()).add(u.userid));
    for (const d of org.departments) {
      if (counts.get(d.dept_id) === 0) continue;
      expect(d.dept_manager_userid_list.length, d.name).to.be.within(1, 2);
      for (const m of d.dept_manager_userid_list) expect(members.get(d.dept_id)!.has(m)).to.equal(true);
    }
    expect(org.users.filter((u) => u.admin_level === 1)).to.have.length(1);
    expect(org.users.filter((u) => u.admin_level === 2)).to.have.length(2);
    expect(org.users.filter((u) => u.boss)).to.have.length(1);
  });

  it('handles tiny orgs', () => {
    expect(generateOrg({ employees: 0, depth: 3, seed: 1 }).users).to.have.length(0);
    const one = generateOrg({ employees: 1, depth: 3, seed: 1 });
    expect(one.users[0].dept_id_list).to.deep.equal([1]);
    expect(generateOrg({ employees: 7, depth: 4, seed: 3 }).users).to.have.length(7);
  });

  it('generates 100,000 employees with unique ids', () => {
    const big = generateOrg({ employees: 100_000, depth: 6, seed: 1 });
    expect(big.users).to.have.length(100_000);
    expect(new Set(big.users.map((u) => u.userid)).size).to.equal(100_000);
    expect(big.departments.length).to.be.within(1000, 2000);
  });
});

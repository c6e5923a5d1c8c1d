import { expect } from 'chai';
import { ManualClock } from '../../server/platform/clock';
import { startDingTalkEmulator, type RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { generateOrg } from '../../server/sandbox/org-generator';
import { raw, TEST_APP, token, topapi, type Json } from '../support/emulator-http';

// Department and user reads of the emulator, over real HTTP on 127.0.0.1.

describe('DingTalk emulator: directory', () => {
  const clock = new ManualClock(new Date('2026-03-02T02:00:00Z'));
  const org = generateOrg({ employees: 600, depth: 4, seed: 11 });
  let emu: RunningEmulator;
  let tok: string;
  before(async () => {
    emu = await startDingTalkEmulator({ org, ...TEST_APP, clock });
    tok = await token(emu);
  });
  after(() => emu.close());
  const call = (path: string, body: Json = {}): Promise<Json> => topapi(emu, path, body, tok);

  it('listsub: direct children without `order`; omitting dept_id means root', async () => {
    const res = await call('/topapi/v2/department/listsub', {});
    const expected = org.departments.filter((d) => d.parent_id === 1).map((d) => d.dept_id);
    expect(res.result.map((d: Json) => d.dept_id)).to.have.members(expected);
    for (const item of res.result) {
      expect(item).to.have.all.keys('auto_add_user', 'create_dept_group', 'dept_id', 'name', 'parent_id');
      expect(item.parent_id).to.equal(1);
    }
  });

  it('listsubid, get (order, managers, member_count), unknown dept → 60003', async () => {
    const child = org.departments.find((d) => d.parent_id === 1)!;
    const ids = await call('/topapi/v2/department/listsubid', { dept_id: 1 });
    expect(ids.result.dept_id_list).to.include(child.dept_id);
    const root = await call('/topapi/v2/department/get', { dept_id: 1 });
    expect(root.result).to.include({ dept_id: 1, name: org.corpName, member_count: 600 });
    const got = await call('/topapi/v2/department/get', { dept_id: child.dept_id });
    expect(got.result).to.include({ parent_id: 1, order: child.order, name: child.name });
    expect(got.result.dept_manager_userid_list).to.deep.equal(child.dept_manager_userid_list);
    for (const path of [
      '/topapi/v2/department/get',
      '/topapi/v2/department/listsub',
      '/topapi/user/listid',
    ]) {
      expect(await call(path, { dept_id: 999 })).to.include({ errcode: 60003, errmsg: '未找到对应部门' });
    }
    expect(await call('/topapi/v2/user/list', { dept_id: 999, cursor: 0, size: 10 })).to.include({
      errcode: 60003,
    });
  });

  it('listparentbydept and listparentbyuser walk up to 1; a bad userid → 33012', async () => {
    const deep = org.departments.find((d) => d.parent_id !== undefined && d.parent_id !== 1)!;
    const chain = await call('/topapi/v2/department/listparentbydept', { dept_id: deep.dept_id });
    expect(chain.result.parent_id_list[0]).to.equal(deep.dept_id);
    expect(chain.result.parent_id_list).to.include(deep.parent_id);
    expect(chain.result.parent_id_list.at(-1)).to.equal(1);
    const multi = org.users.find((u) => u.dept_id_list.length > 1)!;
    const byUser = await call('/topapi/v2/department/listparentbyuser', { userid: multi.userid });
    expect(byUser.result.parent_list).to.have.length(multi.dept_id_list.length);
    expect(byUser.result.parent_list[0].parent_dept_id_list[0]).to.equal(multi.dept_id_list[0]);
    expect((await call('/topapi/v2/department/listparentbyuser', { userid: 'ghost' })).errcode).to.equal(
      33012,
    );
  });

  it('v2/user/list: size must be 1..100 and cursor ≥ 0, else 40035', async () => {
    for (const bad of [
      { size: 0 },
      { size: 101 },
      { cursor: -1 },
      { order_field: 'name' },
      { cursor: 'x' },
    ]) {
      const res = await call('/topapi/v2/user/list', { dept_id: 1, cursor: 0, size: 10, ...bad });
      expect(res.errcode, JSON.stringify(bad)).to.equal(40035);
    }
    expect((await call('/topapi/v2/user/list', { dept_id: 1, size: 10 })).errcode).to.equal(40035);
  });

  it('v2/user/list pages with offsets; next_cursor is absent on the last page', async () => {
    const big = org.departments.reduce((a, b) =>
      org.users.filter((u) => u.dept_id_list.includes(b.dept_id)).length >
      org.users.filter((u) => u.dept_id_list.includes(a.dept_id)).length
        ? b
        : a,
    );
    const members = org.users.filter((u) => u.dept_id_list.includes(big.dept_id)).map((u) => u.userid);
    expect(members.length).to.be.greaterThan(7);
    const seen: string[] = [];
    let cursor = 0;
    for (let pages = 0; pages < 100; pages++) {
      const res = await call('/topapi/v2/user/list', { dept_id: big.dept_id, cursor, size: 7 });
      seen.push(...res.result.list.map((u: Json) => u.userid));
      if (!res.result.has_more) {
        expect(res.result).to.not.have.property('next_cursor');
        break;
      }
      expect(res.result.next_cursor).to.equal(cursor + 7);
      cursor = res.result.next_cursor;
    }
    expect(seen).to.deep.equal(members);
    const past = await call('/topapi/v2/user/list', { dept_id: big.dept_id, cursor: 5000, size: 7 });
    expect(past.result).to.deep.equal({ has_more: false, list: [] });
  });

  it('v2/user/list returns direct members only and omits empty email/org_email', async () => {
    const res = await call('/topapi/v2/user/list', { dept_id: 1, cursor: 0, size: 100 });
    const direct = org.users.filter((u) => u.dept_id_list.includes(1)).map((u) => u.userid);
    expect(res.result.list.map((u: Json) => u.userid)).to.deep.equal(direct);
    let withEmail = 0;
    let withoutEmail = 0;
    for (const dept of org.departments) {
      const page = await call('/topapi/v2/user/list', { dept_id: dept.dept_id, cursor: 0, size: 100 });
      for (const user of page.result.list) {
        for (const key of [
          'email',
          'org_email',
          'work_place',
          'remark',
          'extension',
          'telephone',
          'avatar',
        ]) {
          if (key in user) expect(user[key], key).to.be.a('string').and.not.equal('');
        }
        if ('email' in user) withEmail++;
        else withoutEmail++;
        expect(user.dept_id_list).to.include(dept.dept_id);
        expect(user.leader).to.equal(dept.dept_manager_userid_list.includes(user.userid));
      }
    }
    expect(withEmail).to.be.greaterThan(0);
    expect(withoutEmail).to.be.greaterThan(0);
  });

  it('a full walk (BFS + paging by 100) finds every user; multi-dept users appear in each dept', async () => {
    const queue = [1];
    const appearances = new Map<string, number>();
    let depts = 0;
    while (queue.length) {
      const deptId = queue.shift()!;
      depts++;
      const subs = await call('/topapi/v2/department/listsubid', { dept_id: deptId });
      queue.push(...subs.result.dept_id_list);
      for (let cursor: number | undefined = 0; cursor !== undefined;) {
        const res = await call('/topapi/v2/user/list', { dept_id: deptId, cursor, size: 100 });
        for (const u of res.result.list) appearances.set(u.userid, (appearances.get(u.userid) ?? 0) + 1);
        cursor = res.result.has_more ? res.result.next_cursor : undefined;
      }
    }
    expect(depts).to.equal(org.departments.length);
    const count = await call('/topapi/user/count', { only_active: false });
    expect(appearances.size).to.equal(count.result.count).and.equal(org.users.length);
    const multi = org.users.filter((u) => u.dept_id_list.length > 1);
    expect(multi.length).to.be.greaterThan(0);
    for (const u of multi) expect(appearances.get(u.userid)).to.equal(u.dept_id_list.length);
  });

  it('order_field entry_asc sorts by hired_date', async () => {
    const res = await call('/topapi/v2/user/list', {
      dept_id: org.departments[1].dept_id,
      cursor: 0,
      size: 100,
      order_field: 'entry_asc',
    });
    const dates = res.result.list.map((u: Json) => u.hired_date);
    expect(dates).to.deep.equal([...dates].sort((a, b) => a - b));
  });

  it('listsimple (40069 for a bad size), listid, count, listadmin', async () => {
    const dept = org.departments[1];
    const simple = await call('/topapi/user/listsimple', { dept_id: dept.dept_id, cursor: 0, size: 3 });
    expect(simple.result.list[0]).to.have.all.keys('name', 'userid');
    expect(
      (await call('/topapi/user/listsimple', { dept_id: dept.dept_id, cursor: 0, size: 101 })).errcode,
    ).to.equal(40069);
    const ids = await call('/topapi/user/listid', { dept_id: dept.dept_id });
    expect(ids.result.userid_list).to.deep.equal(
      org.users.filter((u) => u.dept_id_list.includes(dept.dept_id)).map((u) => u.userid),
    );
    const active = await call('/topapi/user/count', { only_active: true });
    expect(active.result.count)
      .to.equal(org.users.filter((u) => u.active).length)
      .and.be.lessThan(600);
    expect((await call('/topapi/user/count', {})).errcode).to.equal(40035);
    const admins = await call('/topapi/user/listadmin');
    expect(admins.result.filter((a: Json) => a.sys_level === 1)).to.have.length(1);
    expect(admins.result.filter((a: Json) => a.sys_level === 2)).to.have.length(2);
  });

  it('v2/user/get: details with per-dept order and leadership; unknown → 60121 找不到该用户', async () => {
    const multi = org.users.find((u) => u.dept_id_list.length > 1)!;
    const res = await call('/topapi/v2/user/get', { userid: multi.userid, language: 'zh_CN' });
    expect(res.result).to.include({ userid: multi.userid, name: multi.name, unionid: multi.unionid });
    expect(res.result.dept_order_list.map((o: Json) => o.dept_id)).to.deep.equal(multi.dept_id_list);
    expect(res.result.leader_in_dept).to.have.length(multi.dept_id_list.length);
    expect(res.result.avatar).to.be.a('string');
    expect(await call('/topapi/v2/user/get', { userid: 'ghost' })).to.include({
      errcode: 60121,
      errmsg: '找不到该用户',
    });
  });

  it('getbyunionid maps a unionid to a userid; a stranger → 60121', async () => {
    const user = org.users[5];
    const res = await call('/topapi/user/getbyunionid', { unionid: user.unionid });
    expect(res.result).to.deep.equal({ contact_type: 0, userid: user.userid });
    expect((await call('/topapi/user/getbyunionid', { unionid: 'stranger' })).errcode).to.equal(60121);
  });

  it('accepts numeric strings in JSON and form bodies alike', async () => {
    const json = await call('/topapi/v2/user/list', { dept_id: '1', cursor: '0', size: '5' });
    const form = await raw(emu, '/topapi/v2/user/list', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `access_token=${tok}&dept_id=1&cursor=0&size=5`,
    });
    expect(form.body.result).to.deep.equal(json.result);
  });
});

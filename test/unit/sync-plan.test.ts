import { expect } from 'chai';
import fc from 'fast-check';
import type { DirectoryDepartment, DirectoryMember } from '../../server/modules/directory';
import { countPlan, planSync } from '../../server/modules/directory';
import type { HeldDepartment, HeldMember } from '../../server/modules/directory/sync-plan';
import { suspensionLimit } from '../../server/modules/directory/sync-plan';

const member = (id: string, over: Partial<DirectoryMember> = {}): DirectoryMember => ({
  externalId: id,
  displayName: `员工${id}`,
  departmentIds: ['1'],
  title: null,
  jobNumber: null,
  directoryEmail: null,
  avatarUrl: null,
  isOrgAdmin: false,
  hiredAt: null,
  ...over,
});
const held = (m: DirectoryMember, status: HeldMember['status'] = 'active'): HeldMember => ({
  ...m,
  id: `id-${m.externalId}`,
  status,
});
const dept = (id: string, parent: string | null, name = `部门${id}`): DirectoryDepartment => ({
  externalId: id,
  parentExternalId: parent,
  name,
  order: 0,
  managerExternalIds: [],
});

function state(members: HeldMember[], departments: HeldDepartment[] = [dept('1', null)]) {
  return {
    members: new Map(members.map((m) => [m.externalId, m])),
    departments: new Map(departments.map((d) => [d.externalId, d])),
  };
}

describe('sync planner', () => {
  it('plans create, update, move, suspend and reactivate by stable id, never by name', () => {
    const h = state([
      held(member('a')),
      held(member('b', { title: '工程师' })),
      held(member('c')),
      held(member('d')),
      held(member('e'), 'suspended'),
    ]);
    const plan = planSync(
      h,
      {
        departments: [dept('1', null), dept('2', '1')],
        members: [
          member('a'),
          member('b', { title: '高级工程师' }),
          member('c', { departmentIds: ['2'] }),
          member('e'),
          member('f', { displayName: '员工a' }), // same name as a, different person
        ],
      },
      { kind: 'full' },
    );
    expect(countPlan(plan)).to.deep.equal({
      departmentsCreated: 1,
      departmentsUpdated: 0,
      departmentsRemoved: 0,
      membersCreated: 1,
      membersUpdated: 1,
      membersMoved: 1,
      membersSuspended: 1,
      membersReactivated: 1,
    });
    expect(plan.members.suspend.map((s) => s.externalId)).to.deep.equal(['d']);
    expect(plan.members.update.find((u) => u.kind === 'move')?.changed).to.deep.equal(['departmentIds']);
    expect(plan.activeBefore).to.equal(4);
  });

  it('an event sync touches only the ids it names; a missing id means the person left', () => {
    const h = state([held(member('a')), held(member('b'))]);
    const plan = planSync(
      h,
      { departments: [], members: [], missingMemberIds: ['a'], missingDepartmentIds: [] },
      { kind: 'ids', memberIds: new Set(['a']), departmentIds: new Set() },
    );
    expect(plan.members.suspend.map((s) => s.externalId)).to.deep.equal(['a']);
    expect(countPlan(plan).departmentsRemoved).to.equal(0);
  });

  it('the suspension limit is the larger of the percentage and the floor', () => {
    expect(suspensionLimit(200, { percent: 5, floor: 50 })).to.equal(50);
    expect(suspensionLimit(100_000, { percent: 5, floor: 50 })).to.equal(5000);
  });

  it('property: planning a directory against itself changes nothing; against nothing creates everything', () => {
    const arbMember = fc.record({
      id: fc.stringMatching(/^[a-z0-9]{1,8}$/),
      name: fc.string({ minLength: 1, maxLength: 6 }),
      depts: fc.uniqueArray(fc.constantFrom('1', '2', '3', '4'), { minLength: 1, maxLength: 3 }),
      admin: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.uniqueArray(arbMember, { selector: (m) => m.id, maxLength: 40 }), (raw) => {
        const fetched = raw.map((r) =>
          member(r.id, { displayName: r.name, departmentIds: r.depts, isOrgAdmin: r.admin }),
        );
        const departments = [dept('1', null), dept('2', '1'), dept('3', '1'), dept('4', '2')];
        // Department ids in another order are the same membership.
        const same = state(
          fetched.map((m) => held({ ...m, departmentIds: [...m.departmentIds].reverse() })),
          departments,
        );
        const none = planSync(same, { departments, members: fetched }, { kind: 'full' });
        expect(Object.values(countPlan(none)).every((n) => n === 0)).to.equal(true);
        const all = planSync(state([], []), { departments, members: fetched }, { kind: 'full' });
        expect(countPlan(all).membersCreated).to.equal(fetched.length);
        expect(countPlan(all).departmentsCreated).to.equal(departments.length);
        expect(countPlan(all).membersSuspended).to.equal(0);
      }),
      { numRuns: 200 },
    );
  });
});

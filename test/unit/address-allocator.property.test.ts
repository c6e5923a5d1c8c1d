import { expect } from 'chai';
import fc from 'fast-check';
import {
  allocateAddress,
  allocateAddresses,
  allocateDepartmentGroups,
  AddressAllocator,
  withCollisionSuffix,
  type AddressAllocatorOptions,
  type AddressCandidate,
} from '../../server/modules/directory/address-allocator';
import {
  LOCAL_PART_MAX_LENGTH,
  LOCAL_PART_PATTERN,
  RESERVED_LOCAL_PARTS,
  validateLocalPart,
  type AddressTemplateInput,
} from '../../shared/directory/address-template';

/*
 * Property-based tests (issue 8) for address allocation: whatever the directory holds, allocated
 * addresses are unique, valid local parts, never reserved or taken, deterministic, independent of
 * input order, and existing holders keep theirs. Fixed seed so CI failures reproduce.
 */

const SEED = 8_2026_1124;
const opts = { seed: SEED, numRuns: 200 };

// Names that collide a lot (张伟), compound surnames, traditional forms, Latin, junk and emoji.
const NAMES = [
  '张伟',
  '張偉',
  '王芳',
  '欧阳娜娜',
  '诸葛亮',
  '单雄信',
  '吕小明',
  'Tom Li',
  'admin',
  'Info',
  '!!!',
  '',
  '😀',
];
const displayName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NAMES) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom('张'.repeat(80), 'a'.repeat(100), 'x1'.repeat(40)) },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.integer({ min: 0x4e00, max: 0x9fff }), { minLength: 1, maxLength: 4 })
      .map((cps) => String.fromCodePoint(...cps)),
  },
);
const jobNumber = fc.option(
  fc.oneof(
    fc.constantFrom('00021116', 'A-1023', 'admin', 'ＡＢ１２', ' 007 ', 'x'.repeat(70)),
    fc.string({ maxLength: 10 }),
  ),
  { nil: null },
);
const orgEmail = fc.option(
  fc.oneof(
    fc.constantFrom(
      'zhang.san@acme.cn',
      'ZHANG@ACME.CN',
      'postmaster@acme.cn',
      'a..b@acme.cn',
      'x@other.com',
    ),
    fc.string({ maxLength: 20 }).map((s) => `${s}@acme.cn`),
  ),
  { nil: null },
);
const hiredAt = fc.option(
  fc.date({ min: new Date('2000-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }),
  { nil: null },
);

function candidates(maxLength = 30): fc.Arbitrary<AddressCandidate[]> {
  return fc.array(fc.record({ displayName, jobNumber, orgEmail, hiredAt }), { maxLength }).chain((people) =>
    fc
      .uniqueArray(
        fc.oneof(fc.nat({ max: 100_000 }).map(String), fc.string({ minLength: 1, maxLength: 6 })),
        {
          minLength: people.length,
          maxLength: people.length,
        },
      )
      .map((ids) => people.map((p, i) => ({ ...p, externalId: ids[i] }))),
  );
}

const template: fc.Arbitrary<AddressTemplateInput> = fc.oneof(
  fc
    .constantFrom('full_pinyin', 'family_dot_given', 'initials_family')
    .map((kind) => ({ kind }) as AddressTemplateInput),
  fc
    .record({
      kind: fc.constantFrom('job_number', 'org_email'),
      fallback: fc.constantFrom('full_pinyin', 'family_dot_given', 'initials_family'),
    })
    .map((t) => t as AddressTemplateInput),
);
const options: fc.Arbitrary<AddressAllocatorOptions> = fc.record({
  template,
  domains: fc.constant(['acme.cn']),
  extraReserved: fc.subarray(['zhangwei', 'boss', 'hr', 'ceo']),
});
const taken = fc
  .uniqueArray(
    fc.constantFrom(
      'zhangwei',
      'zhangwei2',
      'zhangwei4',
      'wangfang',
      'zhang.san',
      '00021116',
      'tomli',
      'user',
    ),
    {
      maxLength: 6,
    },
  )
  .map((xs) => new Set<string>(xs));

function expectValid(localPart: string, reserved: Iterable<string>): void {
  expect(localPart.length, localPart).to.be.within(1, LOCAL_PART_MAX_LENGTH);
  expect(localPart).to.match(LOCAL_PART_PATTERN);
  expect(validateLocalPart(localPart, { extraReserved: reserved })).to.deep.equal([]);
  expect(RESERVED_LOCAL_PARTS).to.not.include(localPart);
}

const byId = (xs: { externalId: string; localPart: string }[]) =>
  Object.fromEntries(xs.map((x) => [x.externalId, x.localPart]));

describe('address allocator properties (fast-check, fixed seed)', () => {
  it('hands out unique, valid local parts: never taken, never reserved', () => {
    fc.assert(
      fc.property(candidates(), taken, options, (people, inUse, o) => {
        const result = allocateAddresses(people, inUse, o);
        const parts = result.map((a) => a.localPart);
        expect(new Set(parts).size).to.equal(parts.length);
        for (const p of parts) {
          expectValid(p, o.extraReserved ?? []);
          expect(inUse.has(p), p).to.equal(false);
          expect([...(o.extraReserved ?? [])]).to.not.include(p);
        }
        expect(result.map((a) => a.externalId)).to.deep.equal(people.map((p) => p.externalId));
      }),
      opts,
    );
  });

  it('is deterministic and does not depend on the input order', () => {
    fc.assert(
      fc.property(candidates(), taken, options, fc.nat(), (people, inUse, o, shift) => {
        const first = byId(allocateAddresses(people, inUse, o));
        expect(byId(allocateAddresses(people, inUse, o))).to.deep.equal(first);
        const k = people.length ? shift % people.length : 0;
        const shuffled = [...people.slice(k), ...people.slice(0, k)].reverse();
        expect(byId(allocateAddresses(shuffled, inUse, o))).to.deep.equal(first);
      }),
      opts,
    );
  });

  it('is stable for existing members: newcomers never get an address already held', () => {
    fc.assert(
      fc.property(candidates(15), candidates(15), taken, options, (existing, joining, inUse, o) => {
        const ids = new Set(existing.map((p) => p.externalId));
        const newcomers = joining.filter((p) => !ids.has(p.externalId));
        const held = allocateAddresses(existing, inUse, o);
        const nowTaken = new Set([...inUse, ...held.map((a) => a.localPart)]);
        const added = allocateAddresses(newcomers, nowTaken, o);
        for (const a of added) expect(nowTaken.has(a.localPart), a.localPart).to.equal(false);
        // a later sync of the same existing people, with their own addresses taken, changes nothing for them
        expect(byId(allocateAddresses(existing, inUse, o))).to.deep.equal(byId(held));
        // one person joining alone gets what a batch of one would give
        if (newcomers[0])
          expect(allocateAddress(newcomers[0], nowTaken, o)).to.deep.equal(
            allocateAddresses([newcomers[0]], nowTaken, o)[0],
          );
      }),
      opts,
    );
  });

  it('people and department groups share one namespace without collisions', () => {
    const departments = fc.uniqueArray(
      fc.record({
        externalId: fc.nat({ max: 10_000 }).map(String),
        name: fc.oneof(
          fc.constantFrom('销售部', '研发中心', '华南', 'HR', '!!!', ''),
          fc.string({ maxLength: 8 }),
        ),
        parentNames: fc.array(fc.constantFrom('总部', '华南', '销售部', ''), { maxLength: 3 }),
      }),
      { maxLength: 15, selector: (d) => d.externalId },
    );
    fc.assert(
      fc.property(candidates(15), departments, taken, options, (people, depts, inUse, o) => {
        const groups = allocateDepartmentGroups(depts, inUse, o);
        const groupParts = groups.map((g) => g.localPart);
        expect(new Set(groupParts).size).to.equal(groupParts.length);
        for (const g of groupParts) {
          expect(g).to.match(LOCAL_PART_PATTERN);
          expect(g.length).to.be.at.most(LOCAL_PART_MAX_LENGTH);
          expect(inUse.has(g)).to.equal(false);
        }
        // one allocator for both, as a sync run uses
        const allocator = new AddressAllocator(inUse, o);
        const mixed = [
          ...depts.map((d) => allocator.allocateDepartmentGroup(d).localPart),
          ...people.map((p) => allocator.allocatePerson(p).localPart),
        ];
        expect(new Set(mixed).size).to.equal(mixed.length);
      }),
      opts,
    );
  });

  it('collision suffixes stay valid, within 64 characters and distinct', () => {
    const base = fc
      .stringMatching(/^[a-z0-9]{1,30}(\.[a-z0-9]{1,30}){0,2}$/)
      .filter((b) => b.length <= LOCAL_PART_MAX_LENGTH);
    fc.assert(
      fc.property(
        base,
        fc.uniqueArray(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 2, maxLength: 10 }),
        (b, ns) => {
          const out = ns.map((n) => withCollisionSuffix(b, n));
          for (const x of out) {
            expect(x).to.match(LOCAL_PART_PATTERN);
            expect(x.length).to.be.at.most(LOCAL_PART_MAX_LENGTH);
          }
          expect(new Set(out).size).to.equal(out.length);
        },
      ),
      opts,
    );
  });
});

import { expect } from 'chai';
import fc from 'fast-check';
import {
  AddressAllocator,
  addressBase,
  allocateAddress,
  allocateAddresses,
  allocateDepartmentGroups,
  compareCandidates,
  departmentGroupLocalPart,
  withCollisionSuffix,
  type AddressAllocatorOptions,
  type AddressCandidate,
} from '../../server/modules/directory/address-allocator';
import { romanizeName } from '../../server/modules/directory/name-romanizer';
import {
  ADDRESS_TEMPLATE_LABELS,
  AddressTemplate,
  AddressTemplateKind,
  LocalPart,
  LOCAL_PART_PATTERN,
  RESERVED_LOCAL_PARTS,
  validateLocalPart,
  type AddressTemplateInput,
  type NameTemplateKind,
} from '../../shared/directory/address-template';

let nextId = 1;
function person(displayName: string, extra: Partial<AddressCandidate> = {}): AddressCandidate {
  return { externalId: `u${String(nextId++).padStart(6, '0')}`, displayName, ...extra };
}

function addressFor(name: string, kind: NameTemplateKind = 'full_pinyin'): string {
  return allocateAddress(person(name), new Set(), { template: { kind } }).localPart;
}

function isValidLocalPart(s: string): boolean {
  return s.length <= 64 && LOCAL_PART_PATTERN.test(s);
}

describe('address allocator', () => {
  describe('name templates', () => {
    // name → [full_pinyin, family_dot_given, initials_family]
    const table: [string, string, string, string][] = [
      ['张三', 'zhangsan', 'zhang.san', 'szhang'],
      ['张三丰', 'zhangsanfeng', 'zhang.sanfeng', 'sfzhang'],
      ['欧阳娜娜', 'ouyangnana', 'ouyang.nana', 'nnouyang'],
      ['诸葛亮', 'zhugeliang', 'zhuge.liang', 'lzhuge'],
      ['单雄信', 'shanxiongxin', 'shan.xiongxin', 'xxshan'],
      ['吕小明', 'lvxiaoming', 'lv.xiaoming', 'xmlv'],
      ['王', 'wang', 'wang', 'wang'],
      ['张 三', 'zhangsan', 'zhang.san', 'szhang'],
      ['欧阳 娜娜', 'ouyangnana', 'ouyang.nana', 'nnouyang'],
      ['张三（外包）', 'zhangsan', 'zhang.san', 'szhang'],
      ['李四【实习】', 'lisi', 'li.si', 'sli'],
      ['Tom Li', 'tomli', 'tom.li', 'tli'],
      ['José García', 'josegarcia', 'jose.garcia', 'jgarcia'],
      ['John Ronald Reuel Tolkien', 'johnronaldreueltolkien', 'johnronaldreuel.tolkien', 'jrrtolkien'],
      ["Conan O'Brien", 'conanobrien', 'conan.obrien', 'cobrien'],
      ['Mary Smith-Jones', 'marysmithjones', 'mary.smithjones', 'msmithjones'],
      ['Łukasz Żółw', 'lukaszzolw', 'lukasz.zolw', 'lzolw'],
      ['Madonna', 'madonna', 'madonna', 'madonna'],
      ['Anna王', 'annawang', 'anna.wang', 'awang'],
      ['王Anna', 'wanganna', 'wang.anna', 'awang'],
      ['Anna单', 'annashan', 'anna.shan', 'ashan'],
      ['约翰·史密斯', 'yuehanshimisi', 'yuehan.shimisi', 'yshimisi'],
      ['lüxiaoming', 'lvxiaoming', 'lvxiaoming', 'lvxiaoming'],
      ['Lü Xiaoming', 'lvxiaoming', 'lv.xiaoming', 'lxiaoming'],
      ['ＴＯＭ　ＬＩ', 'tomli', 'tom.li', 'tli'],
      ['😀 Tom 🎉 Li!!', 'tomli', 'tom.li', 'tli'],
    ];
    for (const [name, full, dotted, initials] of table) {
      it(`${name} → ${full} / ${dotted} / ${initials}`, () => {
        expect(addressFor(name, 'full_pinyin')).to.equal(full);
        expect(addressFor(name, 'family_dot_given')).to.equal(dotted);
        expect(addressFor(name, 'initials_family')).to.equal(initials);
      });
    }

    it('uses the default template (full_pinyin) when none is given', () => {
      expect(allocateAddress(person('张三'), new Set()).localPart).to.equal('zhangsan');
    });
  });

  describe('surname readings', () => {
    const polyphonic: [string, string][] = [
      ['单田芳', 'shantianfang'],
      ['曾国藩', 'zengguofan'],
      ['解缙', 'xiejin'],
      ['仇英', 'qiuying'],
      ['区志强', 'ouzhiqiang'],
      ['朴槿惠', 'piaojinhui'],
      ['查良镛', 'zhaliangyong'],
      ['盖聂', 'genie'],
      ['乐嘉', 'yuejia'],
      ['万俟卨', 'moqixie'],
      ['吕', 'lv'],
      ['缪斯', 'miaosi'],
      // Traditional forms: pinyin-pro's surname mode only knows simplified ones.
      ['單雄信', 'shanxiongxin'],
      ['樂嘉', 'yuejia'],
      ['區志強', 'ouzhiqiang'],
      ['張三', 'zhangsan'],
    ];
    for (const [name, expected] of polyphonic) {
      it(`${name} → ${expected}`, () => expect(addressFor(name)).to.equal(expected));
    }

    it('reads the surname reading only at the start, not in the given name', () => {
      expect(addressFor('单单')).to.equal('shandan');
      expect(addressFor('李乐乐')).to.equal('lilele');
    });

    const compound: [string, string][] = [
      ['欧阳娜娜', 'ouyang.nana'],
      ['司马光', 'sima.guang'],
      ['诸葛亮', 'zhuge.liang'],
      ['上官婉儿', 'shangguan.waner'],
      ['东方朔', 'dongfang.shuo'],
      ['皇甫嵩', 'huangfu.song'],
      ['尉迟恭', 'yuchi.gong'],
      ['公孙胜', 'gongsun.sheng'],
      ['慕容复', 'murong.fu'],
      ['长孙无忌', 'zhangsun.wuji'],
      ['令狐冲', 'linghu.chong'],
      ['夏侯惇', 'xiahou.dun'],
      ['宇文泰', 'yuwen.tai'],
      ['司徒雷登', 'situ.leideng'],
      ['端木蓉', 'duanmu.rong'],
      ['万俟卨', 'moqi.xie'],
      ['長孫無忌', 'zhangsun.wuji'],
      ['歐陽娜娜', 'ouyang.nana'],
      // Two characters alone are a single surname plus a given name.
      ['欧阳', 'ou.yang'],
    ];
    for (const [name, expected] of compound) {
      it(`${name} → ${expected}`, () => expect(addressFor(name, 'family_dot_given')).to.equal(expected));
    }

    it('gives initials_family the whole compound surname', () => {
      expect(addressFor('欧阳娜娜', 'initials_family')).to.equal('nnouyang');
      expect(addressFor('司马相如', 'initials_family')).to.equal('xrsima');
    });

    it('splits romanized names into family and given parts', () => {
      expect(romanizeName('欧阳娜娜')).to.deep.equal({
        family: ['ouyang'],
        given: ['na', 'na'],
        familyFirst: true,
      });
      expect(romanizeName('Tom Li')).to.deep.equal({ family: ['li'], given: ['tom'], familyFirst: false });
      expect(romanizeName('!!!')).to.deep.equal({ family: [], given: [], familyFirst: true });
    });
  });

  describe('unusable names', () => {
    for (const name of ['!!!', '', '   ', '😀🎉', '김민수']) {
      it(`${JSON.stringify(name)} gets a placeholder derived from the external id`, () => {
        const a = allocateAddress({ externalId: 'manager4711', displayName: name }, new Set());
        expect(a.localPart).to.match(/^user[a-z0-9]{7}$/);
        expect(a.source).to.equal('placeholder');
        const again = allocateAddress({ externalId: 'manager4711', displayName: name }, new Set());
        expect(again.localPart).to.equal(a.localPart);
        const other = allocateAddress({ externalId: 'manager4712', displayName: name }, new Set());
        expect(other.localPart).to.not.equal(a.localPart);
      });
    }

    it('keeps a name that is only a parenthesised note', () => {
      expect(addressFor('(Tom)')).to.equal('tom');
    });
  });

  describe('job_number template', () => {
    const jobNumber: AddressAllocatorOptions = { template: { kind: 'job_number' } };

    it('uses the job number as is', () => {
      const a = allocateAddress(person('张三', { jobNumber: '00021116' }), new Set(), jobNumber);
      expect(a).to.include({ localPart: '00021116', source: 'job_number' });
    });

    it('normalizes case, width and separators', () => {
      expect(
        allocateAddress(person('张三', { jobNumber: ' A-1023 ' }), new Set(), jobNumber).localPart,
      ).to.equal('a1023');
      expect(
        allocateAddress(person('张三', { jobNumber: '０００１' }), new Set(), jobNumber).localPart,
      ).to.equal('0001');
    });

    it('falls back to full_pinyin when the job number is missing or unusable', () => {
      for (const jn of [undefined, null, '', '工号12', 'a@b', '9'.repeat(65)]) {
        const a = allocateAddress(person('张三', { jobNumber: jn }), new Set(), jobNumber);
        expect(a, String(jn)).to.include({ localPart: 'zhangsan', source: 'full_pinyin' });
      }
    });

    it('honours a configured fallback', () => {
      const a = allocateAddress(person('张三'), new Set(), {
        template: { kind: 'job_number', fallback: 'family_dot_given' },
      });
      expect(a).to.include({ localPart: 'zhang.san', source: 'family_dot_given' });
    });

    it('suffixes a taken job number with a dot so it cannot read as another number', () => {
      const a = allocateAddress(person('张三', { jobNumber: '00021116' }), new Set(['00021116']), jobNumber);
      expect(a.localPart).to.equal('00021116.2');
    });
  });

  describe('org_email template', () => {
    const orgEmail: AddressAllocatorOptions = {
      template: { kind: 'org_email' },
      domains: ['corp.example.com'],
    };

    it('keeps the local part of an email on one of our domains', () => {
      const a = allocateAddress(
        person('张三', { orgEmail: 'San.Zhang@Corp.Example.com' }),
        new Set(),
        orgEmail,
      );
      expect(a).to.include({ localPart: 'san.zhang', source: 'org_email' });
    });

    it('falls back when the email is missing, foreign, unusable or reserved', () => {
      for (const email of [
        null,
        'zs@gmail.com',
        'zhang_san@corp.example.com',
        'admin@corp.example.com',
        'nonsense',
      ]) {
        const a = allocateAddress(person('张三', { orgEmail: email }), new Set(), orgEmail);
        expect(a, String(email)).to.include({ localPart: 'zhangsan', source: 'full_pinyin' });
      }
    });

    it('falls back when the tenant has no domains configured', () => {
      const a = allocateAddress(person('张三', { orgEmail: 'zs@corp.example.com' }), new Set(), {
        template: { kind: 'org_email' },
      });
      expect(a.localPart).to.equal('zhangsan');
    });
  });

  describe('collisions', () => {
    it('gives two 张伟 zhangwei and zhangwei2, never zhangwei1', () => {
      const result = allocateAddresses([person('张伟'), person('张伟'), person('张伟')], new Set());
      expect(result.map((a) => a.localPart)).to.deep.equal(['zhangwei', 'zhangwei2', 'zhangwei3']);
      expect(result.map((a) => a.base)).to.deep.equal(['zhangwei', 'zhangwei', 'zhangwei']);
    });

    it('never hands out a taken address', () => {
      const taken = new Set(['zhangwei', 'zhangwei2', 'zhangwei4']);
      const result = allocateAddresses([person('张伟'), person('张伟'), person('張偉')], taken);
      expect(result.map((a) => a.localPart)).to.deep.equal(['zhangwei3', 'zhangwei5', 'zhangwei6']);
    });

    it('gives the earlier hire the bare address, whatever the input order', () => {
      const senior = person('张伟', { hiredAt: new Date('2015-03-01') });
      const junior = person('张伟', { hiredAt: new Date('2021-07-15') });
      const unknown = person('张伟');
      const result = allocateAddresses([unknown, junior, senior], new Set());
      expect(result.map((a) => [a.externalId, a.localPart])).to.deep.equal([
        [unknown.externalId, 'zhangwei3'],
        [junior.externalId, 'zhangwei2'],
        [senior.externalId, 'zhangwei'],
      ]);
    });

    it('orders numeric external ids by value', () => {
      const a = { externalId: '10', displayName: '张伟' };
      const b = { externalId: '9', displayName: '张伟' };
      expect(compareCandidates(b, a)).to.be.lessThan(0);
      expect(allocateAddresses([a, b], new Set()).map((x) => x.localPart)).to.deep.equal([
        'zhangwei2',
        'zhangwei',
      ]);
    });

    it('is deterministic: same input, same output; shuffled input, same assignment', () => {
      const people = ['张伟', '王芳', '张伟', 'Tom Li', '张伟', '!!!', '王芳', '李娜', 'Tom Li'].map((n, i) =>
        person(n, i % 2 ? { hiredAt: new Date(Date.UTC(2020, 0, 10 - i)) } : {}),
      );
      const byId = (xs: { externalId: string; localPart: string }[]) =>
        Object.fromEntries(xs.map((x) => [x.externalId, x.localPart]));
      const first = byId(allocateAddresses(people, new Set(['wangfang'])));
      expect(byId(allocateAddresses(people, new Set(['wangfang'])))).to.deep.equal(first);
      expect(byId(allocateAddresses([...people].reverse(), new Set(['wangfang'])))).to.deep.equal(first);
      const rotated = [...people.slice(4), ...people.slice(0, 4)];
      expect(byId(allocateAddresses(rotated, new Set(['wangfang'])))).to.deep.equal(first);
    });

    it('gives a single allocation the same answer as a batch of one', () => {
      const p = person('张伟');
      const taken = new Set(['zhangwei', 'zhangwei2']);
      expect(allocateAddress(p, taken)).to.deep.equal(allocateAddresses([p], taken)[0]);
      expect(allocateAddress(p, taken).localPart).to.equal('zhangwei3');
    });

    it('rejects a batch that names the same person twice', () => {
      const p = person('张伟');
      expect(() => allocateAddresses([p, { ...p }], new Set())).to.throw(/Duplicate externalId/);
    });
  });

  describe('reserved names', () => {
    it('never hands out a reserved name, even when it is not in taken', () => {
      for (const reserved of ['admin', 'support', 'info', 'security', 'root']) {
        expect(addressFor(reserved)).to.equal(`${reserved}2`);
      }
    });

    it('honours tenant additions to the reserved list', () => {
      const options = { extraReserved: ['CEO', 'hr'] };
      expect(allocateAddress(person('CEO'), new Set(), options).localPart).to.equal('ceo2');
      expect(allocateAddress(person('HR'), new Set(), options).localPart).to.equal('hr2');
      expect(allocateAddress(person('CEO'), new Set()).localPart).to.equal('ceo');
    });

    it('exports the RFC 2142 role names', () => {
      expect(RESERVED_LOCAL_PARTS).to.include.members([
        'postmaster',
        'abuse',
        'mailer-daemon',
        'noreply',
        'no-reply',
      ]);
    });
  });

  describe('64-character limit', () => {
    const longName = 'Maximilian Alexander Konstantin Friedrich Wilhelm Bartholomew Montgomery-Worthington';

    it('cuts long names to 64 characters', () => {
      for (const kind of ['full_pinyin', 'family_dot_given', 'initials_family'] as const) {
        const a = addressFor(longName, kind);
        expect(isValidLocalPart(a), a).to.equal(true);
      }
      expect(addressFor(longName)).to.have.length(64);
    });

    it('keeps suffixed addresses within 64 characters', () => {
      const base = addressFor(longName);
      const result = allocateAddresses([person(longName), person(longName), person(longName)], new Set());
      expect(result.map((a) => a.localPart)).to.deep.equal([
        base,
        `${base.slice(0, 62)}2`,
        `${base.slice(0, 62)}3`,
      ]);
      expect(withCollisionSuffix('1'.repeat(64), 12)).to.equal(`${'1'.repeat(61)}.12`);
      expect(withCollisionSuffix(`${'a'.repeat(62)}.b`, 2)).to.equal(`${'a'.repeat(62)}2`);
    });
  });

  describe('validateLocalPart', () => {
    const codes = (s: string, extraReserved?: string[]) =>
      validateLocalPart(s, { extraReserved }).map((p) => p.code);

    it('accepts good local parts', () => {
      for (const s of ['zhangsan', 'zhang.san', '00021116', 'a', 'a.b.c', 'x'.repeat(64)]) {
        expect(codes(s), s).to.deep.equal([]);
      }
    });

    it('reports every problem with its code', () => {
      expect(codes('')).to.deep.equal(['empty']);
      expect(codes('Zhang_San!')).to.deep.equal(['uppercase', 'invalid_chars']);
      expect(codes('.zhang')).to.deep.equal(['leading_dot']);
      expect(codes('zhang.')).to.deep.equal(['trailing_dot']);
      expect(codes('zhang..san')).to.deep.equal(['consecutive_dots']);
      expect(codes('x'.repeat(65))).to.deep.equal(['too_long']);
      expect(codes('postmaster')).to.deep.equal(['reserved']);
      expect(codes('no-reply')).to.deep.equal(['invalid_chars', 'reserved']);
      expect(codes('ceo', ['ceo'])).to.deep.equal(['reserved']);
      expect(codes('张三')).to.deep.equal(['invalid_chars']);
    });

    it('lists the offending characters once each', () => {
      const [problem] = validateLocalPart('a_b_c+d');
      expect(problem).to.deep.include({ code: 'invalid_chars', chars: ['_', '+'] });
    });

    it('backs the shared LocalPart schema, which trims and lowercases', () => {
      expect(LocalPart.parse('  Zhang.San ')).to.equal('zhang.san');
      const failed = LocalPart.safeParse('Admin');
      expect(failed.success).to.equal(false);
      expect(failed.error?.issues[0].message).to.match(/reserved/);
    });
  });

  describe('AddressTemplate schema', () => {
    it('defaults the fallback of job_number and org_email to full_pinyin', () => {
      expect(AddressTemplate.parse({ kind: 'job_number' })).to.deep.equal({
        kind: 'job_number',
        fallback: 'full_pinyin',
      });
      expect(AddressTemplate.parse({ kind: 'org_email', fallback: 'initials_family' })).to.deep.equal({
        kind: 'org_email',
        fallback: 'initials_family',
      });
      expect(AddressTemplate.parse({ kind: 'full_pinyin' })).to.deep.equal({ kind: 'full_pinyin' });
    });

    it('rejects unknown kinds and fallbacks that could themselves fail', () => {
      expect(AddressTemplate.safeParse({ kind: 'email' }).success).to.equal(false);
      expect(AddressTemplate.safeParse({ kind: 'job_number', fallback: 'org_email' }).success).to.equal(
        false,
      );
    });

    it('has English and Chinese labels for every kind', () => {
      for (const kind of AddressTemplateKind.options) {
        const label = ADDRESS_TEMPLATE_LABELS[kind];
        expect(label.en.length, kind).to.be.greaterThan(0);
        expect(label.zh, kind).to.match(/\p{Script=Han}/u);
      }
    });
  });

  describe('department groups', () => {
    it('slugs the department name in pinyin', () => {
      expect(departmentGroupLocalPart('研发中心')).to.equal('yanfazhongxin');
      expect(departmentGroupLocalPart('重庆分公司')).to.equal('chongqingfengongsi');
      expect(departmentGroupLocalPart('R&D 研发1部')).to.equal('rdyanfa1bu');
    });

    it('prefixes the nearest parent on a collision, then falls back to a number', () => {
      const taken = new Set(['xiaoshoubu']);
      expect(departmentGroupLocalPart('销售部', ['示例科技', '华南'], taken)).to.equal('huanan.xiaoshoubu');
      expect(departmentGroupLocalPart('销售部', [], taken)).to.equal('xiaoshoubu2');
      taken.add('huanan.xiaoshoubu');
      expect(departmentGroupLocalPart('销售部', ['示例科技', '华南'], taken)).to.equal('xiaoshoubu2');
    });

    it('allocates a batch shallowest first, then by id, and shares the namespace with people', () => {
      const result = allocateDepartmentGroups(
        [
          { externalId: '31', name: '销售部', parentNames: ['示例科技', '华南'] },
          { externalId: '30', name: '销售部', parentNames: ['示例科技', '华东'] },
          { externalId: '2', name: '销售部', parentNames: ['示例科技'] },
          { externalId: '40', name: 'Support' },
        ],
        new Set(['huanan.xiaoshoubu']),
      );
      expect(result.map((r) => r.localPart)).to.deep.equal([
        'xiaoshoubu2',
        'huadong.xiaoshoubu',
        'xiaoshoubu',
        'support2',
      ]);

      const allocator = new AddressAllocator(new Set());
      expect(allocator.allocateDepartmentGroup({ externalId: 'd1', name: '张伟' }).localPart).to.equal(
        'zhangwei',
      );
      expect(allocator.allocatePerson(person('张伟')).localPart).to.equal('zhangwei2');
    });

    it('gives an unpronounceable department a stable placeholder', () => {
      const a = departmentGroupLocalPart('🎉🎉', ['示例科技']);
      expect(a).to.match(/^dept[a-z0-9]{7}$/);
      expect(departmentGroupLocalPart('🎉🎉', ['示例科技'])).to.equal(a);
    });
  });

  describe('large batches', () => {
    const SURNAMES = [
      ...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈',
    ];
    const GIVEN = [...'伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红'];

    function makePeople(n: number): AddressCandidate[] {
      let seed = 42;
      const rand = (k: number) => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return (seed >>> 8) % k;
      };
      return Array.from({ length: n }, (_, i) => {
        const r = rand(100);
        // A heavy cluster of one name exercises the suffix counters; a few Latin and unusable names mixed in.
        const name =
          r < 1
            ? '张伟'
            : r < 4
              ? `Tom ${['Li', 'Wang', 'Smith'][rand(3)]}`
              : r < 9
                ? '!!!'
                : SURNAMES[rand(SURNAMES.length)] +
                  GIVEN[rand(GIVEN.length)] +
                  (rand(2) ? GIVEN[rand(GIVEN.length)] : '');
        return {
          externalId: String(100000 + i),
          displayName: name,
          hiredAt: rand(10) ? new Date(Date.UTC(2010 + rand(14), rand(12), 1 + rand(28))) : null,
        };
      });
    }

    /** Counts lookups, to check the allocator does O(1) work per address without timing it. */
    class CountingSet extends Set<string> {
      lookups = 0;
      override has(value: string): boolean {
        this.lookups++;
        return super.has(value);
      }
    }

    it('allocates 100,000 people correctly with a bounded number of lookups', function () {
      this.timeout(60_000);
      const people = makePeople(100_000);
      const taken = new CountingSet(['zhangwei', 'zhangwei2', 'zhangwei7', 'wangfang', 'tomli', 'lina3']);
      const result = allocateAddresses(people, taken);

      expect(result).to.have.length(people.length);
      // Collect problems rather than calling expect 100k times (chai is slow per call).
      const problems: string[] = [];
      const seen = new Set<string>();
      for (const [i, a] of result.entries()) {
        if (a.externalId !== people[i].externalId) problems.push(`order: ${i}`);
        if (!isValidLocalPart(a.localPart)) problems.push(`invalid: ${a.localPart}`);
        if (taken.has(a.localPart) || RESERVED_LOCAL_PARTS.includes(a.localPart))
          problems.push(`taken: ${a.localPart}`);
        if (seen.has(a.localPart)) problems.push(`duplicate: ${a.localPart}`);
        seen.add(a.localPart);
      }

      // Reference: the obvious scan from 1 for every person, in the documented order.
      const used = new Set<string>([...taken, ...RESERVED_LOCAL_PARTS]);
      const order = people.map((_, i) => i).sort((a, b) => compareCandidates(people[a], people[b]));
      for (const i of order) {
        let n = 1;
        while (used.has(withCollisionSuffix(result[i].base, n))) n++;
        const expected = withCollisionSuffix(result[i].base, n);
        used.add(expected);
        if (result[i].localPart !== expected) problems.push(`${result[i].localPart} should be ${expected}`);
      }
      // The bases themselves come from the same function single allocations use (sampled: romanizing is the slow part).
      for (let i = 0; i < people.length; i += 97) {
        if (addressBase(people[i]).base !== result[i].base) problems.push(`base of ${people[i].displayName}`);
      }
      expect(problems.slice(0, 10)).to.deep.equal([]);

      const zhangwei = people.filter((p) => p.displayName === '张伟').length;
      expect(zhangwei).to.be.greaterThan(800);
      expect(seen.has(`zhangwei${zhangwei + 3}`)).to.equal(true);

      taken.lookups = 0;
      allocateAddresses(people, taken);
      expect(taken.lookups).to.be.at.most(2 * (people.length + taken.size));
    });
  });

  describe('properties', () => {
    const HAN = [...'张王李赵欧阳单曾吕伟芳娜丽强明华司马诸葛'];
    const nameArb = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 12 }),
      fc.string({ unit: 'binary', maxLength: 12 }),
      fc.array(fc.constantFrom(...HAN), { minLength: 1, maxLength: 5 }).map((cs) => cs.join('')),
      fc.constantFrom('张伟', 'Tom Li', 'admin', 'Support', '!!!', 'lüxiaoming', 'x'.repeat(80), 'Anna王'),
    );
    const candidatesArb = fc.uniqueArray(
      fc.record({
        externalId: fc.string({ minLength: 1, maxLength: 6 }),
        displayName: nameArb,
        jobNumber: fc.option(fc.oneof(fc.constantFrom('00021116', '1', 'A-7'), fc.string({ maxLength: 8 }))),
        orgEmail: fc.option(
          fc.oneof(fc.constantFrom('zhangwei@corp.cn', 'admin@corp.cn', 'x@other.cn'), fc.string()),
        ),
        hiredAt: fc.option(
          fc.date({ min: new Date('2000-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }),
        ),
      }),
      { selector: (c) => c.externalId, maxLength: 40 },
    );
    const takenArb = fc
      .array(
        fc.oneof(
          fc.constantFrom(
            'zhangwei',
            'zhangwei2',
            'zhangwei3',
            'tomli',
            'tom.li',
            'tli',
            '00021116',
            'user',
            'admin2',
          ),
          fc.stringMatching(/^[a-z0-9]{1,8}$/),
        ),
        { maxLength: 20 },
      )
      .map((xs) => new Set(xs));
    const templateArb = fc.oneof(
      ...(['full_pinyin', 'family_dot_given', 'initials_family'] as const).map((kind) =>
        fc.constant({ kind }),
      ),
      fc.constant<AddressTemplateInput>({ kind: 'job_number' }),
      fc.constant<AddressTemplateInput>({ kind: 'org_email', fallback: 'initials_family' }),
    );

    it('hands out valid, unique addresses that are neither taken nor reserved', () => {
      fc.assert(
        fc.property(candidatesArb, takenArb, templateArb, (candidates, taken, template) => {
          const result = allocateAddresses(candidates, taken, {
            template,
            domains: ['corp.cn'],
            extraReserved: ['ceo'],
          });
          const localParts = result.map((a) => a.localPart);
          expect(new Set(localParts).size).to.equal(localParts.length);
          for (const lp of localParts) {
            expect(validateLocalPart(lp, { extraReserved: ['ceo'] }), lp).to.deep.equal([]);
            expect(taken.has(lp), lp).to.equal(false);
          }
        }),
        { numRuns: 300 },
      );
    });

    it('does not depend on the input order', () => {
      fc.assert(
        fc.property(
          candidatesArb.chain((cs) =>
            fc.tuple(fc.constant(cs), fc.shuffledSubarray(cs, { minLength: cs.length })),
          ),
          takenArb,
          templateArb,
          ([candidates, shuffled], taken, template) => {
            const byId = (xs: { externalId: string; localPart: string }[]) =>
              new Map(xs.map((x) => [x.externalId, x.localPart]));
            const options = { template, domains: ['corp.cn'] };
            expect(byId(allocateAddresses(shuffled, taken, options))).to.deep.equal(
              byId(allocateAddresses(candidates, taken, options)),
            );
          },
        ),
        { numRuns: 200 },
      );
    });

    it('romanizes any string to [a-z0-9] units without throwing', () => {
      fc.assert(
        fc.property(
          fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), nameArb),
          (name) => {
            const { family, given } = romanizeName(name);
            for (const unit of [...family, ...given]) expect(unit).to.match(/^[a-z0-9]+$/);
            expect(family.length > 0 || given.length === 0).to.equal(true);
          },
        ),
        { numRuns: 500 },
      );
    });
  });
});

import {
  DEFAULT_ADDRESS_TEMPLATE,
  LOCAL_PART_MAX_LENGTH,
  LOCAL_PART_PATTERN,
  RESERVED_LOCAL_PARTS,
  type AddressTemplateInput,
  type AddressTemplateKind,
  type NameTemplateKind,
} from '../../../shared/directory/address-template';
import { romanizeName, romanizeText, type RomanizedName } from './name-romanizer';

// The rules live in shared/ so the console checks an override exactly as the server does.
export { validateLocalPart, type LocalPartProblem } from '../../../shared/directory/address-template';

/**
 * Mailbox and department-group addresses (local parts), derived from directory data. Pure: the
 * caller supplies every local part already in use, so the same input always gives the same output.
 *
 * Collisions: the first holder gets the bare base (zhangsan), later ones base2, base3, ... (never
 * base1). When the base ends in a digit the suffix is dotted (00021116.2) so it cannot be mistaken
 * for another job number. Nothing in `taken` or the reserved list is ever handed out, so an
 * existing holder always keeps their address.
 */

export interface AddressCandidate {
  externalId: string;
  displayName: string;
  jobNumber?: string | null;
  /** The company email the directory already knows for this person, if any. */
  orgEmail?: string | null;
  /** Earlier hires get the bare address; see compareCandidates. */
  hiredAt?: Date | null;
}

export interface DepartmentGroupCandidate {
  externalId: string;
  name: string;
  /** Names of the ancestors, root first, nearest parent last. */
  parentNames?: readonly string[];
}

export interface AddressAllocatorOptions {
  /** Defaults to full_pinyin; a missing fallback means full_pinyin, as in the shared schema. */
  template?: AddressTemplateInput;
  /** The tenant's mail domains (lowercase); org_email is honoured only on one of them. */
  domains?: readonly string[];
  /** Tenant additions to RESERVED_LOCAL_PARTS. */
  extraReserved?: Iterable<string>;
}

/** Where an address came from: the template kind actually used (a fallback shows as its own kind). */
export type AddressSource = AddressTemplateKind | 'placeholder' | 'department';

export interface AddressAllocation {
  externalId: string;
  localPart: string;
  /** The address before any collision suffix; differs from localPart when the base was taken. */
  base: string;
  source: AddressSource;
}

export interface AddressBase {
  base: string;
  source: AddressSource;
}

/**
 * Hands out free local parts one at a time, tracking what it has issued. Mailboxes and department
 * groups share one namespace, so a sync run should use one allocator for both.
 * Costs O(1) amortized per address: it remembers the next suffix to try for each base instead of
 * rescanning from 2, which would be quadratic when thousands share a name.
 */
export class AddressAllocator {
  private readonly issued = new Set<string>();
  private readonly nextSuffix = new Map<string, number>();
  private readonly reserved: ReadonlySet<string>;
  private readonly domains: ReadonlySet<string>;
  private readonly template: AddressTemplateInput;

  /** `taken` holds every lowercase local part in use: mailboxes, aliases, groups, tenant reservations. */
  constructor(
    private readonly taken: ReadonlySet<string>,
    options: AddressAllocatorOptions = {},
  ) {
    this.template = options.template ?? DEFAULT_ADDRESS_TEMPLATE;
    this.reserved = new Set([...RESERVED_LOCAL_PARTS, ...[...(options.extraReserved ?? [])].map(lower)]);
    this.domains = new Set((options.domains ?? []).map((d) => lower(d).replace(/\.$/, '')));
  }

  isFree(localPart: string): boolean {
    return !this.taken.has(localPart) && !this.issued.has(localPart) && !this.reserved.has(localPart);
  }

  allocatePerson(candidate: AddressCandidate): AddressAllocation {
    const { base, source } = personAddressBase(candidate, this.template, this.domains, this.reserved);
    return { externalId: candidate.externalId, localPart: this.claim(base), base, source };
  }

  /**
   * A department's group address: the slug of its name (研发中心 → yanfazhongxin). If that is in
   * use, the nearest parent's slug is put in front (华南 销售部 → huanan.xiaoshoubu), which says
   * more than a number; only if that is in use too does the numeric suffix apply (xiaoshoubu2).
   */
  allocateDepartmentGroup(dept: DepartmentGroupCandidate): AddressAllocation {
    const [base, ...alternatives] = departmentGroupBases(dept.name, dept.parentNames ?? []);
    const preferred = [base, ...alternatives].find((c) => this.isFree(c));
    const localPart = preferred ?? this.claim(base);
    this.issued.add(localPart);
    return { externalId: dept.externalId, localPart, base, source: 'department' };
  }

  private claim(base: string): string {
    let n = this.nextSuffix.get(base) ?? 1;
    let localPart = withCollisionSuffix(base, n);
    while (!this.isFree(localPart)) localPart = withCollisionSuffix(base, ++n);
    // Everything below n is in use and stays in use (nothing is ever released), so resume after it.
    this.nextSuffix.set(base, n + 1);
    this.issued.add(localPart);
    return localPart;
  }
}

/**
 * Allocates addresses for many people at once (a first sync: 100k people take about a second, most
 * of it in pinyin conversion). The candidates are ordered by compareCandidates first, so the result does not
 * depend on the input order. Results are returned in input order.
 */
export function allocateAddresses(
  candidates: readonly AddressCandidate[],
  taken: ReadonlySet<string>,
  options: AddressAllocatorOptions = {},
): AddressAllocation[] {
  assertUniqueIds(candidates);
  const allocator = new AddressAllocator(taken, options);
  const results = new Array<AddressAllocation>(candidates.length);
  for (const i of stableOrder(candidates)) results[i] = allocator.allocatePerson(candidates[i]);
  return results;
}

/** One person joining: the same answer allocateAddresses would give for a batch of one. */
export function allocateAddress(
  candidate: AddressCandidate,
  taken: ReadonlySet<string>,
  options: AddressAllocatorOptions = {},
): AddressAllocation {
  return new AddressAllocator(taken, options).allocatePerson(candidate);
}

/** Group addresses for many departments; shallower departments (then lower ids) get the bare slug. */
export function allocateDepartmentGroups(
  departments: readonly DepartmentGroupCandidate[],
  taken: ReadonlySet<string>,
  options: AddressAllocatorOptions = {},
): AddressAllocation[] {
  assertUniqueIds(departments);
  const allocator = new AddressAllocator(taken, options);
  const depth = (d: DepartmentGroupCandidate) => d.parentNames?.length ?? 0;
  const order = departments
    .map((_, i) => i)
    .sort(
      (a, b) =>
        depth(departments[a]) - depth(departments[b]) ||
        compareExternalIds(departments[a].externalId, departments[b].externalId),
    );
  const results = new Array<AddressAllocation>(departments.length);
  for (const i of order) results[i] = allocator.allocateDepartmentGroup(departments[i]);
  return results;
}

/** A free group address for one department (see AddressAllocator.allocateDepartmentGroup). */
export function departmentGroupLocalPart(
  deptName: string,
  parentNames: readonly string[] = [],
  taken: ReadonlySet<string> = new Set(),
  options: AddressAllocatorOptions = {},
): string {
  return new AddressAllocator(taken, options).allocateDepartmentGroup({
    externalId: '',
    name: deptName,
    parentNames,
  }).localPart;
}

/**
 * The stable allocation order: earlier hire date first (unknown dates last), then external id
 * (numeric ids by value). Seniority decides who keeps the plain name, and the id breaks ties.
 */
export function compareCandidates(a: AddressCandidate, b: AddressCandidate): number {
  const ta = timeOrInfinity(a.hiredAt);
  const tb = timeOrInfinity(b.hiredAt);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return compareExternalIds(a.externalId, b.externalId);
}

/** Indexes of `candidates` in compareCandidates order, with the keys computed once rather than per comparison. */
function stableOrder(candidates: readonly AddressCandidate[]): number[] {
  const times = candidates.map((c) => timeOrInfinity(c.hiredAt));
  const numeric = candidates.map((c) => /^\d+$/.test(c.externalId));
  return candidates
    .map((_, i) => i)
    .sort((a, b) => {
      if (times[a] !== times[b]) return times[a] < times[b] ? -1 : 1;
      const ia = candidates[a].externalId;
      const ib = candidates[b].externalId;
      if (numeric[a] && numeric[b] && ia.length !== ib.length) return ia.length - ib.length;
      return ia < ib ? -1 : ia > ib ? 1 : 0;
    });
}

/** The address a person would get if it were free, and which template produced it. */
export function addressBase(candidate: AddressCandidate, options: AddressAllocatorOptions = {}): AddressBase {
  const allocator = new AddressAllocator(new Set(), options);
  const { base, source } = allocator.allocatePerson(candidate);
  return { base, source };
}

/** The n-th address for a base: n = 1 is the base itself; longer results are cut to fit 64 characters. */
export function withCollisionSuffix(base: string, n: number): string {
  if (n <= 1) return base;
  const digits = String(n);
  let head = base;
  if (head.length + digits.length + 1 > LOCAL_PART_MAX_LENGTH) {
    head = trimDots(head.slice(0, LOCAL_PART_MAX_LENGTH - digits.length - 1));
  }
  return head + (/[0-9]$/.test(head) ? '.' : '') + digits;
}

/** The address for a name under a name template, before collisions; '' when nothing is usable. */
export function nameLocalPart(name: RomanizedName, kind: NameTemplateKind): string {
  const family = name.family.join('');
  const given = name.given.join('');
  switch (kind) {
    case 'full_pinyin':
      return toLocalPart(name.familyFirst ? family + given : given + family);
    case 'family_dot_given':
      // The dot separates the parts in written order: zhang.san, but tom.li (as Western staff expect).
      return toLocalPart(name.familyFirst ? `${family}.${given}` : `${given}.${family}`);
    case 'initials_family':
      return toLocalPart(name.given.map((u) => u[0]).join('') + family);
  }
}

function personAddressBase(
  candidate: AddressCandidate,
  template: AddressTemplateInput,
  domains: ReadonlySet<string>,
  reserved: ReadonlySet<string>,
): AddressBase {
  if (template.kind === 'job_number' || template.kind === 'org_email') {
    const value =
      template.kind === 'job_number'
        ? jobNumberLocalPart(candidate.jobNumber)
        : orgEmailLocalPart(candidate.orgEmail, domains);
    // A reserved value (an org email of admin@) would only turn into admin2; the name says more.
    if (value && !reserved.has(value)) return { base: value, source: template.kind };
    return nameBase(candidate, template.fallback ?? 'full_pinyin');
  }
  return nameBase(candidate, template.kind);
}

function nameBase(candidate: AddressCandidate, kind: NameTemplateKind): AddressBase {
  const base = nameLocalPart(romanizeName(candidate.displayName), kind);
  if (base) return { base, source: kind };
  return { base: `user${stableHash(candidate.externalId)}`, source: 'placeholder' };
}

/** "00021116" stays as is; separators in "A-1023" are dropped; anything else unusable gives null. */
function jobNumberLocalPart(jobNumber: string | null | undefined): string | null {
  if (!jobNumber) return null;
  const value = lower(jobNumber.normalize('NFKC').trim()).replace(/[\s_-]+/g, '');
  // Never truncated: a shortened job number would name a different employee.
  return value.length <= LOCAL_PART_MAX_LENGTH && LOCAL_PART_PATTERN.test(value) ? value : null;
}

/** The local part of an email on one of our domains, only if usable exactly (case aside). */
function orgEmailLocalPart(email: string | null | undefined, domains: ReadonlySet<string>): string | null {
  if (!email) return null;
  const value = lower(email.trim());
  const at = value.lastIndexOf('@');
  if (at <= 0) return null;
  const local = value.slice(0, at);
  const domain = value.slice(at + 1).replace(/\.$/, '');
  if (!domains.has(domain)) return null;
  // Rewriting zhang_san into zhangsan would silently give a different address from the one people know.
  return local.length <= LOCAL_PART_MAX_LENGTH && LOCAL_PART_PATTERN.test(local) ? local : null;
}

function departmentGroupBases(name: string, parentNames: readonly string[]): string[] {
  const slug = toLocalPart(romanizeText(name).join(''));
  const base = slug || `dept${stableHash([...parentNames, name].join('/'))}`;
  const parent = [...parentNames]
    .reverse()
    .map((p) => toLocalPart(romanizeText(p).join('')))
    .find((p) => p.length > 0);
  return parent ? [base, toLocalPart(`${parent}.${base}`)] : [base];
}

/** Keeps [a-z0-9.], single dots, none at the ends, at most 64 characters. */
function toLocalPart(raw: string): string {
  const cleaned = trimDots(raw.replace(/[^a-z0-9.]/g, '').replace(/\.{2,}/g, '.'));
  return trimDots(cleaned.slice(0, LOCAL_PART_MAX_LENGTH));
}

function trimDots(s: string): string {
  return s.replace(/^\.+|\.+$/g, '');
}

function lower(s: string): string {
  return s.toLowerCase();
}

/** FNV-1a, 32 bits, as 7 base-36 characters: stable across runs and Node versions, unlike Math.random. */
function stableHash(s: string): string {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(s, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36).padStart(7, '0');
}

function timeOrInfinity(d: Date | null | undefined): number {
  const t = d?.getTime();
  return t === undefined || Number.isNaN(t) ? Number.POSITIVE_INFINITY : t;
}

function compareExternalIds(a: string, b: string): number {
  // DingTalk ids are often numeric strings; compare those by value so "9" sorts before "10".
  if (/^\d+$/.test(a) && /^\d+$/.test(b) && a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

function assertUniqueIds(items: readonly { externalId: string }[]): void {
  const seen = new Set<string>();
  for (const { externalId } of items) {
    if (seen.has(externalId)) throw new Error(`Duplicate externalId in allocation batch: ${externalId}`);
    seen.add(externalId);
  }
}

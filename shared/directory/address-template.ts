import { z } from 'zod';

/**
 * How a tenant's mailbox addresses are derived from the directory, and the rules every local part
 * obeys. Shared so the console validates an admin's input with exactly the rules the server applies.
 */

/** Templates that derive an address from the person's name. They never fail: an unusable name gets a placeholder. */
export const NameTemplateKind = z.enum(['full_pinyin', 'family_dot_given', 'initials_family']);
export type NameTemplateKind = z.infer<typeof NameTemplateKind>;

export const AddressTemplateKind = z.enum([...NameTemplateKind.options, 'job_number', 'org_email']);
export type AddressTemplateKind = z.infer<typeof AddressTemplateKind>;

// Job numbers and directory emails are often missing or unusable, so those templates name a
// name-based template to use instead rather than leaving a person without a mailbox.
const withFallback = { fallback: NameTemplateKind.default('full_pinyin') };

export const AddressTemplate = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('full_pinyin') }),
  z.object({ kind: z.literal('family_dot_given') }),
  z.object({ kind: z.literal('initials_family') }),
  z.object({ kind: z.literal('job_number'), ...withFallback }),
  z.object({ kind: z.literal('org_email'), ...withFallback }),
]);
/** Parsed template: `fallback` is always present on the kinds that have one. */
export type AddressTemplate = z.infer<typeof AddressTemplate>;
/** What a form may send: `fallback` optional. */
export type AddressTemplateInput = z.input<typeof AddressTemplate>;

export const DEFAULT_ADDRESS_TEMPLATE: AddressTemplate = { kind: 'full_pinyin' };

export interface AddressTemplateLabel {
  en: string;
  zh: string;
  /** Example for 张三丰 (job number 00021116), shown next to the option. */
  example: string;
}

export const ADDRESS_TEMPLATE_LABELS: Readonly<Record<AddressTemplateKind, AddressTemplateLabel>> = {
  full_pinyin: { en: 'Full pinyin', zh: '姓名全拼', example: 'zhangsanfeng' },
  family_dot_given: { en: 'Family name . given name', zh: '姓.名', example: 'zhang.sanfeng' },
  initials_family: { en: 'Given-name initials + family name', zh: '名字首字母 + 姓', example: 'sfzhang' },
  job_number: { en: 'Job number', zh: '工号', example: '00021116' },
  org_email: {
    en: 'Existing company email from the directory',
    zh: '通讯录中的企业邮箱',
    example: 'zhangsf',
  },
};

/** RFC 5321 limits a local part to 64 octets. */
export const LOCAL_PART_MAX_LENGTH = 64;

/**
 * The dot-atom subset we hand out: lowercase letters and digits, single dots, none at the ends.
 * Narrower than RFC 5321 on purpose: it survives every client, SMTP server and URL unquoted.
 */
export const LOCAL_PART_PATTERN = /^[a-z0-9]+(?:\.[a-z0-9]+)*$/;

/** Role addresses that must never belong to one person (RFC 2142 and common practice). Tenants may add more. */
export const RESERVED_LOCAL_PARTS: readonly string[] = Object.freeze([
  'postmaster',
  'abuse',
  'admin',
  'root',
  'noreply',
  'no-reply',
  'mailer-daemon',
  'hostmaster',
  'webmaster',
  'security',
  'support',
  'info',
]);

export type LocalPartProblemCode =
  | 'empty'
  | 'too_long'
  | 'uppercase'
  | 'invalid_chars'
  | 'leading_dot'
  | 'trailing_dot'
  | 'consecutive_dots'
  | 'reserved';

export type LocalPartProblem =
  | { code: 'empty'; message: string }
  | { code: 'too_long'; message: string; max: number; length: number }
  | { code: 'uppercase'; message: string }
  | { code: 'invalid_chars'; message: string; chars: string[] }
  | { code: 'leading_dot' | 'trailing_dot' | 'consecutive_dots'; message: string }
  | { code: 'reserved'; message: string };

export interface ValidateLocalPartOptions {
  /** Tenant additions to RESERVED_LOCAL_PARTS. */
  extraReserved?: Iterable<string>;
  /** Skip the reserved check, e.g. when validating the tenant's own list of reserved names. */
  allowReserved?: boolean;
}

/**
 * Every problem with a proposed local part (an admin override, a tenant's reserved name), not just
 * the first, so a form can show them all at once. An empty list means it is acceptable.
 * The value is checked as given; callers that accept mixed case should lowercase first.
 */
export function validateLocalPart(value: string, options: ValidateLocalPartOptions = {}): LocalPartProblem[] {
  const problems: LocalPartProblem[] = [];
  if (value.length === 0) return [{ code: 'empty', message: 'The address must not be empty.' }];
  // Count code points, not UTF-16 units, so the reported length matches what the user typed.
  const length = Array.from(value).length;
  if (length > LOCAL_PART_MAX_LENGTH) {
    problems.push({
      code: 'too_long',
      message: `The address must be at most ${LOCAL_PART_MAX_LENGTH} characters (it has ${length}).`,
      max: LOCAL_PART_MAX_LENGTH,
      length,
    });
  }
  if (/[A-Z]/.test(value)) {
    problems.push({ code: 'uppercase', message: 'Use lowercase letters only.' });
  }
  const bad = [...new Set(Array.from(value).filter((ch) => !/[a-zA-Z0-9.]/.test(ch)))];
  if (bad.length > 0) {
    problems.push({
      code: 'invalid_chars',
      message: `Only letters a-z, digits 0-9 and dots are allowed (found ${bad.map((c) => JSON.stringify(c)).join(', ')}).`,
      chars: bad,
    });
  }
  if (value.startsWith('.')) {
    problems.push({ code: 'leading_dot', message: 'The address must not start with a dot.' });
  }
  if (value.endsWith('.')) {
    problems.push({ code: 'trailing_dot', message: 'The address must not end with a dot.' });
  }
  if (value.includes('..')) {
    problems.push({ code: 'consecutive_dots', message: 'The address must not contain two dots in a row.' });
  }
  if (!options.allowReserved && isReservedLocalPart(value.toLowerCase(), options.extraReserved)) {
    problems.push({ code: 'reserved', message: `"${value}" is reserved for system use.` });
  }
  return problems;
}

function isReservedLocalPart(value: string, extra: Iterable<string> | undefined): boolean {
  if (RESERVED_LOCAL_PARTS.includes(value)) return true;
  if (extra) for (const r of extra) if (r.toLowerCase() === value) return true;
  return false;
}

function localPartSchema(allowReserved: boolean) {
  return z
    .string()
    .trim()
    .toLowerCase()
    .superRefine((value, ctx) => {
      for (const problem of validateLocalPart(value, { allowReserved })) {
        ctx.addIssue({ code: 'custom', message: problem.message, params: { problem: problem.code } });
      }
    });
}

/** An admin-chosen local part (lowercased). Tenant-specific reserved names are checked by the service. */
export const LocalPart = localPartSchema(false);

/** A tenant's own additions to the reserved list: valid syntax, and they may repeat built-in ones. */
export const ExtraReservedLocalParts = z.array(localPartSchema(true)).max(1000);

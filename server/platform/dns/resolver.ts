import { Resolver } from 'node:dns/promises';

/**
 * The one way the app asks DNS (SPF/DKIM/DMARC checks, MX lookups for outbound mail): the shape of
 * node:dns/promises `resolve(name, rrtype)`, which is also what mailauth takes as its `resolver`.
 * Rejects with an error whose `code` is 'ENOTFOUND' (no such name) or 'ENODATA' (the name exists
 * without records of that type). Tests inject `staticResolver`, so no query leaves the machine.
 */
export type DnsResolver = (name: string, rrtype: string) => Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export type DnsRecordType = 'A' | 'AAAA' | 'MX' | 'TXT' | 'PTR' | 'CNAME';

/**
 * A fixed table. TXT values may be given as plain strings (one chunk) or as string[] chunks; they
 * are answered as node does (string[][]). MX values are `{ exchange, priority }`.
 */
export type DnsTable = Record<string, Partial<Record<DnsRecordType, unknown[]>>>;

export function dnsError(code: 'ENOTFOUND' | 'ENODATA' | 'ESERVFAIL', name: string, rrtype: string): Error {
  return Object.assign(new Error(`query${rrtype} ${code} ${name}`), {
    code,
    hostname: name,
    syscall: 'query',
  });
}

export function staticResolver(table: DnsTable): DnsResolver {
  const byName = new Map<string, Partial<Record<string, unknown[]>>>();
  for (const [name, records] of Object.entries(table)) byName.set(normalize(name), records);
  return async (name: string, rrtype: string) => {
    const type = (rrtype || 'A').toUpperCase();
    const records = byName.get(normalize(name));
    if (!records) throw dnsError('ENOTFOUND', name, type);
    const values = records[type];
    if (!values || values.length === 0) throw dnsError('ENODATA', name, type);
    if (type === 'TXT') return values.map((v) => (Array.isArray(v) ? [...v] : [String(v)]));
    return values.map((v) => (typeof v === 'object' && v !== null ? { ...v } : v));
  };
}

/** The machine's DNS, with a timeout so a slow authoritative server cannot hold an SMTP session. */
export function systemResolver(options: { timeoutMs?: number; tries?: number } = {}): DnsResolver {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 5000, tries: options.tries ?? 2 });
  return (name: string, rrtype: string) => resolver.resolve(name, rrtype);
}

function normalize(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

import { randomUUID } from 'node:crypto';
import type { AddressNamespace, ProvisionedMailbox } from '../mailboxes';
import { compareCandidates, type AddressAllocator } from './address-allocator';
import type { DirectoryMember } from './directory-provider.port';

/** Pieces shared by the batch applier and the streaming apply. */

/** Addresses for people in the stable order (earlier hires first), whatever order they came in. */
export function allocatePeople(
  allocator: AddressAllocator,
  ns: AddressNamespace,
  people: { memberId: string; m: DirectoryMember }[],
): (ProvisionedMailbox & { base: string })[] {
  const candidates = people
    .map(({ memberId, m }) => ({ memberId, ...m, orgEmail: m.directoryEmail }))
    .sort(compareCandidates);
  return candidates.map((c) => {
    const { localPart, base } = allocator.allocatePerson(c);
    return {
      memberId: c.memberId,
      mailboxId: randomUUID(),
      localPart,
      base,
      address: `${localPart}@${ns.domain}`,
    };
  });
}

export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  return (e?.driverError?.code ?? e?.code) === '23505';
}

import { z } from 'zod';
import { Uuid } from '../common';

/** The recipient picker's search: colleagues by name, pinyin or initials, and department groups by name. */
export const PeopleSearchQuery = z.object({
  q: z.string().trim().min(1, { error: 'type a name, pinyin or initials' }).max(100),
  limit: z.coerce.number({ error: 'expected a number' }).int().min(1).max(20).default(20),
});
export type PeopleSearchQuery = z.infer<typeof PeopleSearchQuery>;

export const PersonHitDto = z
  .object({
    memberId: Uuid,
    name: z.string(),
    /** The colleague's mailbox address (what a recipient chip carries). */
    address: z.string(),
    title: z.string().nullable(),
    departments: z.array(z.string()),
  })
  .meta({ id: 'PersonHit' });
export type PersonHitDto = z.infer<typeof PersonHitDto>;

export const GroupHitDto = z
  .object({
    groupId: Uuid,
    name: z.string(),
    address: z.string(),
    kind: z.enum(['department', 'custom']),
  })
  .meta({ id: 'GroupHit' });
export type GroupHitDto = z.infer<typeof GroupHitDto>;

export const PeopleSearchResult = z
  .object({ people: z.array(PersonHitDto), groups: z.array(GroupHitDto) })
  .meta({ id: 'PeopleSearchResult' });
export type PeopleSearchResult = z.infer<typeof PeopleSearchResult>;

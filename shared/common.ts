import { z } from 'zod';

export const Uuid = z.uuid({ error: 'expected a UUID' });
export const IdParams = z.object({ id: Uuid });
export type IdParams = z.infer<typeof IdParams>;

/** ISO-8601 timestamp in UTC on the wire; clients show it in the user's time zone. */
export const Timestamp = z.iso.datetime({ offset: true });

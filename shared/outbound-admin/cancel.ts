import { z } from 'zod';
import { Uuid } from '../common';

/** A cancelled outbound queue row: `bounced` when the sender was sent a DSN. */
export const OutboundCancelled = z
  .object({ id: Uuid, bounced: z.boolean() })
  .meta({ id: 'OutboundCancelled' });
export type OutboundCancelled = z.infer<typeof OutboundCancelled>;

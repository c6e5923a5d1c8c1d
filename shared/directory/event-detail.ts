import { z } from 'zod';
import { DirectoryEventDto } from './sync';

/** One directory event with the payload the platform sent (the console's payload view). */
export const DirectoryEventDetailDto = DirectoryEventDto.extend({
  payload: z.record(z.string(), z.unknown()),
}).meta({ id: 'DirectoryEventDetail' });
export type DirectoryEventDetailDto = z.infer<typeof DirectoryEventDetailDto>;

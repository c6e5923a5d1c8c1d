import { z } from 'zod';
import { Timestamp, Uuid } from '../common';

/** An app password (for mail clients over SMTP submission): never shown again after creation. */
export const AppPasswordDto = z
  .object({
    id: Uuid,
    name: z.string(),
    createdAt: Timestamp,
    lastUsedAt: Timestamp.nullable(),
    lastUsedIp: z.string().nullable(),
  })
  .meta({ id: 'AppPassword' });
export type AppPasswordDto = z.infer<typeof AppPasswordDto>;

export const AppPasswordList = z.object({ appPasswords: z.array(AppPasswordDto) });
export type AppPasswordList = z.infer<typeof AppPasswordList>;

export const CreateAppPasswordBody = z.object({
  /** What it is for, e.g. "Outlook on my laptop". */
  name: z.string().trim().min(1, 'give it a name').max(100),
});
export type CreateAppPasswordBody = z.infer<typeof CreateAppPasswordBody>;

/** The creation answer: the password in clear, this once (16 letters in groups of four). */
export const CreatedAppPassword = z.object({
  appPassword: AppPasswordDto,
  password: z.string(),
  /** The SMTP user name to configure: the member's address. */
  username: z.string(),
  smtp: z.object({ host: z.string(), port: z.number().int() }),
});
export type CreatedAppPassword = z.infer<typeof CreatedAppPassword>;

import { z } from 'zod';
import { AddressTemplate, ExtraReservedLocalParts } from './address-template';

/** An organization's directory-sync settings, edited in the console. */
export const SyncPolicy = z
  .object({
    addressTemplate: AddressTemplate.default({ kind: 'full_pinyin' }),
    /** Local parts this organization keeps for itself, on top of the built-in reserved names. */
    reservedLocalParts: ExtraReservedLocalParts.default([]),
    /** A run that would suspend more than max(percent of active members, floor) waits for an admin. */
    suspendThresholdPercent: z.number().min(0).max(100).default(5),
    suspendThresholdFloor: z.number().int().min(0).default(50),
    /** Days a departed member's mailbox is kept (suspended) before it is purged. */
    retentionDays: z.number().int().min(1).max(3650).default(30),
    /** Forward a departed member's new mail to their manager. */
    forwardToManagerOnLeave: z.boolean().default(false),
    /** Answer mail to a departed member (once per sender per 4 days) with whom to contact instead. */
    autoReplyOnLeave: z.boolean().default(true),
    /** The contact named in that reply; their manager when empty (and nobody named if none). */
    leaveContactAddress: z.email().nullable().default(null),
    /** Days the export made before a purge is kept for admins to download. */
    exportKeepDays: z.number().int().min(1).max(3650).default(180),
    /** Cron expression of the nightly full sync, in the organization's time zone. */
    nightlyCron: z.string().default('0 3 * * *'),
  })
  .meta({ id: 'SyncPolicy' });
export type SyncPolicy = z.infer<typeof SyncPolicy>;

export const SYNC_POLICY_KEY = 'directory.sync_policy';

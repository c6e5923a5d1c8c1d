import { z } from 'zod';

/**
 * The organization's departments as employees see them (the rule editor's "sender's department"
 * picker). `q` finds departments by name (any part); `ids` looks up given external ids (to name the
 * departments an existing rule refers to). Without either: the departments nearest the root first.
 */
export const DepartmentQuery = z.object({
  q: z.string().trim().max(100).optional(),
  ids: z
    .string()
    .max(2000)
    .optional()
    .transform((v) =>
      v
        ? [
            ...new Set(
              v
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean),
            ),
          ]
        : undefined,
    )
    .pipe(z.array(z.string().min(1).max(100)).max(50, { error: 'at most 50 ids' }).optional()),
  limit: z.coerce.number({ error: 'expected a number' }).int().min(1).max(200).default(50),
});
export type DepartmentQuery = z.infer<typeof DepartmentQuery>;

export const DepartmentDto = z
  .object({
    /** DingTalk's department id: what a rule's `sender_department` condition stores. */
    externalId: z.string(),
    name: z.string(),
    /** Names from the root down to this department, itself included ("总部 / 销售部 / 华东"). */
    pathNames: z.array(z.string()),
  })
  .meta({ id: 'Department' });
export type DepartmentDto = z.infer<typeof DepartmentDto>;

export const DepartmentList = z
  .object({ departments: z.array(DepartmentDto) })
  .meta({ id: 'DepartmentList' });
export type DepartmentList = z.infer<typeof DepartmentList>;

import { z } from 'zod';

/** What a client needs before signing in: how to sign in, and which organization. */
export const ClientConfigDto = z
  .object({
    /** `sandbox`: the embedded DingTalk emulator (a picker of demo employees outside DingTalk). */
    mode: z.enum(['sandbox', 'production']),
    /** The bound organization's corpId, when known (the sandbox's, or the configured app's). */
    corpId: z.string().nullable(),
    appName: z.string(),
  })
  .meta({ id: 'ClientConfig' });
export type ClientConfigDto = z.infer<typeof ClientConfigDto>;

export const SandboxEmployeesQuery = z.object({
  q: z.string().trim().max(100).default(''),
  limit: z.coerce.number({ error: 'expected a number' }).int().min(1).max(100).default(30),
});

export const SandboxEmployeeDto = z
  .object({
    userid: z.string(),
    name: z.string(),
    title: z.string(),
    departments: z.array(z.string()),
    admin: z.boolean(),
  })
  .meta({ id: 'SandboxEmployee' });
export type SandboxEmployeeDto = z.infer<typeof SandboxEmployeeDto>;

export const SandboxEmployeeList = z
  .object({ corpId: z.string(), employees: z.array(SandboxEmployeeDto) })
  .meta({ id: 'SandboxEmployeeList' });
export type SandboxEmployeeList = z.infer<typeof SandboxEmployeeList>;

export const SandboxAuthCodeBody = z.object({ userid: z.string().trim().min(1).max(64) });
export type SandboxAuthCodeBody = z.infer<typeof SandboxAuthCodeBody>;

/** A login-free code from the emulator: post it to /auth/dingtalk like a code from dingtalk-jsapi. */
export const SandboxAuthCodeDto = z
  .object({ corpId: z.string(), code: z.string() })
  .meta({ id: 'SandboxAuthCode' });
export type SandboxAuthCodeDto = z.infer<typeof SandboxAuthCodeDto>;

import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { EventPusher } from './event-pusher';
import { OrgChangeError, type OrgModel } from './org-model';
import type { WorkNotificationStore } from './work-notification-store';

/**
 * `/__sandbox/...`: the emulator's own control surface, for the app's sandbox sign-in (user picker +
 * auth codes) and for demos that change the org and watch the events flow. Not a DingTalk API.
 * Errors: `{error:{code,message}}` with 400/404/409.
 */

const DeptIds = z.array(z.coerce.number().int().positive()).min(1);
const HireBody = z.object({
  name: z.string().min(1),
  deptIds: DeptIds.optional(),
  userid: z.string().min(1).max(64).optional(),
  title: z.string().optional(),
  mobile: z.string().optional(),
  email: z.string().optional(),
  org_email: z.string().optional(),
  job_number: z.string().optional(),
  active: z.boolean().optional(),
});
const UserPatchBody = z.object({
  name: z.string().min(1).optional(),
  title: z.string().optional(),
  job_number: z.string().optional(),
  email: z.string().optional(),
  org_email: z.string().optional(),
  mobile: z.string().optional(),
  telephone: z.string().optional(),
  work_place: z.string().optional(),
  remark: z.string().optional(),
  avatar: z.string().optional(),
  manager_userid: z.string().optional(),
});
const DeptBody = z.object({
  name: z.string().min(1),
  parentId: z.coerce.number().int().positive().optional(),
});
const DeptPatchBody = z.object({
  name: z.string().min(1).optional(),
  parentId: z.coerce.number().int().positive().optional(),
  managerUserIds: z.array(z.string()).optional(),
});

class BadInput extends Error {}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success)
    throw new BadInput(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return result.data;
}

export function createSandboxAdminRouter(deps: {
  org: OrgModel;
  events: EventPusher;
  notifications: WorkNotificationStore;
  issueAuthCode: (userid: string) => string;
  info: Record<string, unknown>;
}): Router {
  const { org } = deps;
  const router = Router();

  router.get('/__sandbox/info', (_req, res) => {
    res.json({ ...deps.info, corpName: org.corpName, mailDomain: org.mailDomain });
  });

  router.get('/__sandbox/users', (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q : '';
    const limit = Math.min(200, Math.max(1, Number(req.query.limit) || 20));
    res.json({ users: org.searchUsers(q, limit) });
  });
  router.get('/__sandbox/users/:userid', (req, res) => {
    const user = org.getUser(req.params.userid);
    if (!user) throw new OrgChangeError('not_found', `no user ${req.params.userid}`);
    res.json(user);
  });
  router.post('/__sandbox/users', (req, res) => {
    const body = parse(HireBody, req.body);
    res.status(201).json(org.hire(body));
  });
  router.patch('/__sandbox/users/:userid', (req, res) => {
    res.json(org.updateUser(req.params.userid, parse(UserPatchBody, req.body)));
  });
  router.put('/__sandbox/users/:userid/departments', (req, res) => {
    res.json(org.moveUser(req.params.userid, parse(z.object({ deptIds: DeptIds }), req.body).deptIds));
  });
  router.post('/__sandbox/users/:userid/leave', (req, res) => {
    org.leave(req.params.userid);
    res.json({ ok: true });
  });
  router.post('/__sandbox/users/:userid/rejoin', (req, res) => {
    res.json(
      org.rejoin(req.params.userid, parse(z.object({ deptIds: DeptIds.optional() }), req.body).deptIds),
    );
  });
  router.post('/__sandbox/users/:userid/activate', (req, res) => {
    res.json(org.activate(req.params.userid));
  });
  router.put('/__sandbox/users/:userid/admin', (req, res) => {
    const { level } = parse(
      z.object({ level: z.union([z.literal(0), z.literal(1), z.literal(2)]) }),
      req.body,
    );
    res.json(org.setAdmin(req.params.userid, level));
  });
  router.post('/__sandbox/auth-codes', (req, res) => {
    const { userid } = parse(z.object({ userid: z.string().min(1) }), req.body);
    res.status(201).json({ code: deps.issueAuthCode(userid) });
  });

  router.get('/__sandbox/departments', (_req, res) => {
    res.json({ departments: [...org.departments()] });
  });
  router.post('/__sandbox/departments', (req, res) => {
    res.status(201).json(org.createDept(parse(DeptBody, req.body)));
  });
  router.patch('/__sandbox/departments/:deptId', (req, res) => {
    const deptId = Number(req.params.deptId);
    const body = parse(DeptPatchBody, req.body);
    if (!org.getDept(deptId)) throw new OrgChangeError('not_found', `no department ${req.params.deptId}`);
    if (body.name !== undefined) org.renameDept(deptId, body.name);
    if (body.parentId !== undefined) org.moveDept(deptId, body.parentId);
    if (body.managerUserIds !== undefined) org.setDeptManagers(deptId, body.managerUserIds);
    res.json(org.getDept(deptId));
  });
  router.delete('/__sandbox/departments/:deptId', (req, res) => {
    org.removeDept(Number(req.params.deptId));
    res.json({ ok: true });
  });

  router.get('/__sandbox/events', (_req, res) => {
    res.json({ events: deps.events.log.map(({ done: _done, ...record }) => record) });
  });
  router.get('/__sandbox/notifications/:userid', (req, res) => {
    res.json({ notifications: deps.notifications.inbox(req.params.userid) });
  });

  router.use('/__sandbox', (_req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: 'no such sandbox endpoint' } });
  });
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (err instanceof BadInput)
      return res.status(400).json({ error: { code: 'invalid', message: err.message } });
    if (err instanceof OrgChangeError) {
      const status = { not_found: 404, invalid: 400, conflict: 409 }[err.code];
      return res.status(status).json({ error: { code: err.code, message: err.message } });
    }
    next(err);
  });
  return router;
}

import { expect } from 'chai';
import { JobRegistry, type JobDefinition } from '../../server/modules/scheduling';
import { createLogger } from '../../server/platform/logger';
import { createLocalUser, createTenant, tokenFor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';
import { api } from './rules-support';

/** A job whose runs wait until the test lets them finish. */
function gatedJob(name: string, scope: 'tenant' | 'global' = 'tenant') {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let runs = 0;
  const def: JobDefinition = {
    name,
    description: 'test job',
    cron: '0 3 * * *',
    timeZone: 'Asia/Shanghai',
    scope,
    run: async (ctx) => {
      runs++;
      await ctx.progress(1, 2);
      await gate;
      await ctx.progress(2, 2);
      return { ok: true };
    },
  };
  return {
    def,
    runs: () => runs,
    /** Lets current and later runs finish. */
    release: () => release(),
  };
}

async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('job registry: run now, no overlap, advisory locks across replicas, job_runs', function () {
  this.timeout(60_000);
  let app: TestApp;
  let tenantId: string;
  let adminToken: string;
  let employeeToken: string;

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'jobsco')).id;
    const admin = await createLocalUser(app, tenantId, { roles: ['admin'] });
    const employee = await createLocalUser(app, tenantId, { roles: ['employee'] });
    adminToken = tokenFor(app, tenantId, admin.member.id, ['admin']);
    employeeToken = tokenFor(app, tenantId, employee.member.id, ['employee']);
  });
  after(async () => {
    await app.services.jobs.idle();
    await app.close();
  });

  it('lists registered jobs with schedule and last runs; run now answers 202, a second run now 409', async () => {
    const job = gatedJob('test.gated');
    app.services.jobs.register(job.def);
    const admin = api(app, adminToken);
    const listed = (await admin.get('/admin/jobs').expect(200)).body.jobs;
    expect(listed.map((j: { name: string }) => j.name)).to.include.members([
      'jobs.housekeeping',
      'test.gated',
    ]);
    expect(listed.find((j: { name: string }) => j.name === 'test.gated')).to.include({
      cron: '0 3 * * *',
      timeZone: 'Asia/Shanghai',
      scope: 'tenant',
      running: false,
    });

    const started = (await admin.post('/admin/jobs/test.gated/run').expect(202)).body;
    expect(started.runId).to.be.a('string');
    const busy = await admin.post('/admin/jobs/test.gated/run').expect(409);
    expect(busy.body.error.code).to.equal('jobs.already_running');
    const running = (await admin.get(`/jobs/${started.runId}`).expect(200)).body;
    expect(running).to.include({ status: 'running', progressDone: 1, progressTotal: 2, trigger: 'manual' });
    expect(
      (await admin.get('/admin/jobs').expect(200)).body.jobs.find(
        (j: { name: string }) => j.name === 'test.gated',
      ).running,
    ).to.equal(true);

    job.release();
    await until(
      async () => (await app.services.jobRuns.get(tenantId, started.runId))?.status === 'succeeded',
    );
    const done = (await admin.get(`/jobs/${started.runId}`).expect(200)).body;
    expect(done).to.include({ status: 'succeeded', progressDone: 2 });
    expect(done.summary).to.include({ ok: true });
    expect(done.finishedAt).to.be.a('string');
    expect(job.runs()).to.equal(1);
  });

  it('only admins run jobs; unknown job 404; bad name 400; a failing job records its error', async () => {
    await api(app, employeeToken).post('/admin/jobs/jobs.housekeeping/run').expect(403);
    await api(app, employeeToken).get('/admin/jobs').expect(403);
    const admin = api(app, adminToken);
    expect((await admin.post('/admin/jobs/no.such.job/run').expect(404)).body.error.code).to.equal(
      'not_found',
    );
    await admin.post('/admin/jobs/BAD%20NAME/run').expect(400);
    app.services.jobs.register({
      name: 'test.failing',
      description: 'fails',
      cron: null,
      scope: 'tenant',
      run: async () => {
        throw new Error('disk on fire');
      },
    });
    const { runId } = (await admin.post('/admin/jobs/test.failing/run').expect(202)).body;
    await app.services.jobs.idle();
    const run = (await admin.get(`/jobs/${runId}`).expect(200)).body;
    expect(run).to.include({ status: 'failed', error: 'disk on fire' });
    const housekeeping = (await admin.post('/admin/jobs/jobs.housekeeping/run').expect(202)).body;
    await app.services.jobs.idle();
    expect((await admin.get(`/jobs/${housekeeping.runId}`).expect(200)).body.status).to.equal('succeeded');
  });

  it('two registries on one database (two replicas): a cron tick runs once, the other skips', async () => {
    const job = gatedJob('test.replicated');
    const replicaA = app.services.jobs;
    const replicaB = new JobRegistry({
      ds: app.ds,
      jobRuns: app.services.jobRuns,
      logger: createLogger({ level: 'silent' }),
      defaultTimeZone: 'Asia/Shanghai',
    });
    replicaA.register(job.def);
    replicaB.register(job.def);
    const first = replicaA.tick('test.replicated');
    await until(async () => job.runs() >= 1);
    const second = await replicaB.tick('test.replicated');
    const otherTenants = second.ran; // tenants created by other suites in this database, if any
    expect(second.skipped).to.be.greaterThan(0);
    job.release();
    await first;
    const rows = await app.ds.query(
      `SELECT status FROM job_runs WHERE tenant_id = $1 AND job = 'test.replicated'`,
      [tenantId],
    );
    expect(rows).to.deep.equal([{ status: 'succeeded' }]);
    expect(otherTenants).to.be.a('number');
    await replicaB.stop();
  });

  it('start() schedules with node-cron: a tick runs the job (trigger cron); a long run is not overlapped', async () => {
    const job = gatedJob('test.every-second');
    job.def.cron = '* * * * * *';
    let ticks = 0;
    class CountingRegistry extends JobRegistry {
      override async tick(name: string) {
        ticks++;
        return super.tick(name);
      }
    }
    const registry = new CountingRegistry({
      ds: app.ds,
      jobRuns: app.services.jobRuns,
      logger: createLogger({ level: 'silent' }),
      defaultTimeZone: 'Asia/Shanghai',
    });
    registry.register(job.def);
    registry.start();
    try {
      await until(async () => job.runs() === 1);
      // Two more seconds of ticks while the first run is still going: node-cron's noOverlap holds them.
      const deadline = Date.now() + 2200;
      await until(async () => Date.now() > deadline);
      expect(ticks).to.equal(1);
      expect(job.runs()).to.equal(1);
      job.release();
      await until(async () => {
        const rows = await app.ds.query(
          `SELECT status, trigger FROM job_runs WHERE tenant_id = $1 AND job = 'test.every-second' ORDER BY started_at`,
          [tenantId],
        );
        return rows[0]?.status === 'succeeded' && rows[0]?.trigger === 'cron';
      });
    } finally {
      await registry.stop();
    }
  });

  it('global jobs record their runs without a tenant and cannot be run from one organization', async () => {
    const job = gatedJob('test.global', 'global');
    app.services.jobs.register(job.def);
    job.release();
    const tick = await app.services.jobs.tick('test.global');
    expect(tick).to.deep.equal({ ran: 1, skipped: 0 });
    const [row] = await app.ds.query(
      `SELECT status, progress_done FROM system_job_runs WHERE job = 'test.global'`,
    );
    expect(row).to.deep.equal({ status: 'succeeded', progress_done: 2 });
    await api(app, adminToken).post('/admin/jobs/test.global/run').expect(403);
  });

  it("a run is visible to whoever started it and to the organization's admins, 404 for anyone else", async () => {
    const admin = api(app, adminToken);
    const { runId } = (await admin.post('/admin/jobs/jobs.housekeeping/run').expect(202)).body;
    await app.services.jobs.idle();
    await api(app, employeeToken).get(`/jobs/${runId}`).expect(404);
    const other = await createTenant(app, 'jobsco-other');
    const otherAdmin = await createLocalUser(app, other.id, { roles: ['admin'] });
    await api(app, tokenFor(app, other.id, otherAdmin.member.id, ['admin']))
      .get(`/jobs/${runId}`)
      .expect(404);
    await admin.get('/jobs/not-a-uuid').expect(400);
  });
});

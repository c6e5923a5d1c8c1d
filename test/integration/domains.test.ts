import { expect } from 'chai';
import { staticResolver, type DnsTable } from '../../server/platform/dns/resolver';
import { createLocalUser, createTenant, tokenFor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

interface Rec {
  purpose: string;
  name: string;
  value: string;
  status: string;
  found: string[];
}
interface Domain {
  id: string;
  name: string;
  displayName: string;
  verified: boolean;
  isPrimary: boolean;
  records: Rec[];
}

describe('domains: add, publish records, check through the resolver, verify', function () {
  this.timeout(60_000);
  // The DNS this test controls; the app only ever sees it through the resolver port.
  const table: DnsTable = {};
  let app: TestApp;
  let tenantId: string;
  let token: string;

  before(async () => {
    app = await startTestApp(
      { DNS_CHECKS: 'on', SMTP_HOSTNAME: 'mx.orgmail.test' },
      { resolver: (name, type) => staticResolver(table)(name, type) },
    );
    tenantId = (await createTenant(app, 'domainco')).id;
    const admin = await createLocalUser(app, tenantId, { roles: ['admin'] });
    token = tokenFor(app, tenantId, admin.member.id, ['admin']);
  });
  after(() => app.close());

  const call = async (method: string, path: string, body?: unknown, t = token) => {
    const res = await fetch(`${app.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (res.status === 204 ? null : await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const record = (d: Domain, purpose: string) => d.records.find((r) => r.purpose === purpose)!;

  it('adds a Chinese domain, lists what to publish, and carries no mail until verified', async () => {
    const added = await call('POST', '/admin/domains', { name: '示例公司.中国' });
    expect(added.status).to.equal(201);
    const d = added.body as Domain;
    expect(d.name).to.equal('xn--fsqr9b55c896d.xn--fiqs8s');
    expect(d.displayName).to.equal('示例公司.中国');
    expect(d.verified).to.equal(false);
    expect(d.records.map((r) => r.purpose)).to.deep.equal(['verification', 'mx', 'spf', 'dkim', 'dmarc']);
    expect(d.records.every((r) => r.status === 'unchecked')).to.equal(true);
    expect(record(d, 'mx').value).to.equal('mx.orgmail.test');
    expect(record(d, 'dkim').value).to.match(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]+$/);

    // An address on the unverified domain: inbound mail does not route to it.
    const [{ id: mailbox }] = await app.ds.query(
      `INSERT INTO mailboxes (tenant_id, domain_id, local_part) VALUES ($1, $2, 'boss') RETURNING id`,
      [tenantId, d.id],
    );
    await app.ds.query(
      `INSERT INTO addresses (tenant_id, domain_id, local_part, kind, mailbox_id) VALUES ($1, $2, 'boss', 'mailbox', $3)`,
      [tenantId, d.id, mailbox],
    );
    expect((await app.services.recipients.resolve('boss@示例公司.中国')).kind).to.equal('unknown_domain');

    // Published partly wrong: the check says which record is what.
    table['_orgmail.xn--fsqr9b55c896d.xn--fiqs8s'] = { TXT: [record(d, 'verification').value] };
    table['xn--fsqr9b55c896d.xn--fiqs8s'] = {
      MX: [{ exchange: 'mx.elsewhere.test', priority: 10 }],
      TXT: ['v=spf1 include:spf.orgmail.test ~all', 'google-site-verification=abc'],
    };
    table[record(d, 'dkim').name] = {
      TXT: [['v=DKIM1; k=rsa; ', `p=${record(d, 'dkim').value.split('p=')[1]}`]],
    };
    const checked = (await call('POST', `/admin/domains/${d.id}/check`)).body as Domain;
    expect(checked.verified).to.equal(true);
    expect(record(checked, 'verification').status).to.equal('ok');
    expect(record(checked, 'mx')).to.include({ status: 'mismatch' });
    expect(record(checked, 'mx').found).to.deep.equal(['mx.elsewhere.test']);
    expect(record(checked, 'spf').status).to.equal('ok');
    expect(record(checked, 'dkim').status, 'chunked TXT joined').to.equal('ok');
    expect(record(checked, 'dmarc').status).to.equal('missing');
    expect((await app.services.recipients.resolve('boss@示例公司.中国')).kind).to.equal('mailbox');
    const [audit] = await app.ds.query(
      `SELECT actor_type FROM audit_log WHERE tenant_id = $1 AND action = 'domain.verified' AND target_id = $2`,
      [tenantId, d.id],
    );
    expect(audit.actor_type).to.equal('system');
  });

  it('the re-check job walks every domain; primary can move to a verified domain; removal guarded', async () => {
    const second = (await call('POST', '/admin/domains', { name: 'Second.Example.COM.' })).body as Domain;
    expect(second.name).to.equal('second.example.com');
    expect((await call('POST', `/admin/domains/${second.id}/primary`)).status, 'not verified yet').to.equal(
      400,
    );
    table['_orgmail.second.example.com'] = { TXT: [record(second, 'verification').value] };
    expect(await app.services.domains.checkAll(tenantId)).to.deep.include({ verified: 1 });
    const primary = await call('POST', `/admin/domains/${second.id}/primary`);
    expect(primary.body.isPrimary).to.equal(true);
    const list = (await call('GET', '/admin/domains')).body.domains as Domain[];
    expect(list.filter((x) => x.isPrimary).map((x) => x.id)).to.deep.equal([second.id]);

    expect((await call('DELETE', `/admin/domains/${second.id}`)).status, 'primary').to.equal(409);
    const chinese = list.find((x) => x.displayName === '示例公司.中国')!;
    expect((await call('DELETE', `/admin/domains/${chinese.id}`)).status, 'has addresses').to.equal(409);
    const spare = (await call('POST', '/admin/domains', { name: 'spare.example.org' })).body as Domain;
    expect((await call('DELETE', `/admin/domains/${spare.id}`)).status).to.equal(204);
  });

  it('refuses bad names, taken names, other organizations and employees', async () => {
    for (const name of ['localhost', 'a..b', '-x.com', 'x.123', 'has space.com', '']) {
      const res = await call('POST', '/admin/domains', { name });
      expect(res.status, name).to.equal(400);
      expect(res.body.error.code).to.equal('validation_failed');
    }
    expect((await call('POST', '/admin/domains', { name: 'second.example.com' })).status).to.equal(409);
    const other = await createTenant(app, 'domainother');
    const stranger = await createLocalUser(app, other.id, { roles: ['admin'] });
    const strangerToken = tokenFor(app, other.id, stranger.member.id, ['admin']);
    const ours = ((await call('GET', '/admin/domains')).body.domains as Domain[])[0]!;
    expect((await call('GET', `/admin/domains/${ours.id}`, undefined, strangerToken)).status).to.equal(404);
    expect((await call('POST', `/admin/domains/${ours.id}/check`, undefined, strangerToken)).status).to.equal(
      404,
    );
    expect((await call('DELETE', `/admin/domains/${ours.id}`, undefined, strangerToken)).status).to.equal(
      404,
    );
    const employee = await createLocalUser(app, tenantId, { roles: ['employee'] });
    const employeeToken = tokenFor(app, tenantId, employee.member.id, ['employee']);
    expect((await call('GET', '/admin/domains', undefined, employeeToken)).status).to.equal(403);
  });

  it('with DNS checks off (the embedded demo) records stay unchecked and nothing is looked up', async () => {
    const offline = await startTestApp(
      { DNS_CHECKS: 'off' },
      {
        resolver: () => Promise.reject(new Error('no DNS query may be made')),
      },
    );
    try {
      const t = (await createTenant(offline, 'offlineco')).id;
      const a = await createLocalUser(offline, t, { roles: ['admin'] });
      const res = await fetch(`${offline.url}/api/v1/admin/domains`, {
        headers: { authorization: `Bearer ${tokenFor(offline, t, a.member.id, ['admin'])}` },
      });
      const body = (await res.json()) as { domains: (Domain & { dnsChecks: boolean })[] };
      expect(body.domains[0]!.dnsChecks).to.equal(false);
      expect(body.domains[0]!.verified, 'the configured domain').to.equal(true);
      expect(body.domains[0]!.records.every((r) => r.status === 'unchecked')).to.equal(true);
      expect(await offline.services.domains.checkAll(t)).to.deep.equal({ checked: 0, verified: 0 });
    } finally {
      await offline.close();
    }
  });
});

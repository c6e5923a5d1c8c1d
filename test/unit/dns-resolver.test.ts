import { expect } from 'chai';
import { staticResolver, systemResolver } from '../../server/platform/dns/resolver';

describe('DNS resolver port', () => {
  const resolve = staticResolver({
    'Example.COM.': {
      A: ['192.0.2.10'],
      MX: [{ exchange: 'mx.example.com', priority: 10 }],
      TXT: ['v=spf1 ip4:192.0.2.0/24 -all', ['v=DKIM1; k=rsa; ', 'p=AAAA']],
    },
    'mx.example.com': { A: ['192.0.2.25'] },
  });

  it('answers like node:dns/promises resolve(): TXT as chunk arrays, MX as objects', async () => {
    expect(await resolve('example.com', 'A')).to.deep.equal(['192.0.2.10']);
    expect(await resolve('EXAMPLE.com.', 'MX')).to.deep.equal([{ exchange: 'mx.example.com', priority: 10 }]);
    expect(await resolve('example.com', 'TXT')).to.deep.equal([
      ['v=spf1 ip4:192.0.2.0/24 -all'],
      ['v=DKIM1; k=rsa; ', 'p=AAAA'],
    ]);
  });

  it('rejects with ENOTFOUND for unknown names and ENODATA for a known name without that type', async () => {
    const missing = await resolve('nowhere.example', 'A').catch((e: NodeJS.ErrnoException) => e);
    expect(missing).to.be.instanceOf(Error).and.include({ code: 'ENOTFOUND' });
    const noData = await resolve('mx.example.com', 'TXT').catch((e: NodeJS.ErrnoException) => e);
    expect(noData).to.include({ code: 'ENODATA' });
  });

  it('hands out copies, so a caller cannot change the table', async () => {
    const [mx] = await resolve('example.com', 'MX');
    mx.priority = 99;
    expect((await resolve('example.com', 'MX'))[0].priority).to.equal(10);
  });

  it('an empty table knows nothing (the default in tests: no query leaves the machine)', async () => {
    const err = await staticResolver({})('gmail.com', 'MX').catch((e: NodeJS.ErrnoException) => e);
    expect(err).to.include({ code: 'ENOTFOUND' });
  });

  it('systemResolver() has the same call shape (not called: tests never use real DNS)', () => {
    expect(systemResolver()).to.be.a('function').with.property('length', 2);
  });
});

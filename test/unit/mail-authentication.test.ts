import { expect } from 'chai';
import {
  hasSignatures,
  MailAuthenticator,
  withoutForgedResults,
} from '../../server/modules/transport/mail-authentication';
import { staticResolver } from '../../server/platform/dns/resolver';

const DNS = staticResolver({
  'pass.example': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
  '_dmarc.pass.example': { TXT: ['v=DMARC1; p=quarantine'] },
  'reject.example': { TXT: ['v=spf1 ip4:192.0.2.1 -all'] },
  '_dmarc.reject.example': { TXT: ['v=DMARC1; p=reject'] },
});

const auth = new MailAuthenticator({ resolver: DNS, hostname: 'mx.test' });
const message = (from: string) =>
  Buffer.from(
    `From: 某人 <${from}>\r\nTo: a@corp.test\r\nSubject: 你好\r\nMessage-ID: <1@x>\r\n\r\n正文\r\n`,
  );

describe('mail authentication (mailauth through the DNS port)', () => {
  for (const [from, spf, dmarc, policy] of [
    ['a@pass.example', 'pass', 'pass', 'none'],
    ['ceo@reject.example', 'fail', 'fail', 'reject'],
    ['x@nodns.example', 'none', 'none', 'none'],
  ] as const) {
    it(`unsigned mail from ${from}: the fast path (SPF + DMARC only) says what mailauth's authenticate() says`, async () => {
      const session = {
        remoteAddress: '::ffff:127.0.0.1',
        helo: 'client.example',
        mailFrom: from,
        secure: false,
      };
      const full = await auth.check(message(from), session);
      const fast = await auth.check(message(from), session, from);
      expect(fast).to.deep.include({ spf, dmarc, dmarcPolicy: policy, dkim: 'none', arc: 'none' });
      expect(fast).to.deep.equal(full);
    });
  }

  it('the null sender is checked by its HELO identity (postmaster@helo)', async () => {
    const out = await auth.check(
      message('a@pass.example'),
      { remoteAddress: '127.0.0.1', helo: 'pass.example', mailFrom: '', secure: false },
      'a@pass.example',
    );
    expect(out.spf).to.equal('pass');
    expect(out.headers[1]).to.include('smtp.mailfrom=postmaster@pass.example');
  });

  it('signatures are found in the header block only', () => {
    expect(hasSignatures(Buffer.from('DKIM-Signature: v=1\r\nFrom: a@b\r\n\r\nx'))).to.equal(true);
    expect(hasSignatures(Buffer.from('From: a@b\r\nARC-Seal: i=1\r\n\r\nx'))).to.equal(true);
    expect(hasSignatures(Buffer.from('From: a@b\r\n\r\nDKIM-Signature: in the body\r\n'))).to.equal(false);
  });

  it('a resolver failure does not lose mail: results say temperror', async () => {
    const broken = new MailAuthenticator({
      resolver: async () => Promise.reject(Object.assign(new Error('boom'), { code: 'ESERVFAIL' })),
      hostname: 'mx.test',
    });
    const out = await broken.check(message('a@pass.example'), {
      remoteAddress: '127.0.0.1',
      helo: 'c.example',
      mailFrom: 'a@pass.example',
      secure: false,
    });
    expect(out.spf).to.be.oneOf(['temperror', 'permerror', 'none']);
    expect(out.headers.join('\n')).to.match(/^Authentication-Results: mx\.test;/m);
  });

  it('removes forged Authentication-Results claiming our name (RFC 8601 §5), keeps others and the body', () => {
    const raw = Buffer.from(
      [
        'Received: from x by mx.test',
        'Authentication-Results: mx.test;',
        ' dkim=pass header.d=bank.example',
        'Authentication-Results: mx.test.evil.example; spf=pass',
        'Authentication-Results: other.example; spf=fail',
        'authentication-results:MX.TEST; dmarc=pass',
        'From: a@b.example',
        '',
        'Authentication-Results: mx.test; in the body stays',
        '',
      ].join('\r\n'),
    );
    const out = withoutForgedResults(raw, 'mx.test').toString();
    expect(out).not.to.include('bank.example');
    expect(out).not.to.include('dmarc=pass');
    expect(out).to.include('Authentication-Results: mx.test.evil.example; spf=pass');
    expect(out).to.include('Authentication-Results: other.example; spf=fail');
    expect(out).to.include('\r\n\r\nAuthentication-Results: mx.test; in the body stays');
    const clean = Buffer.from('From: a@b.example\r\n\r\nx\r\n');
    expect(withoutForgedResults(clean, 'mx.test')).to.equal(clean);
  });
});

import { expect } from 'chai';
import { ManualClock } from '../../server/platform/clock';
import { SecretBox } from '../../server/platform/secrets';
import { Totp } from '../../server/modules/auth';

describe('SecretBox', () => {
  it('seals and opens, with a fresh IV each time', () => {
    const box = new SecretBox('master-secret-0123456789-0123456789');
    const a = box.seal('JBSWY3DPEHPK3PXP');
    expect(a).to.not.include('JBSWY3DPEHPK3PXP');
    expect(box.seal('JBSWY3DPEHPK3PXP')).to.not.equal(a);
    expect(box.open(a)).to.equal('JBSWY3DPEHPK3PXP');
  });

  it('refuses a tampered box and another key', () => {
    const box = new SecretBox('master-secret-0123456789-0123456789');
    const sealed = box.seal('secret');
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    expect(() => box.open(tampered)).to.throw();
    expect(() => new SecretBox('another-master-secret-0123456789').open(sealed)).to.throw();
    expect(() => box.open('v0.x.y')).to.throw(/format/);
  });
});

describe('Totp', () => {
  it('accepts the current code once and never again (replay)', () => {
    const clock = new ManualClock(new Date('2026-11-23T08:00:10Z'));
    const totp = new Totp(clock);
    const secret = totp.newSecret();
    const code = totp.codeNow(secret);
    const step = totp.verify(secret, code, null);
    expect(step).to.be.a('number');
    expect(totp.verify(secret, code, step)).to.equal(null);
  });

  it('tolerates one step of clock drift but not five minutes', () => {
    const clock = new ManualClock(new Date('2026-11-23T08:00:10Z'));
    const totp = new Totp(clock);
    const secret = totp.newSecret();
    const code = totp.codeNow(secret);
    clock.advance(30_000);
    expect(totp.verify(secret, code, null)).to.be.a('number');
    clock.advance(300_000);
    expect(totp.verify(secret, code, null)).to.equal(null);
  });
});

import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { ManualClock } from '../../server/platform/clock';
import { AppError } from '../../server/platform/errors';
import { JwtService } from '../../server/modules/auth';

const key = Buffer.alloc(32, 7);
const actor = {
  tenantId: '2f0b2c4e-8d3a-4c0b-9a53-6f4f7d1a0b11',
  memberId: '7b1e1a4d-3c2b-4f5e-8a6d-9c0b1a2e3f40',
  roles: ['employee' as const],
  scope: 'full' as const,
};

function service(
  clock = new ManualClock(),
  overrides: Partial<{ key: Buffer; audience: string; issuer: string }> = {},
) {
  return new JwtService(
    { key, issuer: 'orgmail', audience: 'orgmail-api', ttlSeconds: 3600, ...overrides },
    clock,
  );
}

function expectRejected(fn: () => unknown, code = 'unauthenticated') {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    expect((err as AppError).status).to.equal(401);
    expect((err as AppError).code).to.equal(code);
    return;
  }
  expect.fail('token was accepted');
}

function b64(obj: unknown) {
  return Buffer.from(JSON.stringify(obj)).toString('base64url');
}

describe('JwtService', () => {
  it('round-trips the actor', () => {
    const s = service();
    expect(s.verify(s.sign(actor).token)).to.deep.equal(actor);
  });

  it('rejects an expired token with token_expired', () => {
    const clock = new ManualClock();
    const s = service(clock);
    const { token } = s.sign(actor);
    clock.advance(3601_000);
    expectRejected(() => s.verify(token), 'token_expired');
  });

  it('rejects alg "none"', () => {
    const [, payload] = service().sign(actor).token.split('.');
    expectRejected(() => service().verify(`${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`));
  });

  it('rejects another algorithm even with the right key (HS512)', () => {
    const token = jwt.sign({ tid: actor.tenantId, roles: actor.roles, scope: 'full' }, key, {
      algorithm: 'HS512',
      issuer: 'orgmail',
      audience: 'orgmail-api',
      subject: actor.memberId,
      expiresIn: 60,
    });
    expectRejected(() => service().verify(token));
  });

  it('rejects a wrong audience and a wrong issuer', () => {
    const token = service(undefined, { audience: 'another-app' }).sign(actor).token;
    expectRejected(() => service().verify(token));
    const token2 = service(undefined, { issuer: 'someone-else' }).sign(actor).token;
    expectRejected(() => service().verify(token2));
  });

  it('rejects a tampered payload (roles raised to admin)', () => {
    const [header, payload, signature] = service().sign(actor).token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    claims.roles = ['admin'];
    expectRejected(() => service().verify(`${header}.${b64(claims)}.${signature}`));
  });

  it('rejects a token signed with another deployment secret', () => {
    const token = service(undefined, { key: Buffer.alloc(32, 9) }).sign(actor).token;
    expectRejected(() => service().verify(token));
  });

  it('rejects a correctly signed token whose claims are malformed', () => {
    const header = b64({ alg: 'HS256', typ: 'JWT' });
    const body = b64({
      sub: 'not-a-uuid',
      tid: actor.tenantId,
      roles: ['root'],
      scope: 'full',
      iss: 'orgmail',
      aud: 'orgmail-api',
      exp: Math.floor(Date.now() / 1000) + 60,
    });
    const sig = createHmac('sha256', key).update(`${header}.${body}`).digest('base64url');
    expectRejected(() => service().verify(`${header}.${body}.${sig}`));
  });

  it('rejects garbage', () => {
    expectRejected(() => service().verify('not.a.jwt'));
    expectRejected(() => service().verify(''));
  });
});

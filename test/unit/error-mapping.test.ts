import { expect } from 'chai';
import { toAppError } from '../../server/platform/http/error-handler';

/** How errors from PostgreSQL and the body parser become the API's error envelope statuses. */
describe('error mapping', () => {
  const pg = (code: string) => Object.assign(new Error(`pg ${code}`), { driverError: { code } });

  it('a deadlock or serialization failure is a 503 with Retry-After (nothing was written; retry)', () => {
    for (const code of ['40P01', '40001']) {
      const e = toAppError(pg(code));
      expect(e?.status, code).to.equal(503);
      expect(e?.code).to.equal('unavailable');
      expect(e?.headers).to.deep.equal({ 'Retry-After': '1' });
    }
  });

  it('unique and foreign-key violations are 409, bad formats 400, a lost database 503', () => {
    expect(toAppError(pg('23505'))?.status).to.equal(409);
    expect(toAppError(pg('23503'))?.status).to.equal(409);
    expect(toAppError(pg('22P02'))?.status).to.equal(400);
    expect(toAppError(pg('57P01'))?.status).to.equal(503);
  });

  it('anything else stays unmapped (the handler answers 500 and logs it)', () => {
    expect(toAppError(new Error('boom'))).to.equal(undefined);
    expect(toAppError(pg('XX000'))).to.equal(undefined);
  });
});

import { expect } from 'chai';
import { UpstreamError } from '../../server/platform/errors';

/** The UpstreamError a call fails with (fails the test if it succeeds or fails otherwise). */
export async function rejectionOf(promise: Promise<unknown>): Promise<UpstreamError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(UpstreamError);
    return err as UpstreamError;
  }
  throw new Error('expected the call to fail');
}

/** The DingTalk details an UpstreamError carries (errcode, request id, attempts, ...). */
export function details(err: UpstreamError): Record<string, unknown> {
  return err.details as Record<string, unknown>;
}

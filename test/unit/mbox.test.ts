import { expect } from 'chai';
import { mboxFromLine, mboxRecord } from '../../server/modules/mailboxes/mbox';

describe('mboxrd records', () => {
  it('writes the From line in asctime layout (UTC) with the sender as one token', () => {
    const date = new Date('2026-11-03T01:02:03Z');
    expect(mboxFromLine('a@example.com', date)).to.equal('From a@example.com Tue Nov  3 01:02:03 2026\n');
    expect(mboxFromLine(null, date)).to.match(/^From MAILER-DAEMON /);
    expect(mboxFromLine('bad sender\r\n@x', date)).to.match(/^From badsender@x Tue/);
  });

  it('quotes From lines (already quoted ones once more), uses LF and ends with a blank line', () => {
    const raw = Buffer.from(
      'Subject: 你好\r\n\r\nFrom here\r\n>From there\r\n>>From far\r\nnot From\r\nFromage',
      'utf8',
    );
    const out = mboxRecord('a@example.com', new Date(0), raw).toString('utf8');
    const lines = out.split('\n');
    expect(lines[0]).to.equal('From a@example.com Thu Jan  1 00:00:00 1970');
    expect(lines.slice(1)).to.deep.equal([
      'Subject: 你好',
      '',
      '>From here',
      '>>From there',
      '>>>From far',
      'not From',
      'Fromage',
      '',
      '',
    ]);
    expect(out).to.not.include('\r');
  });
});

import { expect } from 'chai';
import type { DeliveredMail } from '../../server/modules/transport';
import { NewMailNotices } from '../../server/modules/transport/new-mail-notice';
import { createLogger } from '../../server/platform/logger';
import type { Notice } from '../../server/modules/directory/notifier.port';

function mail(subject: string, copies: DeliveredMail['copies']): DeliveredMail {
  return {
    tenantId: 't1',
    parsed: { subject, from: [{ name: '李四', address: 'li@x.example' }] } as DeliveredMail['parsed'],
    source: 'smtp',
    envelopeFrom: 'li@x.example',
    blobSha256: 'x',
    copies,
  };
}

const copy = (memberId: string | null, folderRole: 'inbox' | 'junk' | null = 'inbox') => ({
  mailboxId: `mb-${memberId}`,
  memberId,
  messageId: 'm',
  folderRole,
  mailboxStatus: 'active' as const,
});

describe('new-mail notices: coalescing', () => {
  it('one notice per person per window; a person notified recently waits for the interval', async () => {
    const sent: { memberIds: string[]; notice: Notice }[] = [];
    const notices = new NewMailNotices({
      notifier: { notify: async (_t, memberIds, notice) => void sent.push({ memberIds, notice }) },
      logger: createLogger({ level: 'silent' }),
      windowMs: 20,
      minIntervalMs: 300,
    });
    await notices.onDelivered(
      mail('周报', [copy('a'), copy('b'), copy(null), copy('c', 'junk'), copy('d', null)]),
    );
    await new Promise((r) => setTimeout(r, 60));
    // a and b got the very same notice: one call for both; junk, rule folders and mailboxes without a member: none.
    expect(sent).to.have.length(1);
    expect(sent[0]!.memberIds).to.deep.equal(['a', 'b']);
    expect(sent[0]!.notice).to.deep.include({ title: '新邮件', body: '李四：周报' });

    await notices.onDelivered(mail('二', [copy('a')]));
    await notices.onDelivered(mail('三', [copy('a')]));
    await new Promise((r) => setTimeout(r, 60));
    expect(sent).to.have.length(1); // a was notified < 300 ms ago: held
    await new Promise((r) => setTimeout(r, 300));
    expect(sent).to.have.length(2);
    expect(sent[1]!.notice.title).to.equal('2 封新邮件');
  });

  it('a failing notifier is logged, never thrown into delivery', async () => {
    const notices = new NewMailNotices({
      notifier: { notify: async () => Promise.reject(new Error('platform down')) },
      logger: createLogger({ level: 'silent' }),
    });
    await notices.onDelivered(mail('x', [copy('a')]));
    await notices.idle();
  });
});

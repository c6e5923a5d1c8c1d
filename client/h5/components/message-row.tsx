import { List } from 'antd-mobile';
import { LinkOutline, StarFill } from 'antd-mobile-icons';
import type { MessageSummaryDto } from '../../../shared/mail/messages';
import { formatListDate, useI18n } from '../../common/i18n';

/** One line of a message list: sender (or recipients), subject, snippet, time, unread dot, markers. */
export function MessageRow(props: { message: MessageSummaryDto; showRecipients?: boolean; onClick(): void }) {
  const { t, lang } = useI18n();
  const m = props.message;
  const who = props.showRecipients
    ? t('toPrefix', { name: m.to.map((a) => a.name || a.address).join('、') || t('none') })
    : m.from?.name || m.from?.address || t('unknownSender');
  const unread = !m.flags.seen;
  return (
    <List.Item
      className={unread ? 'message-row unread' : 'message-row'}
      data-testid="message-row"
      data-subject={m.subject}
      onClick={props.onClick}
      arrowIcon={false}
    >
      <div className="row-top">
        {unread ? <span className="unread-dot" aria-label="unread" /> : null}
        <span className="row-who">{who}</span>
        <span className="row-date">{formatListDate(m.receivedAt, lang)}</span>
      </div>
      <div className="row-subject">
        {m.importance === 'high' ? <span className="row-important">!</span> : null}
        <span>{m.subject || t('noSubject')}</span>
        {m.hasAttachments ? <LinkOutline className="row-clip" aria-label="attachment" /> : null}
        {m.flags.flagged ? <StarFill className="row-star" /> : null}
      </div>
      <div className="row-snippet">{m.snippet}</div>
      {m.labels.length > 0 ? (
        <div className="row-labels">
          {m.labels.map((l) => (
            <span key={l} className="row-label">
              {l}
            </span>
          ))}
        </div>
      ) : null}
    </List.Item>
  );
}

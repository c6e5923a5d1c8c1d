import { Checkbox, List } from 'antd-mobile';
import { LinkOutline, StarFill } from 'antd-mobile-icons';
import { useRef } from 'react';
import type { MessageSummaryDto } from '../../../shared/mail/messages';
import { formatListDate, useI18n } from '../../common/i18n';

const LONG_PRESS_MS = 500;

/** Calls `onLongPress` after a still press; the click that ends a long press is swallowed. */
function useLongPress(onLongPress: (() => void) | undefined) {
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const fired = useRef(false);
  const start = useRef<{ x: number; y: number } | null>(null);
  const cancel = () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
  };
  if (!onLongPress) return { handlers: {}, swallow: () => false };
  return {
    handlers: {
      onPointerDown: (e: React.PointerEvent) => {
        fired.current = false;
        start.current = { x: e.clientX, y: e.clientY };
        cancel();
        timer.current = setTimeout(() => {
          fired.current = true;
          onLongPress();
        }, LONG_PRESS_MS);
      },
      onPointerMove: (e: React.PointerEvent) => {
        const s = start.current;
        if (s && Math.abs(e.clientX - s.x) + Math.abs(e.clientY - s.y) > 10) cancel();
      },
      onPointerUp: cancel,
      onPointerCancel: cancel,
      onPointerLeave: cancel,
      onContextMenu: (e: React.MouseEvent) => e.preventDefault(),
    },
    /** True once for the click that follows a long press. */
    swallow: () => {
      const was = fired.current;
      fired.current = false;
      return was;
    },
  };
}

/** One line of a message list: sender (or recipients), subject, snippet, time, unread dot, markers. */
export function MessageRow(props: {
  message: MessageSummaryDto;
  showRecipients?: boolean;
  onClick(): void;
  onLongPress?(): void;
  /** In select mode: whether this row is picked (undefined = not selecting). */
  selected?: boolean;
}) {
  const { t, lang } = useI18n();
  const m = props.message;
  const press = useLongPress(props.onLongPress);
  const who = props.showRecipients
    ? t('toPrefix', { name: m.to.map((a) => a.name || a.address).join(t('listSeparator')) || t('none') })
    : m.from?.name || m.from?.address || t('unknownSender');
  const unread = !m.flags.seen;
  const selecting = props.selected !== undefined;
  return (
    <List.Item
      className={[
        'message-row',
        unread ? 'unread' : '',
        selecting ? 'selecting' : '',
        props.selected ? 'selected' : '',
      ]
        .filter(Boolean)
        .join(' ')}
      data-testid="message-row"
      data-subject={m.subject}
      data-selected={selecting ? String(props.selected) : undefined}
      onClick={() => {
        if (!press.swallow()) props.onClick();
      }}
      arrowIcon={false}
      prefix={
        selecting ? (
          <Checkbox checked={props.selected} className="row-check" aria-label={m.subject} />
        ) : undefined
      }
    >
      <div className="row-body" {...press.handlers}>
        <div className="row-top">
          {unread ? <span className="unread-dot" aria-label="unread" /> : null}
          <span className="row-who">{who}</span>
          <span className="row-date">{formatListDate(m.receivedAt, lang)}</span>
        </div>
        <div className="row-subject">
          {m.importance === 'high' ? <span className="row-important">!</span> : null}
          <span className="row-subject-text">{m.subject || t('noSubject')}</span>
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
      </div>
    </List.Item>
  );
}

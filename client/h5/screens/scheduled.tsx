import { Button, DatePicker, Dialog, List, PullToRefresh, Tag, Toast } from 'antd-mobile';
import { useState } from 'react';
import type { ScheduledSendDto } from '../../../shared/scheduling/scheduled-sends';
import { scheduled } from '../../common/endpoints';
import { formatDateTime, useI18n, type MessageKey } from '../../common/i18n';
import { Page } from '../components/page';
import { Empty, Failure, Loading } from '../components/states';
import { errorText, useAsync } from '../../common/hooks';
import { navigate } from '../router';

const STATUS_COLOR: Record<ScheduledSendDto['status'], string> = {
  queued: 'primary',
  sending: 'warning',
  sent: 'success',
  cancelled: 'default',
  failed: 'danger',
};

/** Scheduled sends: when each leaves, and reschedule, cancel (back to Drafts) or send now. */
export default function Scheduled() {
  const { t, lang } = useI18n();
  const list = useAsync(scheduled.list, []);
  const [rescheduling, setRescheduling] = useState<ScheduledSendDto | null>(null);
  const items = (list.data?.items ?? []).filter((s) => s.kind === 'scheduled');
  const run = async (fn: () => Promise<unknown>, done: MessageKey) => {
    try {
      await fn();
      Toast.show({ content: t(done) });
      await list.reload();
    } catch (err) {
      Toast.show({ icon: 'fail', content: errorText(err, t) });
    }
  };
  return (
    <Page title={t('scheduledSends')} back="/me" testId="scheduled">
      <PullToRefresh
        onRefresh={list.reload}
        pullingText={t('pullToRefresh')}
        canReleaseText={t('releaseToRefresh')}
        refreshingText={t('refreshing')}
        completeText={t('refreshed')}
      >
        {list.error && !list.data ? (
          <Failure error={list.error} onRetry={list.reload} />
        ) : !list.data ? (
          <Loading />
        ) : items.length === 0 ? (
          <Empty title={t('scheduledEmpty')} />
        ) : (
          <List>
            {items.map((s) => (
              <List.Item
                key={s.id}
                data-testid="scheduled-item"
                data-subject={s.subject}
                data-status={s.status}
                arrowIcon={false}
                description={
                  <>
                    <div>
                      {t('toPrefix', { name: s.to.map((r) => r.name || r.address).join(t('listSeparator')) })}
                    </div>
                    <div>
                      {s.status === 'sent' && s.sentAt
                        ? t('sentAtTime', { time: formatDateTime(s.sentAt, lang) })
                        : t('dueAt', { time: formatDateTime(s.dueAt, lang) })}
                      {s.late ? (
                        <Tag color="warning" fill="outline">
                          {' '}
                          {t('lateSend')}
                        </Tag>
                      ) : null}
                    </div>
                    {s.lastError ? <div className="danger small">{s.lastError}</div> : null}
                    {s.status === 'queued' ? (
                      <div className="item-actions">
                        <Button
                          size="mini"
                          onClick={() => navigate(`/scheduled/${s.id}`)}
                          data-testid="edit-scheduled"
                        >
                          {t('editScheduled')}
                        </Button>
                        <Button size="mini" onClick={() => setRescheduling(s)} data-testid="reschedule">
                          {t('reschedule')}
                        </Button>
                        <Button
                          size="mini"
                          color="primary"
                          onClick={() => void run(() => scheduled.sendNow(s.id), 'sentNow')}
                          data-testid="send-now"
                        >
                          {t('sendNow')}
                        </Button>
                        <Button
                          size="mini"
                          color="danger"
                          fill="outline"
                          onClick={async () => {
                            if (
                              await Dialog.confirm({
                                title: t('cancelSend'),
                                content: t('cancelSendConfirm'),
                                confirmText: t('confirm'),
                                cancelText: t('cancel'),
                              })
                            )
                              await run(() => scheduled.cancel(s.id), 'undone');
                          }}
                        >
                          {t('cancelSend')}
                        </Button>
                      </div>
                    ) : null}
                  </>
                }
                extra={<Tag color={STATUS_COLOR[s.status]}>{t(`status_${s.status}` as MessageKey)}</Tag>}
              >
                {s.subject || t('noSubject')}
              </List.Item>
            ))}
          </List>
        )}
      </PullToRefresh>
      <DatePicker
        visible={rescheduling !== null}
        onClose={() => setRescheduling(null)}
        precision="minute"
        min={new Date(Date.now() + 2 * 60_000)}
        max={new Date(Date.now() + 365 * 86_400_000)}
        defaultValue={rescheduling ? new Date(rescheduling.dueAt) : undefined}
        title={t('pickSendTime')}
        confirmText={t('confirm')}
        cancelText={t('cancel')}
        onConfirm={(value) => {
          const s = rescheduling;
          if (s) void run(() => scheduled.reschedule(s.id, value.toISOString()), 'rescheduled');
        }}
      />
    </Page>
  );
}

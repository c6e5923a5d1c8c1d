import { ReloadOutlined } from '@ant-design/icons';
import { Button, Card, Drawer, Descriptions, Segmented, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import type { DirectoryEventDto } from '../../../shared/directory/sync';
import { formatDateTime, useI18n } from '../../common/i18n';
import { LoadError } from '../components/status';
import { directoryEvents } from '../endpoints';
import { useAction, useAsync } from '../hooks';
import { useT, type ConsoleKey } from '../i18n';
import { canWrite } from './org/group-panel';

type Status = DirectoryEventDto['status'];
const STATUS_COLOR: Record<Status, string> = {
  pending: 'processing',
  done: 'success',
  failed: 'error',
  ignored: 'default',
};

const PAYLOAD_STYLE = {
  background: '#fafafa',
  border: '1px solid #f0f0f0',
  borderRadius: 6,
  padding: 12,
  fontSize: 12,
  maxHeight: 420,
  overflow: 'auto',
  margin: 0,
} as const;

function EventPayload({ id, onClose }: { id: string; onClose: () => void }) {
  const t = useT();
  const { lang } = useI18n();
  const e = useAsync(() => directoryEvents.get(id), [id]);
  return (
    <Drawer open size={560} title={t('eventDetail', { id })} onClose={onClose} destroyOnHidden>
      {e.error ? <LoadError error={e.error} onRetry={() => void e.reload()} /> : null}
      {e.data && (
        <Space orientation="vertical" style={{ width: '100%' }} size={16} data-testid="event-detail">
          <Descriptions
            size="small"
            bordered
            column={1}
            items={[
              {
                key: 'type',
                label: t('eventType'),
                children: <Typography.Text code>{e.data.type}</Typography.Text>,
              },
              {
                key: 'status',
                label: t('eventStatus'),
                children: (
                  <Tag color={STATUS_COLOR[e.data.status]}>{t(`ev_${e.data.status}` as ConsoleKey)}</Tag>
                ),
              },
              { key: 'attempts', label: t('eventAttempts'), children: e.data.attempts },
              {
                key: 'received',
                label: t('eventReceived'),
                children: formatDateTime(e.data.receivedAt, lang),
              },
              {
                key: 'processed',
                label: t('eventProcessed'),
                children: e.data.processedAt ? formatDateTime(e.data.processedAt, lang) : '—',
              },
              ...(e.data.lastError
                ? [
                    {
                      key: 'error',
                      label: t('eventError'),
                      children: <Typography.Text type="danger">{e.data.lastError}</Typography.Text>,
                    },
                  ]
                : []),
            ]}
          />
          <div>
            <Typography.Title level={5}>{t('eventPayload')}</Typography.Title>
            <pre style={PAYLOAD_STYLE} data-testid="event-payload">
              {JSON.stringify(e.data.payload, null, 2)}
            </pre>
          </div>
        </Space>
      )}
    </Drawer>
  );
}

/** The DingTalk contact event log: filter by state, look at a payload, retry a failed event. */
export function DirectoryEvents() {
  const t = useT();
  const { lang } = useI18n();
  const [status, setStatus] = useState<Status | 'all'>('all');
  const [cursor, setCursor] = useState<string | undefined>();
  const [shown, setShown] = useState<string | null>(null);
  const page = useAsync(
    () => directoryEvents.list({ status: status === 'all' ? undefined : status, cursor }),
    [status, cursor],
  );
  const { busy, run } = useAction();
  return (
    <Card
      title={t('eventLog')}
      data-testid="directory-events"
      extra={
        <Space>
          <Segmented<Status | 'all'>
            value={status}
            onChange={(v) => {
              setStatus(v);
              setCursor(undefined);
            }}
            options={(['all', 'pending', 'failed', 'done', 'ignored'] as const).map((s) => ({
              value: s,
              label: t(`ev_${s}` as ConsoleKey),
            }))}
            data-testid="event-status-filter"
          />
          <Button icon={<ReloadOutlined />} onClick={() => void page.reload()} />
        </Space>
      }
    >
      {page.error ? <LoadError error={page.error} onRetry={() => void page.reload()} /> : null}
      <Table<DirectoryEventDto>
        size="small"
        rowKey="id"
        loading={page.loading}
        dataSource={page.data?.events ?? []}
        locale={{ emptyText: t('noEvents') }}
        pagination={false}
        columns={[
          {
            title: t('eventReceived'),
            dataIndex: 'receivedAt',
            width: 170,
            render: (v: string) => formatDateTime(v, lang),
          },
          {
            title: t('eventType'),
            dataIndex: 'type',
            render: (v: string) => <Typography.Text code>{v}</Typography.Text>,
          },
          {
            title: t('eventSubjects'),
            key: 'ids',
            ellipsis: true,
            render: (_, e) =>
              [
                e.userIds.length ? `${t('eventUsers')} ${e.userIds.join(', ')}` : '',
                e.deptIds.length ? `${t('eventDepts')} ${e.deptIds.join(', ')}` : '',
              ]
                .filter(Boolean)
                .join(' · ') || '—',
          },
          {
            title: t('eventStatus'),
            dataIndex: 'status',
            width: 110,
            render: (s: Status) => <Tag color={STATUS_COLOR[s]}>{t(`ev_${s}` as ConsoleKey)}</Tag>,
          },
          { title: t('eventAttempts'), dataIndex: 'attempts', width: 80, align: 'right' },
          {
            title: t('eventError'),
            dataIndex: 'lastError',
            ellipsis: true,
            render: (v: string | null) => (v ? <Typography.Text type="danger">{v}</Typography.Text> : '—'),
          },
          {
            title: '',
            key: 'actions',
            width: 140,
            render: (_, e) => (
              <Space size={0}>
                <Button type="link" size="small" onClick={() => setShown(e.id)} data-testid="event-view">
                  {t('eventView')}
                </Button>
                {e.status === 'failed' && canWrite() && (
                  <Button
                    type="link"
                    size="small"
                    loading={busy === e.id}
                    data-testid="event-retry"
                    onClick={() =>
                      void run(
                        e.id,
                        async () => {
                          await directoryEvents.retry(e.id);
                          await page.reload();
                        },
                        t('eventRetried'),
                      )
                    }
                  >
                    {t('eventRetry')}
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      <div style={{ display: 'flex', justifyContent: 'flex-end', gap: 8, marginTop: 12 }}>
        {cursor && <Button onClick={() => setCursor(undefined)}>{t('firstPage')}</Button>}
        {page.data?.nextCursor && (
          <Button onClick={() => setCursor(page.data!.nextCursor!)}>{t('olderEvents')}</Button>
        )}
      </div>
      {shown && <EventPayload id={shown} onClose={() => setShown(null)} />}
    </Card>
  );
}

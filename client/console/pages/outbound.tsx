import { Button, Card, Popconfirm, Segmented, Space, Statistic, Table, Tabs, Tag, Typography } from 'antd';
import { useState } from 'react';
import type { CapturedMailDto, OutboundItemDto } from '../../../shared/mail/outbound';
import { formatDateTime, useI18n } from '../../common/i18n';
import { formatBytes, LoadError } from '../components/status';
import { outboundOps, stats } from '../endpoints';
import { useAction, useAsync } from '../hooks';
import { useT } from '../i18n';

type State = OutboundItemDto['status'];
const COLOR: Record<State, string> = {
  queued: 'processing',
  sent: 'success',
  failed: 'error',
  captured: 'default',
};

const day = (d: Date) => d.toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });

/** 外发队列: depth by state, rows with next attempt and last error, retry now, cancel; captured mail. */
export default function Outbound() {
  const t = useT();
  return (
    <div data-testid="outbound-page">
      <div className="page-head">
        <Typography.Title level={4}>{t('menuOutbound')}</Typography.Title>
      </div>
      <Tabs
        items={[
          { key: 'queue', label: t('obQueue'), children: <Queue /> },
          { key: 'captured', label: t('obCaptured'), children: <Captured /> },
        ]}
      />
    </div>
  );
}

function Queue() {
  const t = useT();
  const { lang } = useI18n();
  const [state, setState] = useState<State>('queued');
  const list = useAsync(() => outboundOps.list(state), [state]);
  const depth = useAsync(() => {
    const now = new Date();
    return stats.breakdown(day(new Date(now.getTime() - 29 * 86_400_000)), day(now)).then((b) => b.queue);
  }, [state]);
  const { busy, run } = useAction();
  const after = async (_changed?: unknown) => {
    await Promise.all([list.reload(), depth.reload()]);
  };
  if (list.error) return <LoadError error={list.error} onRetry={() => void list.reload()} />;
  const q = depth.data;
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Card data-testid="outbound-depth">
        <Space size={48} wrap>
          <Statistic title={t('dbQueued')} value={q?.queued ?? 0} />
          <Statistic title={t('dbRetrying')} value={q?.retrying ?? 0} />
          <Statistic title={`${t('queueFailed')} · ${t('last30Days')}`} value={q?.failed ?? 0} />
          <Statistic title={`${t('dbDelivered')} · ${t('last30Days')}`} value={q?.sent ?? 0} />
          <Statistic title={t('dbHeld')} value={q?.held ?? 0} />
        </Space>
      </Card>
      <Card
        title={
          <Segmented<State>
            value={state}
            onChange={setState}
            data-testid="outbound-state"
            options={(['queued', 'failed', 'sent', 'captured'] as const).map((s) => ({
              value: s,
              label: t(`ob_${s}`),
            }))}
          />
        }
      >
        <Table<OutboundItemDto>
          rowKey="id"
          size="middle"
          data-testid="outbound-table"
          loading={list.loading}
          dataSource={list.data ?? []}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          expandable={{
            expandedRowRender: (r) => (
              <Space orientation="vertical" size={2}>
                {r.recipients.map((x) => (
                  <span key={x.address}>
                    <Tag
                      color={x.status === 'sent' ? 'success' : x.status === 'failed' ? 'error' : 'processing'}
                    >
                      {t(`obr_${x.status}`)}
                    </Tag>
                    {x.address}
                    {x.response ? (
                      <Typography.Text type="secondary" style={{ marginLeft: 8 }}>
                        {x.response}
                      </Typography.Text>
                    ) : null}
                  </span>
                ))}
              </Space>
            ),
          }}
          columns={[
            { title: t('apSubject'), render: (_, r) => r.subject || t('apNoSubject') },
            { title: t('apSender'), dataIndex: 'envelopeFrom' },
            {
              title: t('apRecipients'),
              render: (_, r) => `${r.recipients.map((x) => x.address).join(', ')}`,
              ellipsis: true,
            },
            { title: t('obAttempts'), dataIndex: 'attempts', width: 80 },
            {
              title: t('obNext'),
              width: 170,
              render: (_, r) =>
                r.status === 'queued' && r.nextAttemptAt ? formatDateTime(r.nextAttemptAt, lang) : '—',
            },
            {
              title: t('obLastError'),
              render: (_, r) =>
                r.lastError ? (
                  <Typography.Text type="danger" ellipsis style={{ maxWidth: 220 }} title={r.lastError}>
                    {r.lastError}
                  </Typography.Text>
                ) : (
                  '—'
                ),
            },
            {
              title: t('apStatus'),
              width: 90,
              render: (_, r) => <Tag color={COLOR[r.status]}>{t(`ob_${r.status}`)}</Tag>,
            },
            {
              title: t('actions'),
              width: 140,
              render: (_, r) =>
                r.status === 'queued' || r.status === 'failed' ? (
                  <Space size={0}>
                    <Button
                      type="link"
                      size="small"
                      loading={busy === `r-${r.id}`}
                      onClick={() =>
                        void run(
                          `r-${r.id}`,
                          async () => after(await outboundOps.retry(r.id)),
                          t('obRetried'),
                        )
                      }
                    >
                      {t('obRetry')}
                    </Button>
                    {r.status === 'queued' ? (
                      <Popconfirm
                        title={t('obCancelConfirm')}
                        okButtonProps={{ danger: true }}
                        onConfirm={() =>
                          void run(
                            `c-${r.id}`,
                            async () => after(await outboundOps.cancel(r.id)),
                            t('obCancelled'),
                          )
                        }
                      >
                        <Button type="link" size="small" danger loading={busy === `c-${r.id}`}>
                          {t('obCancel')}
                        </Button>
                      </Popconfirm>
                    ) : null}
                  </Space>
                ) : null,
            },
          ]}
        />
      </Card>
    </Space>
  );
}

function Captured() {
  const t = useT();
  const { lang } = useI18n();
  const list = useAsync(outboundOps.captured, []);
  if (list.error) return <LoadError error={list.error} onRetry={() => void list.reload()} />;
  return (
    <Card>
      <Typography.Paragraph type="secondary">{t('obCapturedHint')}</Typography.Paragraph>
      <Table<CapturedMailDto>
        rowKey="id"
        size="middle"
        data-testid="captured-table"
        loading={list.loading}
        dataSource={list.data ?? []}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        columns={[
          { title: t('apSubject'), render: (_, r) => r.subject || t('apNoSubject') },
          { title: t('apSender'), dataIndex: 'envelopeFrom' },
          { title: t('apRecipients'), render: (_, r) => r.recipients.join(', '), ellipsis: true },
          { title: t('qSize'), width: 90, render: (_, r) => formatBytes(r.size) },
          { title: t('obCapturedAt'), width: 170, render: (_, r) => formatDateTime(r.capturedAt, lang) },
        ]}
      />
    </Card>
  );
}

import { ApartmentOutlined, DownloadOutlined, ReloadOutlined } from '@ant-design/icons';
import { Button, Card, Progress, Space, Table, Tag, Typography } from 'antd';
import { useEffect } from 'react';
import type { MailboxExportDto } from '../../../shared/mailboxes/exports';
import { formatDateTime, useI18n } from '../../common/i18n';
import { formatBytes, LoadError } from '../components/status';
import { exportsApi, saveBlob } from '../endpoints';
import { useAction, useAsync } from '../hooks';
import { useT } from '../i18n';
import { ExportForm } from './export-form';

const COLOR: Record<MailboxExportDto['status'], string> = {
  running: 'processing',
  ready: 'success',
  failed: 'error',
};

export default function Exports() {
  const t = useT();
  const { lang } = useI18n();
  const list = useAsync(exportsApi.list, []);
  const { busy, run } = useAction();
  const running = list.data?.some((e) => e.status === 'running');
  useEffect(() => {
    if (!running) return;
    const timer = setTimeout(() => void list.reload(), 1500);
    return () => clearTimeout(timer);
  }, [running, list]);
  return (
    <div data-testid="exports-page">
      <div className="page-head">
        <Typography.Title level={4}>{t('menuExports')}</Typography.Title>
        <Button icon={<ReloadOutlined />} onClick={() => void list.reload()}>
          {t('refresh')}
        </Button>
      </div>
      <ExportForm onStarted={() => void list.reload()} />
      <Card>
        {list.error ? <LoadError error={list.error} onRetry={() => void list.reload()} /> : null}
        <Table<MailboxExportDto>
          rowKey="id"
          size="middle"
          loading={list.loading && !list.data}
          dataSource={list.data ?? []}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          columns={[
            {
              title: t('address'),
              key: 'address',
              render: (_, e) =>
                e.scope === 'department' ? (
                  <span>
                    <ApartmentOutlined /> <Typography.Text strong>{e.address}</Typography.Text>
                  </span>
                ) : (
                  <span>
                    {e.displayName && <Typography.Text strong>{e.displayName} </Typography.Text>}
                    <Typography.Text type="secondary">{e.address}</Typography.Text>
                  </span>
                ),
            },
            {
              title: t('reason'),
              dataIndex: 'reason',
              render: (v: MailboxExportDto['reason']) => t(`reason_${v}`),
            },
            {
              title: t('status'),
              dataIndex: 'status',
              render: (s: MailboxExportDto['status'], e) => (
                <Space orientation="vertical" size={2}>
                  <Tag color={COLOR[s]} title={e.error ?? undefined}>
                    {t(`ex_${s}`)}
                  </Tag>
                  {s === 'running' ? (
                    <Progress
                      size="small"
                      style={{ width: 140 }}
                      percent={e.progressTotal ? Math.floor((100 * e.progressDone) / e.progressTotal) : 0}
                      format={() => `${e.progressDone}/${e.progressTotal}`}
                      data-testid="export-progress"
                    />
                  ) : null}
                </Space>
              ),
            },
            {
              title: t('exportFormat'),
              dataIndex: 'format',
              render: (v: MailboxExportDto['format']) => (v === 'mbox' ? 'mbox' : '.eml'),
            },
            { title: t('messages'), dataIndex: 'messages' },
            { title: t('size'), dataIndex: 'size', render: (v: number) => formatBytes(v) },
            { title: t('startedAt'), dataIndex: 'createdAt', render: (v: string) => formatDateTime(v, lang) },
            { title: t('expiresAt'), dataIndex: 'expiresAt', render: (v: string) => formatDateTime(v, lang) },
            {
              title: t('actions'),
              key: 'dl',
              render: (_, e) =>
                e.status === 'ready' ? (
                  <Button
                    size="small"
                    icon={<DownloadOutlined />}
                    loading={busy === e.id}
                    data-testid="download-export"
                    onClick={() =>
                      void run(e.id, async () =>
                        saveBlob(
                          await exportsApi.download(e.id),
                          `${e.address.replace(/@.*/, '')}-${e.format}-${e.id.slice(0, 8)}.zip`,
                        ),
                      )
                    }
                  >
                    {t('download')}
                  </Button>
                ) : null,
            },
          ]}
        />
      </Card>
    </div>
  );
}

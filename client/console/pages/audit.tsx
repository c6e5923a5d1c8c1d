import { DownloadOutlined } from '@ant-design/icons';
import { Button, Card, DatePicker, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import type { AuditEntryDto } from '../../../shared/audit';
import type { Query } from '../../common/api';
import { formatDateTime, useI18n } from '../../common/i18n';
import { LoadError } from '../components/status';
import { audit, saveBlob } from '../endpoints';
import { useAction, useDebounced } from '../hooks';
import { useT } from '../i18n';

interface Filters {
  action?: string;
  actorType?: AuditEntryDto['actorType'];
  targetId?: string;
  from?: string;
  to?: string;
}

export default function Audit() {
  const t = useT();
  const { lang } = useI18n();
  const [filters, setFilters] = useState<Filters>({});
  const debounced = useDebounced(filters, 300);
  const [rows, setRows] = useState<AuditEntryDto[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>();
  const { busy, run } = useAction();
  const query = debounced as Query;

  const fetchPage = async (after: string | null) => {
    setLoading(true);
    setError(undefined);
    try {
      const page = await audit.list({ ...query, cursor: after ?? undefined });
      setRows((prev) => (after ? [...prev, ...page.entries] : page.entries));
      setCursor(page.nextCursor);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    void fetchPage(null);
  }, [debounced]);

  return (
    <div data-testid="audit-page">
      <div className="page-head">
        <Typography.Title level={4}>{t('menuAudit')}</Typography.Title>
        <Button
          icon={<DownloadOutlined />}
          loading={busy === 'csv'}
          data-testid="audit-csv"
          onClick={() => void run('csv', async () => saveBlob(await audit.csv(query), 'audit-log.csv'))}
        >
          {t('exportCsv')}
        </Button>
      </div>
      <Card>
        <Space wrap style={{ marginBottom: 16 }}>
          <Input
            allowClear
            placeholder={`${t('action')} (member.signin_suspended)`}
            style={{ width: 260 }}
            onChange={(e) => setFilters((f) => ({ ...f, action: e.target.value.trim() || undefined }))}
          />
          <Select
            allowClear
            placeholder={t('actorType')}
            style={{ width: 140 }}
            onChange={(v?: AuditEntryDto['actorType']) => setFilters((f) => ({ ...f, actorType: v }))}
            options={(['member', 'system', 'sync'] as const).map((a) => ({ value: a, label: t(`at_${a}`) }))}
          />
          <Input
            allowClear
            placeholder={t('target')}
            style={{ width: 200 }}
            onChange={(e) => setFilters((f) => ({ ...f, targetId: e.target.value.trim() || undefined }))}
          />
          <DatePicker.RangePicker
            showTime
            onChange={(r) =>
              setFilters((f) => ({
                ...f,
                from: r?.[0]?.toISOString() ?? undefined,
                to: r?.[1]?.toISOString() ?? undefined,
              }))
            }
          />
        </Space>
        {error ? <LoadError error={error} onRetry={() => void fetchPage(null)} /> : null}
        <Table<AuditEntryDto>
          rowKey="id"
          size="small"
          loading={loading}
          dataSource={rows}
          pagination={false}
          expandable={{
            expandedRowRender: (e) => (
              <pre style={{ margin: 0, fontSize: 12 }}>{JSON.stringify(e.details, null, 2)}</pre>
            ),
            rowExpandable: (e) => Object.keys(e.details).length > 0,
          }}
          columns={[
            {
              title: t('time'),
              dataIndex: 'createdAt',
              width: 170,
              render: (v: string) => formatDateTime(v, lang),
            },
            {
              title: t('actor'),
              key: 'actor',
              width: 180,
              render: (_, e) => (
                <Space size={4}>
                  <Tag>{t(`at_${e.actorType}`)}</Tag>
                  {e.actorName ?? ''}
                </Space>
              ),
            },
            {
              title: t('action'),
              dataIndex: 'action',
              width: 260,
              render: (v: string) => <Typography.Text code>{v}</Typography.Text>,
            },
            {
              title: t('target'),
              key: 'target',
              render: (_, e) => (e.targetType ? `${e.targetType}: ${e.targetId ?? ''}` : '—'),
            },
            { title: t('ip'), dataIndex: 'ip', width: 130, render: (v: string | null) => v ?? '—' },
          ]}
        />
        <div style={{ textAlign: 'center', marginTop: 16 }}>
          {cursor ? (
            <Button onClick={() => void fetchPage(cursor)} loading={loading}>
              {t('loadMore')}
            </Button>
          ) : (
            rows.length > 0 && <Typography.Text type="secondary">{t('noMore')}</Typography.Text>
          )}
        </div>
      </Card>
    </div>
  );
}

import { Button, Card, Input, Progress, Select, Space, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import type { AdminMemberDto } from '../../../shared/directory/admin-members';
import { formatDateTime, useI18n } from '../../common/i18n';
import { formatBytes, LoadError } from '../components/status';
import { groups, members } from '../endpoints';
import { useAsync, useDebounced, useErrorText } from '../hooks';
import { useT, type CT } from '../i18n';
import { MemberDrawer } from './member-drawer';

type StatusFilter = 'active' | 'departed' | 'signin_suspended' | 'purged';

export function memberStatus(t: CT, m: AdminMemberDto) {
  if (m.status === 'purged') return <Tag>{t('st_purged')}</Tag>;
  if (m.status === 'suspended') return <Tag color="orange">{t('st_departed')}</Tag>;
  if (m.signInSuspended) return <Tag color="red">{t('st_signin_suspended')}</Tag>;
  return <Tag color="green">{t('st_active')}</Tag>;
}

export function QuotaBar({ m }: { m: AdminMemberDto }) {
  if (!m.mailbox) return <Typography.Text type="secondary">—</Typography.Text>;
  const pct = m.mailbox.quotaBytes ? (m.mailbox.usedBytes / m.mailbox.quotaBytes) * 100 : 0;
  return (
    <div style={{ minWidth: 140 }}>
      <Progress
        percent={Math.min(100, Math.round(pct * 10) / 10)}
        size="small"
        status={pct >= 90 ? 'exception' : 'normal'}
        showInfo={false}
      />
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {formatBytes(m.mailbox.usedBytes)} / {formatBytes(m.mailbox.quotaBytes)}
      </Typography.Text>
    </div>
  );
}

export default function Members() {
  const t = useT();
  const { lang } = useI18n();
  const errorText = useErrorText();
  const [q, setQ] = useState('');
  const query = useDebounced(q.trim(), 300);
  const [department, setDepartment] = useState<string>();
  const [status, setStatus] = useState<StatusFilter>();
  const [rows, setRows] = useState<AdminMemberDto[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>();
  const [open, setOpen] = useState<string | null>(null);
  const depts = useAsync(
    () => groups.list().then((g) => g.filter((x) => x.kind === 'department' && x.departmentExternalId)),
    [],
  );

  const fetchPage = async (after: string | null) => {
    setLoading(true);
    setError(undefined);
    try {
      const page = await members.list({
        q: query || undefined,
        department,
        status,
        cursor: after ?? undefined,
      });
      setRows((prev) => (after ? [...prev, ...page.members] : page.members));
      setCursor(page.nextCursor);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    void fetchPage(null);
  }, [query, department, status]);

  const updated = (m: AdminMemberDto) => setRows((prev) => prev.map((r) => (r.id === m.id ? m : r)));

  return (
    <div data-testid="members-page">
      <div className="page-head">
        <Typography.Title level={4}>{t('menuMembers')}</Typography.Title>
      </div>
      <Card>
        <Space wrap style={{ marginBottom: 16 }}>
          <Input.Search
            allowClear
            placeholder={t('searchMembers')}
            style={{ width: 300 }}
            value={q}
            onChange={(e) => setQ(e.target.value)}
            data-testid="member-search"
          />
          <Select
            allowClear
            showSearch={{ optionFilterProp: 'label' }}
            placeholder={t('allDepartments')}
            style={{ width: 220 }}
            value={department}
            onChange={setDepartment}
            loading={depts.loading}
            options={(depts.data ?? []).map((g) => ({ value: g.departmentExternalId!, label: g.name }))}
          />
          <Select
            allowClear
            placeholder={t('status')}
            style={{ width: 160 }}
            value={status}
            onChange={setStatus}
            options={(['active', 'departed', 'signin_suspended', 'purged'] as const).map((s) => ({
              value: s,
              label: t(`st_${s}`),
            }))}
          />
        </Space>
        {error ? <LoadError error={error} onRetry={() => void fetchPage(null)} /> : null}
        <Table<AdminMemberDto>
          rowKey="id"
          size="middle"
          loading={loading}
          dataSource={rows}
          pagination={false}
          onRow={(m) => ({ onClick: () => setOpen(m.id), style: { cursor: 'pointer' } })}
          columns={[
            {
              title: t('name'),
              key: 'name',
              render: (_, m) => (
                <Space orientation="vertical" size={0}>
                  <Typography.Text strong>{m.displayName}</Typography.Text>
                  {m.title && <Typography.Text type="secondary">{m.title}</Typography.Text>}
                </Space>
              ),
            },
            { title: t('email'), dataIndex: 'email', render: (v: string | null) => v ?? '—' },
            {
              title: t('department'),
              key: 'dept',
              render: (_, m) => m.departments.map((d) => d.name).join('、') || '—',
            },
            { title: t('status'), key: 'status', render: (_, m) => memberStatus(t, m) },
            { title: t('quotaUse'), key: 'quota', render: (_, m) => <QuotaBar m={m} /> },
            {
              title: t('lastLogin'),
              dataIndex: 'lastLoginAt',
              render: (v: string | null) => (v ? formatDateTime(v, lang) : '—'),
            },
          ]}
        />
        <div style={{ textAlign: 'center', marginTop: 16 }}>
          {cursor ? (
            <Button onClick={() => void fetchPage(cursor)} loading={loading} data-testid="load-more">
              {t('loadMore')}
            </Button>
          ) : (
            rows.length > 0 && <Typography.Text type="secondary">{t('noMore')}</Typography.Text>
          )}
        </div>
      </Card>
      <MemberDrawer id={open} onClose={() => setOpen(null)} onChanged={updated} errorText={errorText} />
    </div>
  );
}

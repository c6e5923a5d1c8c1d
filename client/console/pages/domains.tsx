import { CheckCircleFilled, DeleteOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import {
  Alert,
  Button,
  Card,
  Empty,
  Form,
  Input,
  Modal,
  Popconfirm,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import type { DnsRecordDto, DomainDto } from '../../../shared/tenants/domains';
import { formatDateTime, useI18n } from '../../common/i18n';
import { LoadError } from '../components/status';
import { domains } from '../endpoints';
import { useAction, useAsync } from '../hooks';
import { useT } from '../i18n';

const RECORD_COLOR: Record<DnsRecordDto['status'], string> = {
  unchecked: 'default',
  ok: 'success',
  missing: 'error',
  mismatch: 'warning',
  error: 'error',
};

function DomainCard({
  d,
  onChange,
  onRemoved,
}: {
  d: DomainDto;
  onChange(d: DomainDto): void;
  onRemoved(): void;
}) {
  const t = useT();
  const { lang } = useI18n();
  const { busy, run } = useAction();
  return (
    <Card
      data-testid="domain-card"
      title={
        <Space>
          <Typography.Text strong style={{ fontSize: 16 }}>
            {d.name}
          </Typography.Text>
          {d.isPrimary && <Tag color="blue">{t('primary')}</Tag>}
          {d.verified ? (
            <Tag icon={<CheckCircleFilled />} color="success">
              {t('verified')}
            </Tag>
          ) : (
            <Tag color="warning">{t('unverified')}</Tag>
          )}
        </Space>
      }
      extra={
        <Space>
          {d.checkedAt && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('checkedAt')}: {formatDateTime(d.checkedAt, lang)}
            </Typography.Text>
          )}
          <Button
            icon={<ReloadOutlined />}
            loading={busy === 'check'}
            onClick={() => void run('check', async () => onChange(await domains.check(d.id)))}
          >
            {t('checkNow')}
          </Button>
          {!d.isPrimary && (
            <Button
              loading={busy === 'primary'}
              disabled={!d.verified}
              onClick={() => void run('primary', async () => onChange(await domains.primary(d.id)))}
            >
              {t('setPrimary')}
            </Button>
          )}
          {!d.isPrimary && (
            <Popconfirm
              title={t('removeDomainConfirm', { name: d.name })}
              okButtonProps={{ danger: true }}
              onConfirm={() => void run('remove', () => domains.remove(d.id)).then((ok) => ok && onRemoved())}
            >
              <Button danger icon={<DeleteOutlined />} loading={busy === 'remove'} />
            </Popconfirm>
          )}
        </Space>
      }
    >
      {!d.dnsChecks && <Alert type="info" showIcon title={t('dnsChecksOff')} style={{ marginBottom: 12 }} />}
      <Typography.Text type="secondary">{t('recordsToPublish')}</Typography.Text>
      <Table<DnsRecordDto>
        style={{ marginTop: 8 }}
        size="small"
        pagination={false}
        rowKey={(r) => `${r.purpose}-${r.name}-${r.value}`}
        dataSource={d.records}
        data-testid="dns-records"
        columns={[
          {
            title: t('purpose'),
            dataIndex: 'purpose',
            width: 110,
            render: (v: string) => <Tag>{v.toUpperCase()}</Tag>,
          },
          { title: t('recordType'), dataIndex: 'type', width: 70 },
          {
            title: t('recordName'),
            dataIndex: 'name',
            render: (v: string) => <Typography.Text copyable={{ text: v }}>{v}</Typography.Text>,
          },
          {
            title: t('recordValue'),
            key: 'value',
            render: (_, r) => (
              <Typography.Text copyable={{ text: r.value }} code style={{ wordBreak: 'break-all' }}>
                {r.priority !== null ? `${r.priority} ` : ''}
                {r.value.length > 80 ? `${r.value.slice(0, 80)}…` : r.value}
              </Typography.Text>
            ),
          },
          {
            title: t('status'),
            dataIndex: 'status',
            width: 100,
            render: (s: DnsRecordDto['status'], r) => (
              <Tag color={RECORD_COLOR[s]} title={r.found.join('\n') || undefined}>
                {t(`rec_${s}`)}
              </Tag>
            ),
          },
        ]}
      />
    </Card>
  );
}

export default function Domains() {
  const t = useT();
  const list = useAsync(domains.list, []);
  const { busy, run } = useAction();
  const [adding, setAdding] = useState(false);
  const [form] = Form.useForm<{ name: string }>();
  const replace = (d: DomainDto) => list.setData((prev) => (prev ?? []).map((x) => (x.id === d.id ? d : x)));
  return (
    <div data-testid="domains-page">
      <div className="page-head">
        <Typography.Title level={4}>{t('menuDomains')}</Typography.Title>
        <Button
          type="primary"
          icon={<PlusOutlined />}
          onClick={() => setAdding(true)}
          data-testid="add-domain"
        >
          {t('addDomain')}
        </Button>
      </div>
      {list.error ? <LoadError error={list.error} onRetry={() => void list.reload()} /> : null}
      {list.loading && !list.data && <Card loading />}
      {list.data?.length === 0 && <Empty />}
      <Space orientation="vertical" size={16} style={{ width: '100%' }}>
        {(list.data ?? []).map((d) => (
          <DomainCard key={d.id} d={d} onChange={replace} onRemoved={() => void list.reload()} />
        ))}
      </Space>
      <Modal
        open={adding}
        title={t('addDomain')}
        onCancel={() => setAdding(false)}
        confirmLoading={busy === 'add'}
        okButtonProps={{ htmlType: 'submit', form: 'add-domain-form' }}
        destroyOnHidden
      >
        <Form
          id="add-domain-form"
          form={form}
          layout="vertical"
          onFinish={(v) =>
            void run('add', async () => {
              const d = await domains.add(v.name);
              list.setData((prev) => [...(prev ?? []), d]);
            }).then((ok) => ok && (setAdding(false), form.resetFields()))
          }
        >
          <Form.Item name="name" label={t('domainName')} rules={[{ required: true }]}>
            <Input placeholder="mail.example.com" autoFocus data-testid="domain-name" />
          </Form.Item>
        </Form>
      </Modal>
    </div>
  );
}

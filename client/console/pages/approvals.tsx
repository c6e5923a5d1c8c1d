import {
  App,
  Badge,
  Button,
  Card,
  Descriptions,
  Drawer,
  Empty,
  Input,
  Select,
  Space,
  Table,
  Tabs,
  Tag,
  Typography,
} from 'antd';
import { useRef, useState } from 'react';
import type { ApprovalReason, MailApprovalDto } from '../../../shared/approval/mail-approval';
import { formatDateTime, useI18n } from '../../common/i18n';
import { formatBytes, LoadError } from '../components/status';
import { approvals } from '../endpoints';
import { useAction, useAsync, useDebounced } from '../hooks';
import { useT, type CT } from '../i18n';
import { ApprovalPolicyForm } from './approval-policy';

const STATUS_COLOR: Record<MailApprovalDto['status'], string> = {
  pending: 'processing',
  approved: 'success',
  rejected: 'error',
  expired: 'default',
};

export function reasonTags(t: CT, reasons: ApprovalReason[]) {
  return reasons.map((r, i) => (
    <Tag key={i} color="orange" title={r.detail}>
      {t(`tr_${r.trigger}`)}
      {r.trigger === 'keyword' || r.trigger === 'size' ? `：${r.detail}` : ''}
    </Tag>
  ));
}

/** 邮件审核: the queue of held outbound mail (preview, approve, reject with a reason) and the policy. */
export default function Approvals() {
  const t = useT();
  return (
    <div data-testid="approvals-page">
      <div className="page-head">
        <Typography.Title level={4}>{t('menuApprovals')}</Typography.Title>
      </div>
      <Tabs
        items={[
          { key: 'queue', label: t('apQueue'), children: <Queue /> },
          { key: 'policy', label: t('apPolicy'), children: <ApprovalPolicyForm /> },
        ]}
      />
    </div>
  );
}

function Queue() {
  const t = useT();
  const { lang } = useI18n();
  const [status, setStatus] = useState<string | undefined>('pending');
  const [search, setSearch] = useState('');
  const q = useDebounced(search, 300);
  const list = useAsync(() => approvals.list({ status, q: q || undefined }), [status, q]);
  const [open, setOpen] = useState<string | null>(null);
  if (list.error) return <LoadError error={list.error} onRetry={() => void list.reload()} />;
  return (
    <Card
      title={
        <Space>
          <Badge count={list.data?.pending ?? 0} showZero color="#faad14" />
          {t('apPendingCount', { n: list.data?.pending ?? 0 })}
        </Space>
      }
      extra={
        <Space>
          <Input.Search
            allowClear
            placeholder={t('apSearch')}
            onChange={(e) => setSearch(e.target.value)}
            style={{ width: 240 }}
          />
          <Select
            value={status ?? 'all'}
            onChange={(v) => setStatus(v === 'all' ? undefined : v)}
            style={{ width: 140 }}
            data-testid="approval-status-filter"
            options={[
              { value: 'all', label: t('apAllStatus') },
              ...(['pending', 'approved', 'rejected', 'expired'] as const).map((s) => ({
                value: s,
                label: t(`ap_${s}`),
              })),
            ]}
          />
        </Space>
      }
    >
      <Table<MailApprovalDto>
        rowKey="id"
        size="middle"
        data-testid="approval-table"
        loading={list.loading}
        dataSource={list.data?.items ?? []}
        locale={{ emptyText: <Empty description={t('apEmpty')} /> }}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        onRow={(r) => ({ onClick: () => setOpen(r.id), style: { cursor: 'pointer' } })}
        columns={[
          {
            title: t('apSubject'),
            render: (_, r) => <Typography.Text strong>{r.subject || t('apNoSubject')}</Typography.Text>,
          },
          {
            title: t('apSender'),
            render: (_, r) => (
              <Space orientation="vertical" size={0}>
                <span>{r.senderName ?? r.senderAddress}</span>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {r.senderAddress}
                </Typography.Text>
              </Space>
            ),
          },
          {
            title: t('apRecipients'),
            render: (_, r) => (
              <Typography.Text ellipsis style={{ maxWidth: 220 }} title={r.recipients.join(', ')}>
                {r.recipients.join(', ')}
              </Typography.Text>
            ),
          },
          { title: t('apReasons'), render: (_, r) => reasonTags(t, r.reasons) },
          { title: t('apHeldAt'), width: 170, render: (_, r) => formatDateTime(r.createdAt, lang) },
          {
            title: t('apStatus'),
            width: 120,
            render: (_, r) => (
              <Space size={4}>
                <Tag color={STATUS_COLOR[r.status]}>{t(`ap_${r.status}`)}</Tag>
                {r.released && r.status !== 'approved' ? <Tag color="green">{t('apReleasedTag')}</Tag> : null}
              </Space>
            ),
          },
        ]}
      />
      <ApprovalDrawer id={open} onClose={() => setOpen(null)} onDecided={() => void list.reload()} />
    </Card>
  );
}

function ApprovalDrawer(props: { id: string | null; onClose(): void; onDecided(): void }) {
  const t = useT();
  const { lang } = useI18n();
  const { modal } = App.useApp();
  const detail = useAsync(
    () => (props.id ? approvals.get(props.id) : Promise.resolve(undefined)),
    [props.id],
  );
  const { busy, run } = useAction();
  const note = useRef('');
  const a = detail.data;
  const decided = (next: MailApprovalDto) => {
    detail.setData({ ...a!, ...next });
    props.onDecided();
  };
  const approve = () =>
    void run(
      'approve',
      async () => decided(await approvals.approve(a!.id, note.current || undefined)),
      t('apApproved'),
    );
  const reject = () => {
    note.current = '';
    modal.confirm({
      title: t('apRejectTitle'),
      content: (
        <Input.TextArea
          rows={3}
          autoFocus
          data-testid="reject-reason"
          placeholder={t('apRejectReason')}
          onChange={(e) => (note.current = e.target.value)}
        />
      ),
      okButtonProps: { danger: true },
      okText: t('apReject'),
      onOk: async () => {
        if (!note.current.trim()) {
          modal.warning({ title: t('apReasonRequired') });
          throw new Error('reason required');
        }
        await run(
          'reject',
          async () => decided(await approvals.reject(a!.id, note.current.trim())),
          t('apRejected'),
        );
      },
    });
  };
  return (
    <Drawer
      open={!!props.id}
      onClose={props.onClose}
      size="large"
      title={a ? a.subject || t('apNoSubject') : ''}
      data-testid="approval-drawer"
      extra={
        a?.status === 'pending' ? (
          <Space>
            <Button danger onClick={reject} loading={busy === 'reject'} data-testid="approval-reject">
              {t('apReject')}
            </Button>
            <Button
              type="primary"
              onClick={approve}
              loading={busy === 'approve'}
              data-testid="approval-approve"
            >
              {t('apApprove')}
            </Button>
          </Space>
        ) : null
      }
    >
      {detail.error ? <LoadError error={detail.error} onRetry={() => void detail.reload()} /> : null}
      {a ? (
        <Space orientation="vertical" size="large" style={{ width: '100%' }}>
          <Descriptions column={2} size="small" bordered>
            <Descriptions.Item label={t('apSender')} span={2}>
              {a.senderName ? `${a.senderName} <${a.senderAddress}>` : a.senderAddress}
            </Descriptions.Item>
            <Descriptions.Item label={t('apRecipients')} span={2}>
              {a.recipients.join(', ')}
            </Descriptions.Item>
            <Descriptions.Item label={t('apReasons')} span={2}>
              {reasonTags(t, a.reasons)}
            </Descriptions.Item>
            <Descriptions.Item label={t('apHeldAt')}>{formatDateTime(a.createdAt, lang)}</Descriptions.Item>
            <Descriptions.Item label={t('apExpiresAt')}>
              {formatDateTime(a.expiresAt, lang)}
            </Descriptions.Item>
            <Descriptions.Item label={t('apStatus')}>
              <Tag color={STATUS_COLOR[a.status]} data-testid="approval-status">
                {t(`ap_${a.status}`)}
              </Tag>
              {a.released && a.status !== 'approved' ? <Tag color="green">{t('apReleasedTag')}</Tag> : null}
            </Descriptions.Item>
            <Descriptions.Item label={t('apDecidedBy')}>
              {a.decidedAt ? `${a.decidedByName ?? '—'} · ${formatDateTime(a.decidedAt, lang)}` : '—'}
            </Descriptions.Item>
            {a.decisionReason ? (
              <Descriptions.Item label={t('apDecision')} span={2}>
                {a.decisionReason}
              </Descriptions.Item>
            ) : null}
            {a.attachments.length > 0 ? (
              <Descriptions.Item label={t('apAttachments')} span={2}>
                {a.attachments.map((f, i) => (
                  <Tag key={i}>
                    {f.filename} · {formatBytes(f.size)}
                  </Tag>
                ))}
              </Descriptions.Item>
            ) : null}
          </Descriptions>
          {a.status === 'pending' ? (
            <Input placeholder={t('apApproveNote')} onChange={(e) => (note.current = e.target.value)} />
          ) : null}
          <Card size="small" title={t('apPreview')}>
            {/* Sanitized on the server; the sandboxed frame keeps its styles and links away from the console. */}
            {a.html ? (
              <iframe
                title={t('apPreview')}
                sandbox=""
                srcDoc={a.html}
                data-testid="approval-preview"
                style={{ width: '100%', height: 360, border: 0 }}
              />
            ) : (
              <pre
                data-testid="approval-preview"
                style={{ whiteSpace: 'pre-wrap', margin: 0, fontFamily: 'inherit' }}
              >
                {a.text}
              </pre>
            )}
          </Card>
        </Space>
      ) : null}
    </Drawer>
  );
}

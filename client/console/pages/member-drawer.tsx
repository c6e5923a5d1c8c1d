import {
  Alert,
  Button,
  Descriptions,
  Drawer,
  Input,
  InputNumber,
  Popconfirm,
  Space,
  Tag,
  Typography,
  App,
} from 'antd';
import { useRef, useState } from 'react';
import type { AdminMemberDto } from '../../../shared/directory/admin-members';
import { formatDateTime, useI18n } from '../../common/i18n';
import { LoadError } from '../components/status';
import { members } from '../endpoints';
import { go, useAction, useAsync } from '../hooks';
import { useT } from '../i18n';
import { MemberAliases } from './member-aliases';
import { MemberOps } from './member-ops';
import { memberStatus, QuotaBar } from './members';

const GB = 1024 ** 3;

/** One member: quota use and limit, sign-in suspension, mailbox export. */
export function MemberDrawer(props: {
  id: string | null;
  onClose(): void;
  onChanged(m: AdminMemberDto): void;
  errorText(err: unknown): string;
}) {
  const t = useT();
  const { lang } = useI18n();
  const { modal } = App.useApp();
  const detail = useAsync(() => (props.id ? members.get(props.id) : Promise.resolve(undefined)), [props.id]);
  const { busy, run } = useAction();
  const [quotaGb, setQuotaGb] = useState<number | null>(null);
  const reason = useRef('');
  const m = detail.data;
  const changed = (next: AdminMemberDto) => {
    detail.setData(next);
    props.onChanged(next);
  };
  const suspend = () => {
    reason.current = '';
    modal.confirm({
      title: t('suspendSignIn'),
      content: (
        <Space orientation="vertical" style={{ width: '100%' }}>
          {t('suspendConfirm', { name: m!.displayName })}
          <Input placeholder={t('suspendReason')} onChange={(e) => (reason.current = e.target.value)} />
        </Space>
      ),
      okButtonProps: { danger: true },
      okText: t('suspendSignIn'),
      onOk: () =>
        run(
          'suspend',
          async () => changed(await members.suspend(m!.id, reason.current || undefined)),
          t('suspendSignIn'),
        ),
    });
  };
  return (
    <Drawer
      open={!!props.id}
      onClose={props.onClose}
      size={560}
      title={m?.displayName ?? ''}
      destroyOnHidden
      extra={m && memberStatus(t, m)}
    >
      {detail.error ? <LoadError error={detail.error} onRetry={() => void detail.reload()} /> : null}
      {m && (
        <div data-testid="member-drawer">
          {m.signInSuspended && (
            <Alert
              type="warning"
              showIcon
              style={{ marginBottom: 16 }}
              title={t('suspendedSince', { at: formatDateTime(m.signInSuspended.at, lang) })}
              description={m.signInSuspended.reason ?? undefined}
            />
          )}
          <Descriptions column={1} bordered size="small" styles={{ label: { width: 120 } }}>
            <Descriptions.Item label={t('email')}>{m.email ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('title')}>{m.title ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('department')}>
              {m.departments.map((d) => d.name).join('、') || '—'}
            </Descriptions.Item>
            <Descriptions.Item label={t('roles')}>
              {m.roles.map((r) => (
                <Tag key={r} color={r === 'admin' ? 'blue' : undefined}>
                  {t(`role_${r}`)}
                </Tag>
              ))}
            </Descriptions.Item>
            <Descriptions.Item label={t('source')}>
              {m.source === 'dingtalk' ? 'DingTalk' : 'Local'}
            </Descriptions.Item>
            <Descriptions.Item label={t('lastLogin')}>
              {m.lastLoginAt ? formatDateTime(m.lastLoginAt, lang) : '—'}
            </Descriptions.Item>
            <Descriptions.Item label={t('quotaUse')}>
              {m.mailbox ? <QuotaBar m={m} /> : t('noMailbox')}
            </Descriptions.Item>
          </Descriptions>
          {m.mailbox && (
            <>
              <Typography.Title level={5} style={{ marginTop: 24 }}>
                {t('setQuota')}
              </Typography.Title>
              <Space.Compact>
                <InputNumber
                  min={0.01}
                  max={1024}
                  step={1}
                  value={quotaGb ?? Math.round((m.mailbox.quotaBytes / GB) * 100) / 100}
                  onChange={(v) => setQuotaGb(v)}
                  suffix="GB"
                  style={{ width: 140 }}
                  data-testid="quota-input"
                />
                <Button
                  type="primary"
                  loading={busy === 'quota'}
                  disabled={quotaGb === null}
                  onClick={() =>
                    void run(
                      'quota',
                      async () => changed(await members.setQuota(m.id, Math.round(quotaGb! * GB))),
                      t('setQuota'),
                    ).then((ok) => ok && setQuotaGb(null))
                  }
                >
                  {t('setQuota')}
                </Button>
              </Space.Compact>
            </>
          )}
          {m.mailbox && <MemberAliases memberId={m.id} />}
          {m.mailbox && <MemberOps m={m} onChanged={() => void detail.reload()} />}
          <Typography.Title level={5} style={{ marginTop: 24 }}>
            {t('actions')}
          </Typography.Title>
          <Space wrap>
            {m.signInSuspended ? (
              <Button
                loading={busy === 'restore'}
                data-testid="restore-signin"
                onClick={() =>
                  void run('restore', async () => changed(await members.restore(m.id)), t('restoreSignIn'))
                }
              >
                {t('restoreSignIn')}
              </Button>
            ) : (
              <Button danger loading={busy === 'suspend'} onClick={suspend} data-testid="suspend-signin">
                {t('suspendSignIn')}
              </Button>
            )}
            {m.mailbox && (
              <Popconfirm
                title={t('exportMailbox')}
                onConfirm={() =>
                  void run('export', () => members.exportMailbox(m.id), t('exportStarted')).then(
                    (ok) => ok && go('exports'),
                  )
                }
              >
                <Button loading={busy === 'export'} data-testid="export-mailbox">
                  {t('exportMailbox')}
                </Button>
              </Popconfirm>
            )}
          </Space>
        </div>
      )}
    </Drawer>
  );
}

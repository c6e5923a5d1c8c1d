import {
  Alert,
  App,
  Button,
  Collapse,
  Form,
  Input,
  List,
  Popconfirm,
  Select,
  Space,
  Switch,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import type { AdminMemberDto } from '../../../shared/directory/admin-members';
import { formatDateTime, useI18n } from '../../common/i18n';
import { exportsApi, grants, memberOps, members } from '../endpoints';
import { useAction, useAsync } from '../hooks';
import { useT } from '../i18n';

/** The member drawer's mailbox actions: app passwords, forwarding, auto-reply, auditor access, delete. */
export function MemberOps({ m, onChanged }: { m: AdminMemberDto; onChanged(): void }) {
  const t = useT();
  return (
    <Collapse
      style={{ marginTop: 24 }}
      data-testid="member-ops"
      items={[
        { key: 'pw', label: t('moAppPasswords'), children: <AppPasswords m={m} /> },
        { key: 'fw', label: t('moForwarding'), children: <Forwarding m={m} /> },
        { key: 'ar', label: t('moAutoReply'), children: <AutoReply m={m} /> },
        { key: 'au', label: t('moAuditorAccess'), children: <AuditorAccess m={m} /> },
        { key: 'del', label: t('moDelete'), children: <DeleteMailbox m={m} onChanged={onChanged} /> },
      ]}
    />
  );
}

function AppPasswords({ m }: { m: AdminMemberDto }) {
  const t = useT();
  const { lang } = useI18n();
  const list = useAsync(() => memberOps.appPasswords(m.id), [m.id]);
  const { busy, run } = useAction();
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <List
        size="small"
        bordered
        loading={list.loading}
        dataSource={list.data ?? []}
        locale={{ emptyText: t('moNoAppPasswords') }}
        renderItem={(p) => (
          <List.Item>
            <span>{p.name}</span>
            <Typography.Text type="secondary">
              {p.lastUsedAt ? t('moLastUsed', { at: formatDateTime(p.lastUsedAt, lang) }) : t('moNeverUsed')}
            </Typography.Text>
          </List.Item>
        )}
      />
      <Space wrap>
        <Popconfirm
          title={t('moRevokeConfirm')}
          onConfirm={() =>
            void run(
              'revoke',
              async () => {
                const r = await memberOps.revokeAppPasswords(m.id);
                await list.reload();
                return r;
              },
              t('moRevoked'),
            )
          }
        >
          <Button
            danger
            disabled={!list.data?.length}
            loading={busy === 'revoke'}
            data-testid="revoke-app-passwords"
          >
            {t('moRevokeAll')}
          </Button>
        </Popconfirm>
        <Popconfirm
          title={t('moEndSessionsConfirm')}
          onConfirm={() => void run('sessions', () => memberOps.endSessions(m.id), t('moSessionsEnded'))}
        >
          <Button loading={busy === 'sessions'} data-testid="end-sessions">
            {t('moEndSessions')}
          </Button>
        </Popconfirm>
      </Space>
    </Space>
  );
}

function Forwarding({ m }: { m: AdminMemberDto }) {
  const t = useT();
  const { t: common } = useI18n();
  const data = useAsync(() => memberOps.forwarding(m.id), [m.id]);
  const { busy, run } = useAction();
  if (!data.data) return null;
  return (
    <Form
      layout="vertical"
      initialValues={{ ...data.data, to: data.data.to ?? '' }}
      onFinish={(f: { enabled: boolean; to: string; keepCopy: boolean }) =>
        void run(
          'fw',
          async () =>
            data.setData(
              await memberOps.setForwarding(m.id, {
                enabled: f.enabled,
                to: f.to || undefined,
                keepCopy: f.keepCopy,
              }),
            ),
          common('saved'),
        )
      }
    >
      <Space size="large">
        <Form.Item name="enabled" label={t('moForwardOn')} valuePropName="checked">
          <Switch />
        </Form.Item>
        <Form.Item name="keepCopy" label={t('moKeepCopy')} valuePropName="checked">
          <Switch />
        </Form.Item>
      </Space>
      <Form.Item name="to" label={t('moForwardTo')}>
        <Input placeholder="name@example.com" data-testid="forward-to" />
      </Form.Item>
      <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
        {t('moForwardHint')}
      </Typography.Paragraph>
      <Button type="primary" htmlType="submit" loading={busy === 'fw'}>
        {common('save')}
      </Button>
    </Form>
  );
}

function AutoReply({ m }: { m: AdminMemberDto }) {
  const t = useT();
  const { t: common } = useI18n();
  const data = useAsync(() => memberOps.autoReply(m.id), [m.id]);
  const { busy, run } = useAction();
  if (!data.data) return null;
  const d = data.data;
  return (
    <Form
      layout="vertical"
      initialValues={{
        enabled: d.enabled,
        subject: d.subject ?? '',
        body: d.body,
        internalOnly: d.internalOnly,
        startDate: d.startDate ?? '',
        endDate: d.endDate ?? '',
      }}
      onFinish={(f: {
        enabled: boolean;
        subject: string;
        body: string;
        internalOnly: boolean;
        startDate: string;
        endDate: string;
      }) =>
        void run(
          'ar',
          async () =>
            data.setData(
              await memberOps.setAutoReply(m.id, {
                enabled: f.enabled,
                subject: f.subject || null,
                body: f.body ?? '',
                internalOnly: f.internalOnly,
                startDate: f.startDate || null,
                endDate: f.endDate || null,
              }),
            ),
          common('saved'),
        )
      }
    >
      <Space size="large">
        <Form.Item name="enabled" label={t('moAutoReplyOn')} valuePropName="checked">
          <Switch />
        </Form.Item>
        <Form.Item name="internalOnly" label={t('moInternalOnly')} valuePropName="checked">
          <Switch />
        </Form.Item>
      </Space>
      <Space.Compact style={{ width: '100%', marginBottom: 16 }}>
        <Form.Item name="startDate" label={t('moFrom')} style={{ width: '50%', marginBottom: 0 }}>
          <Input type="date" />
        </Form.Item>
        <Form.Item name="endDate" label={t('moTo')} style={{ width: '50%', marginBottom: 0 }}>
          <Input type="date" />
        </Form.Item>
      </Space.Compact>
      <Form.Item name="subject" label={t('moSubject')}>
        <Input placeholder={t('moSubjectHint')} />
      </Form.Item>
      <Form.Item name="body" label={t('moBody')}>
        <Input.TextArea rows={3} />
      </Form.Item>
      <Button type="primary" htmlType="submit" loading={busy === 'ar'}>
        {common('save')}
      </Button>
    </Form>
  );
}

function AuditorAccess({ m }: { m: AdminMemberDto }) {
  const t = useT();
  const { lang } = useI18n();
  const mailboxId = m.mailbox!.id;
  const list = useAsync(() => grants.list(mailboxId), [mailboxId]);
  const auditors = useAsync(
    () => members.list({}).then((p) => p.members.filter((x) => x.roles.includes('auditor'))),
    [],
  );
  const [who, setWho] = useState<string>();
  const [until, setUntil] = useState(localInput(new Date(Date.now() + 7 * 86_400_000)));
  const { busy, run } = useAction();
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {t('moAuditorHint')}
      </Typography.Text>
      <List
        size="small"
        bordered
        loading={list.loading}
        dataSource={list.data ?? []}
        locale={{ emptyText: t('moNoGrants') }}
        renderItem={(g) => (
          <List.Item
            actions={[
              <a
                key="revoke"
                onClick={() =>
                  void run('g-' + g.id, async () => {
                    await grants.revoke(g.id);
                    await list.reload();
                  })
                }
              >
                {t('moRevokeGrant')}
              </a>,
            ]}
          >
            <Space>
              {g.memberName}
              <Tag>{g.access === 'read' ? t('moReadOnly') : t('moFull')}</Tag>
              {g.expiresAt ? (
                <Tag color={Date.parse(g.expiresAt) > Date.now() ? 'blue' : 'default'}>
                  {t('moUntil', { at: formatDateTime(g.expiresAt, lang) })}
                </Tag>
              ) : null}
            </Space>
          </List.Item>
        )}
      />
      <Space.Compact style={{ width: '100%' }}>
        <Select
          placeholder={t('moPickAuditor')}
          value={who}
          onChange={setWho}
          style={{ width: '45%' }}
          options={(auditors.data ?? []).map((a) => ({ value: a.id, label: a.displayName }))}
        />
        <Input
          type="datetime-local"
          value={until}
          min={localInput(new Date())}
          onChange={(e) => setUntil(e.target.value)}
          style={{ width: '35%' }}
        />
        <Button
          type="primary"
          disabled={!who || !until}
          loading={busy === 'grant'}
          onClick={() =>
            void run('grant', async () => {
              const expiresAt = new Date(until).toISOString();
              await grants.create({ mailboxId, memberId: who!, access: 'read', expiresAt });
              await list.reload();
            })
          }
        >
          {t('moGrant')}
        </Button>
      </Space.Compact>
    </Space>
  );
}

/** Export first, wait for the archive, then delete: the server refuses a delete without a fresh export. */
function DeleteMailbox({ m, onChanged }: { m: AdminMemberDto; onChanged(): void }) {
  const t = useT();
  const { message } = App.useApp();
  const { busy, run } = useAction();
  const [exportId, setExportId] = useState<string | null>(null);
  const [status, setStatus] = useState<'idle' | 'running' | 'ready' | 'failed'>('idle');
  const startExport = () =>
    void run('export', async () => {
      const started = await members.exportMailbox(m.id);
      setExportId(started.id);
      setStatus('running');
      for (let i = 0; i < 600; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        const e = (await exportsApi.list()).find((x) => x.id === started.id);
        if (e && e.status !== 'running') {
          setStatus(e.status);
          return;
        }
      }
    });
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Alert type="warning" showIcon title={t('moDeleteWarning')} />
      <Space>
        <Button
          onClick={startExport}
          loading={busy === 'export' || status === 'running'}
          data-testid="delete-export"
        >
          {t('moExportFirst')}
        </Button>
        {status === 'ready' ? <Tag color="success">{t('moExportReady')}</Tag> : null}
        {status === 'failed' ? <Tag color="error">{t('moExportFailed')}</Tag> : null}
        <Popconfirm
          title={t('moDeleteConfirm', { name: m.displayName })}
          okButtonProps={{ danger: true }}
          onConfirm={() =>
            void run('delete', async () => {
              await memberOps.deleteMailbox(m.id, exportId!);
              void message.success(t('moDeleted'));
              onChanged();
            })
          }
        >
          <Button
            danger
            disabled={status !== 'ready'}
            loading={busy === 'delete'}
            data-testid="delete-mailbox"
          >
            {t('moDeleteMailbox')}
          </Button>
        </Popconfirm>
      </Space>
    </Space>
  );
}

/** A Date as the value of an <input type="datetime-local"> (local time, minutes). */
function localInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

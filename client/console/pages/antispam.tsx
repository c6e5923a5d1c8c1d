import {
  Button,
  Card,
  Form,
  Input,
  InputNumber,
  Popconfirm,
  Select,
  Space,
  Switch,
  Table,
  Tabs,
  Typography,
} from 'antd';
import { useState } from 'react';
import type { QuarantinedMessage } from '../../../shared/antispam/quarantine';
import type { AntispamSettings } from '../../../shared/mail/antispam';
import { formatDateTime, useI18n } from '../../common/i18n';
import { formatBytes, LoadError } from '../components/status';
import { policies, quarantine } from '../endpoints';
import { useAction, useAsync, useDebounced } from '../hooks';
import { useT } from '../i18n';

/** 反垃圾: quarantine review (release to the Inbox, delete) and the spam policy. */
export default function Antispam() {
  const t = useT();
  return (
    <div data-testid="antispam-page">
      <div className="page-head">
        <Typography.Title level={4}>{t('menuAntispam')}</Typography.Title>
      </div>
      <Tabs
        items={[
          { key: 'q', label: t('qTab'), children: <Quarantine /> },
          { key: 'p', label: t('qPolicyTab'), children: <SpamPolicy /> },
        ]}
      />
    </div>
  );
}

function Quarantine() {
  const t = useT();
  const { lang } = useI18n();
  const [search, setSearch] = useState('');
  const recipient = useDebounced(search, 300);
  const list = useAsync(() => quarantine.list(recipient || undefined), [recipient]);
  const { busy, run } = useAction();
  if (list.error) return <LoadError error={list.error} onRetry={() => void list.reload()} />;
  return (
    <Card
      title={t('qCount', { n: list.data?.length ?? 0 })}
      extra={
        <Input.Search
          allowClear
          placeholder={t('qRecipient')}
          onChange={(e) => setSearch(e.target.value)}
          style={{ width: 260 }}
          data-testid="quarantine-search"
        />
      }
    >
      <Table<QuarantinedMessage>
        rowKey="id"
        size="middle"
        data-testid="quarantine-table"
        loading={list.loading}
        dataSource={list.data ?? []}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        locale={{ emptyText: t('qEmpty') }}
        columns={[
          {
            title: t('apSubject'),
            render: (_, r) => (
              <Space orientation="vertical" size={0}>
                <Typography.Text strong>{r.subject || t('apNoSubject')}</Typography.Text>
                <Typography.Text type="secondary" ellipsis style={{ maxWidth: 360, fontSize: 12 }}>
                  {r.snippet}
                </Typography.Text>
              </Space>
            ),
          },
          { title: t('apSender'), render: (_, r) => r.fromName ?? r.fromAddress ?? '—' },
          { title: t('qRecipientCol'), dataIndex: 'recipient' },
          { title: t('qSize'), width: 90, render: (_, r) => formatBytes(r.size) },
          { title: t('qReceived'), width: 170, render: (_, r) => formatDateTime(r.receivedAt, lang) },
          {
            title: t('actions'),
            width: 150,
            render: (_, r) => (
              <Space>
                <Button
                  size="small"
                  type="link"
                  loading={busy === `r-${r.id}`}
                  data-testid="quarantine-release"
                  onClick={() =>
                    void run(
                      `r-${r.id}`,
                      async () => {
                        await quarantine.release(r.id);
                        await list.reload();
                      },
                      t('qReleased'),
                    )
                  }
                >
                  {t('qRelease')}
                </Button>
                <Popconfirm
                  title={t('qDeleteConfirm')}
                  okButtonProps={{ danger: true }}
                  onConfirm={() =>
                    void run(`d-${r.id}`, async () => {
                      await quarantine.remove(r.id);
                      await list.reload();
                    })
                  }
                >
                  <Button size="small" type="link" danger loading={busy === `d-${r.id}`}>
                    {t('qDelete')}
                  </Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
    </Card>
  );
}

type SpamForm = Omit<AntispamSettings, 'allow' | 'block'> & { allow: string; block: string };
const lines = (s: string) =>
  s
    .split(/[\n,;]+/)
    .map((x) => x.trim())
    .filter(Boolean);

function SpamPolicy() {
  const t = useT();
  const { t: common } = useI18n();
  const data = useAsync(policies.antispam, []);
  const { busy, run } = useAction();
  if (data.error) return <LoadError error={data.error} onRetry={() => void data.reload()} />;
  if (!data.data) return <Card loading />;
  const actions = (['refuse', 'junk'] as const).map((a) => ({ value: a, label: t(`act_${a}`) }));
  const v = data.data;
  return (
    <Card style={{ maxWidth: 720 }}>
      <Form<SpamForm>
        layout="vertical"
        initialValues={{ ...v, allow: v.allow.join('\n'), block: v.block.join('\n') }}
        onFinish={(f) =>
          void run(
            'save',
            async () =>
              data.setData(
                await policies.saveAntispam({ ...v, ...f, allow: lines(f.allow), block: lines(f.block) }),
              ),
            common('saved'),
          )
        }
      >
        <Space size="large">
          <Form.Item name="scoringEnabled" label={t('scoringEnabled')} valuePropName="checked">
            <Switch />
          </Form.Item>
          <Form.Item name="threshold" label={t('spamThreshold')}>
            <InputNumber min={1} max={100} step={0.5} />
          </Form.Item>
          <Form.Item name="blockAction" label={t('blockAction')}>
            <Select options={actions} style={{ width: 160 }} />
          </Form.Item>
          <Form.Item name="dmarcRejectAction" label={t('dmarcRejectAction')}>
            <Select options={actions} style={{ width: 160 }} />
          </Form.Item>
        </Space>
        <Form.Item name="allow" label={t('allowList')} extra={t('listHint')}>
          <Input.TextArea rows={4} placeholder="partner.example" />
        </Form.Item>
        <Form.Item name="block" label={t('blockList')}>
          <Input.TextArea rows={4} placeholder="@spam.example" />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy === 'save'}>
          {common('save')}
        </Button>
      </Form>
    </Card>
  );
}

import { ReloadOutlined } from '@ant-design/icons';
import {
  Alert,
  Button,
  Card,
  Col,
  Form,
  Input,
  InputNumber,
  Progress,
  Row,
  Select,
  Space,
  Statistic,
  Switch,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useEffect, useState } from 'react';
import { ADDRESS_TEMPLATE_LABELS, AddressTemplateKind } from '../../../shared/directory/address-template';
import type { SyncPolicy } from '../../../shared/directory/sync-policy';
import type { SyncRunDto } from '../../../shared/directory/sync';
import { formatDateTime, useI18n } from '../../common/i18n';
import { Pair } from '../components/pair';
import { DirectoryEvents } from './directory-events';
import { LoadError, RUN_STATUS_COLOR, runStatusText } from '../components/status';
import { sync } from '../endpoints';
import { useAction, useAsync } from '../hooks';
import { useT } from '../i18n';

const COUNT_KEYS = [
  'membersCreated',
  'membersUpdated',
  'membersMoved',
  'membersSuspended',
  'membersReactivated',
  'departmentsCreated',
  'departmentsUpdated',
  'departmentsRemoved',
] as const;

function countsText(r: SyncRunDto): string {
  if (!r.counts) return '—';
  const c = r.counts;
  const parts = [
    c.membersCreated && `+${c.membersCreated}`,
    c.membersUpdated && `~${c.membersUpdated}`,
    c.membersMoved && `→${c.membersMoved}`,
    c.membersSuspended && `−${c.membersSuspended}`,
    c.membersReactivated && `↺${c.membersReactivated}`,
  ].filter(Boolean);
  return parts.join('  ') || '0';
}

function duration(r: SyncRunDto): string {
  if (!r.finishedAt) return '—';
  const s = Math.max(0, Math.round((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

const KIND_COLOR: Record<string, string> = {
  create: 'green',
  suspend: 'red',
  remove: 'red',
  update: 'blue',
  move: 'purple',
  reactivate: 'cyan',
};

/** The plan of one run (dry run or held) as a diff table; a held run can be confirmed here. */
function RunPlan({ id, onConfirmed }: { id: string; onConfirmed(): void }) {
  const t = useT();
  const run = useAsync(() => sync.run(id), [id]);
  const { busy, run: act } = useAction();
  const r = run.data;
  useEffect(() => {
    if (r?.status !== 'running') return;
    const timer = setTimeout(() => void run.reload(), 1000);
    return () => clearTimeout(timer);
  }, [r, run]);
  if (run.error) return <LoadError error={run.error} onRetry={() => void run.reload()} />;
  if (!r) return <Card loading />;
  return (
    <Card
      title={`${t('plan')} · ${r.dryRun ? t('out_dry_run') : runStatusText(t, r)}`}
      extra={<Tag color={RUN_STATUS_COLOR[r.status]}>{runStatusText(t, r)}</Tag>}
      data-testid="sync-plan"
    >
      {r.status === 'running' && (
        <Progress
          percent={r.progressTotal ? Math.round((r.progressDone / r.progressTotal) * 100) : 0}
          status="active"
        />
      )}
      {r.status === 'held' && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 16 }}
          title={t('confirmRunHint', { n: r.counts?.membersSuspended ?? 0, limit: r.suspensionLimit ?? 0 })}
          action={
            <Button
              type="primary"
              danger
              loading={busy === 'confirm'}
              data-testid="confirm-run"
              onClick={() =>
                void act('confirm', () => sync.confirm(r.id), t('confirmRun')).then(
                  (ok) => ok && onConfirmed(),
                )
              }
            >
              {t('confirmRun')}
            </Button>
          }
        />
      )}
      {r.counts && (
        <Row gutter={[8, 8]} style={{ marginBottom: 16 }}>
          {COUNT_KEYS.map((k) => (
            <Col span={6} key={k}>
              <Statistic
                title={t(`c_${k}`)}
                value={r.counts![k]}
                styles={{ content: { fontSize: 18, color: r.counts![k] ? undefined : '#bfbfbf' } }}
              />
            </Col>
          ))}
        </Row>
      )}
      {r.error && <Alert type="error" title={r.error} style={{ marginBottom: 16 }} />}
      <Table
        size="small"
        rowKey={(c, i) => `${c.kind}-${c.target}-${i}`}
        dataSource={r.changes ?? []}
        locale={{ emptyText: t('planEmpty') }}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        columns={[
          {
            title: t('change'),
            dataIndex: 'kind',
            width: 160,
            render: (k: string) => (
              <Tag color={KIND_COLOR[k.split('_').pop() ?? ''] ?? KIND_COLOR[k.split('_')[0] ?? '']}>{k}</Tag>
            ),
          },
          { title: t('name'), dataIndex: 'name' },
          { title: t('target'), dataIndex: 'target' },
          { title: t('detail'), dataIndex: 'detail', render: (v?: string) => v ?? '' },
        ]}
      />
    </Card>
  );
}

function PolicyForm() {
  const t = useT();
  const { lang, t: tc } = useI18n();
  const policy = useAsync(sync.policy, []);
  const { busy, run } = useAction();
  const [form] = Form.useForm<SyncPolicy>();
  if (policy.error) return <LoadError error={policy.error} onRetry={() => void policy.reload()} />;
  if (!policy.data) return <Card loading title={t('policy')} />;
  return (
    <Card title={t('policy')} data-testid="sync-policy">
      <Form<SyncPolicy>
        form={form}
        layout="vertical"
        initialValues={policy.data}
        onFinish={(v) =>
          void run(
            'policy',
            async () => policy.setData(await sync.savePolicy({ ...policy.data!, ...v })),
            tc('saved'),
          )
        }
      >
        <Form.Item name={['addressTemplate', 'kind']} label={t('addressTemplate')}>
          <Select
            options={AddressTemplateKind.options.map((k) => ({
              value: k,
              label: `${lang === 'en' ? ADDRESS_TEMPLATE_LABELS[k].en : ADDRESS_TEMPLATE_LABELS[k].zh} (${ADDRESS_TEMPLATE_LABELS[k].example})`,
            }))}
          />
        </Form.Item>
        <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
          {t('thresholdHint')}
        </Typography.Paragraph>
        <Pair>
          <Form.Item name="suspendThresholdPercent" label={t('suspendThresholdPercent')}>
            <InputNumber min={0} max={100} suffix="%" style={{ width: '100%' }} />
          </Form.Item>
          <Form.Item name="suspendThresholdFloor" label={t('suspendThresholdFloor')}>
            <InputNumber min={0} style={{ width: '100%' }} />
          </Form.Item>
        </Pair>
        <Pair>
          <Form.Item name="retentionDays" label={t('retentionDays')}>
            <InputNumber min={1} max={3650} style={{ width: '100%' }} />
          </Form.Item>
          <Form.Item name="nightlyCron" label={t('nightlyCron')}>
            <Input style={{ width: '100%' }} />
          </Form.Item>
        </Pair>
        <Pair>
          <Form.Item name="autoReplyOnLeave" label={t('autoReplyOnLeave')} valuePropName="checked">
            <Switch />
          </Form.Item>
          <Form.Item
            name="forwardToManagerOnLeave"
            label={t('forwardToManagerOnLeave')}
            valuePropName="checked"
          >
            <Switch />
          </Form.Item>
        </Pair>
        <Button type="primary" htmlType="submit" loading={busy === 'policy'}>
          {tc('save')}
        </Button>
      </Form>
    </Card>
  );
}

export default function Sync() {
  const t = useT();
  const { lang } = useI18n();
  const runs = useAsync(sync.runs, []);
  const { busy, run } = useAction();
  const [selected, setSelected] = useState<string | null>(null);
  const running = runs.data?.some((r) => r.status === 'running');
  useEffect(() => {
    if (!running) return;
    const timer = setTimeout(() => void runs.reload(), 1500);
    return () => clearTimeout(timer);
  }, [running, runs]);
  const start = (dryRun: boolean) =>
    void run(dryRun ? 'dry' : 'run', async () => {
      const { runId } = await sync.start(dryRun);
      setSelected(runId);
      await runs.reload();
    });
  return (
    <div data-testid="sync-page">
      <div className="page-head">
        <Typography.Title level={4}>{t('menuSync')}</Typography.Title>
        <Space>
          <Button icon={<ReloadOutlined />} onClick={() => void runs.reload()}>
            {t('refresh')}
          </Button>
          <Button
            onClick={() => start(true)}
            loading={busy === 'dry'}
            title={t('dryRunHint')}
            data-testid="dry-run"
          >
            {t('dryRun')}
          </Button>
          <Button type="primary" onClick={() => start(false)} loading={busy === 'run'} data-testid="run-now">
            {t('runNow')}
          </Button>
        </Space>
      </div>
      <Row gutter={[16, 16]}>
        <Col span={16}>
          <Space orientation="vertical" style={{ width: '100%' }} size={16}>
            <Card title={t('recentRuns')}>
              {runs.error ? <LoadError error={runs.error} onRetry={() => void runs.reload()} /> : null}
              <Table<SyncRunDto>
                size="small"
                rowKey="id"
                loading={runs.loading && !runs.data}
                dataSource={runs.data ?? []}
                pagination={{ pageSize: 10, hideOnSinglePage: true }}
                rowClassName={(r) => (r.id === selected ? 'ant-table-row-selected' : '')}
                onRow={(r) => ({ onClick: () => setSelected(r.id), style: { cursor: 'pointer' } })}
                columns={[
                  {
                    title: t('startedAt'),
                    dataIndex: 'startedAt',
                    render: (v: string) => formatDateTime(v, lang),
                  },
                  {
                    title: t('trigger'),
                    dataIndex: 'trigger',
                    render: (v: SyncRunDto['trigger']) => t(`trig_${v}`),
                  },
                  {
                    title: t('outcome'),
                    key: 'status',
                    render: (_, r) => (
                      <Space size={4}>
                        <Tag color={RUN_STATUS_COLOR[r.status]}>{runStatusText(t, r)}</Tag>
                        {r.dryRun && r.outcome !== 'dry_run' && <Tag>{t('out_dry_run')}</Tag>}
                      </Space>
                    ),
                  },
                  {
                    title: `${t('progress')} / ${t('duration')}`,
                    key: 'progress',
                    width: 160,
                    render: (_, r) =>
                      r.status === 'running' ? (
                        <Progress
                          size="small"
                          percent={r.progressTotal ? Math.round((r.progressDone / r.progressTotal) * 100) : 0}
                        />
                      ) : (
                        duration(r)
                      ),
                  },
                  { title: t('changes'), key: 'counts', render: (_, r) => countsText(r) },
                ]}
              />
            </Card>
            {selected && <RunPlan key={selected} id={selected} onConfirmed={() => void runs.reload()} />}
          </Space>
        </Col>
        <Col span={8}>
          <PolicyForm />
        </Col>
        <Col span={24}>
          <DirectoryEvents />
        </Col>
      </Row>
    </div>
  );
}

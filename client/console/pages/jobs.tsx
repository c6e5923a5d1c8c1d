import { PlayCircleOutlined, ReloadOutlined } from '@ant-design/icons';
import { Button, Card, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { useEffect } from 'react';
import type { z } from 'zod';
import type { JobRunDto, RegisteredJobDto } from '../../../shared/rules/api';

type Job = z.infer<typeof RegisteredJobDto>;
import { formatDateTime, useI18n } from '../../common/i18n';
import { LoadError, RUN_STATUS_COLOR } from '../components/status';
import { jobs } from '../endpoints';
import { useAction, useAsync } from '../hooks';
import { useT } from '../i18n';

export default function Jobs() {
  const t = useT();
  const { lang } = useI18n();
  const list = useAsync(jobs.list, []);
  const { busy, run } = useAction();
  const running = list.data?.some((j) => j.running);
  useEffect(() => {
    if (!running) return;
    const timer = setTimeout(() => void list.reload(), 1500);
    return () => clearTimeout(timer);
  }, [running, list]);
  return (
    <div data-testid="jobs-page">
      <div className="page-head">
        <Typography.Title level={4}>{t('menuJobs')}</Typography.Title>
        <Button icon={<ReloadOutlined />} onClick={() => void list.reload()}>
          {t('refresh')}
        </Button>
      </div>
      <Card>
        {list.error ? <LoadError error={list.error} onRetry={() => void list.reload()} /> : null}
        <Table<Job>
          rowKey="name"
          size="middle"
          loading={list.loading && !list.data}
          dataSource={list.data ?? []}
          pagination={false}
          columns={[
            {
              title: t('job'),
              key: 'name',
              render: (_, j) => (
                <Space orientation="vertical" size={0}>
                  <Typography.Text code>{j.name}</Typography.Text>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {j.description}
                  </Typography.Text>
                </Space>
              ),
            },
            {
              title: t('schedule'),
              key: 'cron',
              width: 150,
              render: (_, j) => (
                <Space orientation="vertical" size={0}>
                  <Typography.Text>{j.cron ?? '—'}</Typography.Text>
                  <Tag>{t(`scope_${j.scope}`)}</Tag>
                </Space>
              ),
            },
            {
              title: t('lastRuns'),
              key: 'runs',
              width: 300,
              render: (_, j) => (
                <Space size={4} wrap>
                  {j.lastRuns.length === 0 && (
                    <Typography.Text type="secondary">{t('never')}</Typography.Text>
                  )}
                  {j.lastRuns.map((r: JobRunDto) => (
                    <Tooltip
                      key={r.id}
                      title={`${formatDateTime(r.startedAt, lang)} · ${r.trigger}${r.error ? ` · ${r.error}` : ''}`}
                    >
                      <Tag color={RUN_STATUS_COLOR[r.status]}>{t(`rs_${r.status}`)}</Tag>
                    </Tooltip>
                  ))}
                </Space>
              ),
            },
            {
              title: t('actions'),
              key: 'run',
              width: 120,
              render: (_, j) =>
                j.scope === 'tenant' ? (
                  <Button
                    size="small"
                    icon={<PlayCircleOutlined />}
                    loading={busy === j.name || j.running}
                    data-testid={`run-${j.name}`}
                    onClick={() =>
                      void run(j.name, () => jobs.run(j.name), t('jobStarted')).then(() => list.reload())
                    }
                  >
                    {t('runJob')}
                  </Button>
                ) : null,
            },
          ]}
        />
      </Card>
    </div>
  );
}

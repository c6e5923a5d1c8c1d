import { Button, Card, Col, Empty, Progress, Row, Space, Statistic, Tag, Typography } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import type { StatMetric } from '../../../shared/stats';
import { formatDateTime, useI18n } from '../../common/i18n';
import { Legend, SeriesChart } from '../components/series-chart';
import { formatBytes, LoadError, RUN_STATUS_COLOR, runStatusText } from '../components/status';
import { stats, sync } from '../endpoints';
import { DepartmentStorageCard, QueueCard, TopSendersCard } from './dashboard-breakdown';
import { go, useAsync } from '../hooks';
import { useT } from '../i18n';

const DAYS = 30;

/** YYYY-MM-DD in the organization's time zone (the stats are rolled up per Shanghai day). */
function shanghaiDay(d: Date): string {
  return d.toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
}

async function load() {
  const now = new Date();
  const from = shanghaiDay(new Date(now.getTime() - (DAYS - 1) * 86_400_000));
  const [series, runs, breakdown] = await Promise.all([
    stats.series(from, shanghaiDay(now)),
    sync.runs(),
    stats.breakdown(from, shanghaiDay(now)),
  ]);
  return { series, runs, breakdown, queued: breakdown.queue.queued, failed: breakdown.queue.failed };
}

export default function Dashboard() {
  const t = useT();
  const { lang } = useI18n();
  const data = useAsync(load, []);
  if (data.error) return <LoadError error={data.error} onRetry={() => void data.reload()} />;
  const s = data.data?.series;
  const days: string[] = [];
  if (s)
    for (let d = Date.parse(s.from); d <= Date.parse(s.to); d += 86_400_000)
      days.push(new Date(d).toISOString().slice(0, 10));
  const values = (m: StatMetric) => {
    const byDay = new Map((s?.series.find((x) => x.metric === m)?.points ?? []).map((p) => [p.day, p.value]));
    return days.map((d) => byDay.get(d) ?? 0);
  };
  const last = (m: StatMetric) => {
    const v = values(m);
    for (let i = v.length - 1; i >= 0; i--) if (v[i]) return v[i]!;
    return 0;
  };
  const total = (m: StatMetric) => values(m).reduce((a, b) => a + b, 0);
  const mail = [
    { name: t('received'), color: '#1677ff', values: values('mail.received') },
    { name: t('sent'), color: '#52c41a', values: values('mail.sent') },
    { name: t('junk'), color: '#faad14', values: values('mail.junk') },
  ];
  const hasMail = mail.some((m) => m.values.some((v) => v > 0));
  const traffic = [
    { name: t('dbInternal'), color: '#13c2c2', values: values('mail.internal') },
    { name: t('dbExternalIn'), color: '#2f54eb', values: values('mail.external_in') },
    { name: t('dbExternalOut'), color: '#fa8c16', values: values('mail.external_out') },
  ];
  const hasTraffic = traffic.some((m) => m.values.some((v) => v > 0));
  const b = data.data?.breakdown;
  const lastRun = data.data?.runs[0];
  const active = last('mailboxes.active');
  const departed = last('mailboxes.suspended');
  return (
    <div data-testid="dashboard">
      <div className="page-head">
        <Typography.Title level={4}>{t('menuDashboard')}</Typography.Title>
        <Button icon={<ReloadOutlined />} onClick={() => void data.reload()} loading={data.loading}>
          {t('refresh')}
        </Button>
      </div>
      <Row gutter={[16, 16]}>
        <Col span={6}>
          <Card loading={data.loading && !s}>
            <Statistic title={`${t('received')} · ${t('last30Days')}`} value={total('mail.received')} />
          </Card>
        </Col>
        <Col span={6}>
          <Card loading={data.loading && !s}>
            <Statistic title={`${t('sent')} · ${t('last30Days')}`} value={total('mail.sent')} />
          </Card>
        </Col>
        <Col span={6}>
          <Card loading={data.loading && !s}>
            <Statistic title={t('storageUsed')} value={formatBytes(last('storage.used_bytes'))} />
          </Card>
        </Col>
        <Col span={6}>
          <Card loading={data.loading && !s} data-testid="queue-card">
            <Statistic title={t('queueDepth')} value={data.data?.queued ?? 0} />
            {!!data.data?.failed && (
              <Tag color="error" style={{ marginTop: 4 }}>
                {t('queueFailed')}: {data.data.failed}
              </Tag>
            )}
          </Card>
        </Col>
        <Col span={16}>
          <Card
            title={t('mailPerDay')}
            extra={<Legend series={mail} />}
            loading={data.loading && !s}
            data-testid="mail-chart-card"
          >
            {hasMail ? (
              <SeriesChart days={days} series={mail} testId="mail-chart" />
            ) : (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('noData')} style={{ height: 188 }} />
            )}
          </Card>
        </Col>
        <Col span={8}>
          <Card title={t('activeMailboxes')} loading={data.loading && !s} style={{ height: '100%' }}>
            <Space orientation="vertical" style={{ width: '100%' }} size="middle">
              <Statistic value={active} suffix={departed ? ` / ${active + departed}` : undefined} />
              <Progress
                percent={active + departed ? Math.round((active / (active + departed)) * 100) : 100}
                strokeColor="#52c41a"
                railColor="#faad14"
                showInfo={false}
              />
              <Legend
                series={[
                  { name: `${t('activeMailboxes')} ${active}`, color: '#52c41a' },
                  { name: `${t('departedMailboxes')} ${departed}`, color: '#faad14' },
                ]}
              />
            </Space>
          </Card>
        </Col>
        <Col span={16}>
          <Card
            title={t('dbTraffic')}
            extra={<Legend series={traffic} />}
            loading={data.loading && !s}
            data-testid="traffic-chart-card"
          >
            {hasTraffic ? (
              <SeriesChart days={days} series={traffic} testId="traffic-chart" height={200} />
            ) : (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('noData')} style={{ height: 168 }} />
            )}
          </Card>
        </Col>
        <Col span={8}>
          <TopSendersCard loading={data.loading && !b} senders={b?.topSenders ?? []} />
        </Col>
        <Col span={16}>
          <Card title={t('storagePerDay')} loading={data.loading && !s}>
            <SeriesChart
              days={days}
              kind="line"
              height={180}
              format={formatBytes}
              series={[{ name: t('storageUsed'), color: '#722ed1', values: values('storage.used_bytes') }]}
            />
          </Card>
        </Col>
        <Col span={8}>
          <Card
            title={t('syncHealth')}
            loading={data.loading && !data.data}
            extra={<a onClick={() => go('sync')}>{t('details')}</a>}
            style={{ height: '100%' }}
            data-testid="sync-health"
          >
            {lastRun ? (
              <Space orientation="vertical">
                <Tag color={RUN_STATUS_COLOR[lastRun.status]}>{runStatusText(t, lastRun)}</Tag>
                <Typography.Text type="secondary">
                  {t('lastRun')}: {formatDateTime(lastRun.startedAt, lang)} · {t(`trig_${lastRun.trigger}`)}
                </Typography.Text>
                {lastRun.error && <Typography.Text type="danger">{lastRun.error}</Typography.Text>}
              </Space>
            ) : (
              <Typography.Text type="secondary">{t('never')}</Typography.Text>
            )}
          </Card>
        </Col>
        <Col span={16}>
          <DepartmentStorageCard loading={data.loading && !b} departments={b?.storageByDepartment ?? []} />
        </Col>
        <Col span={8}>
          <QueueCard loading={data.loading && !b} queue={b?.queue} />
        </Col>
      </Row>
    </div>
  );
}

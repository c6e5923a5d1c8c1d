import { Card, Empty, Progress, Space, Statistic, Tag, Typography } from 'antd';
import type { BreakdownDto } from '../../../shared/dashboard/breakdown';
import { formatBytes } from '../components/status';
import { go } from '../hooks';
import { useT } from '../i18n';

// Inline styles: the shared stylesheet belongs to the console shell.
const ROW = { display: 'flex', alignItems: 'center', gap: 10, height: 24 } as const;
const NO = { width: 18, color: 'rgba(0,0,0,0.45)', fontVariantNumeric: 'tabular-nums' } as const;
const NAME = { width: 96, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' } as const;
const VALUE = { minWidth: 32, textAlign: 'right', fontVariantNumeric: 'tabular-nums' } as const;

/** Who sent most in the period: a ranked list with a bar per sender and the external share. */
export function TopSendersCard(props: { loading: boolean; senders: BreakdownDto['topSenders'] }) {
  const t = useT();
  const max = Math.max(1, ...props.senders.map((s) => s.messages));
  return (
    <Card
      title={t('dbTopSenders')}
      loading={props.loading}
      style={{ height: '100%' }}
      data-testid="top-senders"
    >
      {props.senders.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('noData')} />
      ) : (
        <Space orientation="vertical" style={{ width: '100%' }} size={6}>
          {props.senders.slice(0, 8).map((s, i) => (
            <div key={s.mailboxId} style={ROW} data-testid="top-sender" data-value={s.messages}>
              <span style={NO}>{i + 1}</span>
              <span style={NAME} title={s.address}>
                {s.name ?? s.address}
              </span>
              <Progress
                percent={(s.messages / max) * 100}
                success={{ percent: (s.external / max) * 100, strokeColor: '#fa8c16' }}
                showInfo={false}
                size="small"
                style={{ flex: 1, margin: 0 }}
              />
              <span style={VALUE} title={t('dbExternalShare', { n: s.external })}>
                {s.messages}
              </span>
            </div>
          ))}
        </Space>
      )}
    </Card>
  );
}

/** Storage by (top-level) department, each with its sub-departments, against their quotas. */
export function DepartmentStorageCard(props: {
  loading: boolean;
  departments: BreakdownDto['storageByDepartment'];
}) {
  const t = useT();
  const shown = props.departments.slice(0, 10);
  const max = Math.max(1, ...shown.map((d) => d.usedBytes));
  return (
    <Card title={t('dbStorageByDept')} loading={props.loading} data-testid="dept-storage">
      {shown.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('noData')} />
      ) : (
        <Space orientation="vertical" style={{ width: '100%' }} size={6}>
          {shown.map((d) => (
            <div key={d.externalId} style={ROW} data-testid="dept-storage-row" data-value={d.usedBytes}>
              <span style={{ ...NAME, width: 140 }} title={d.name}>
                {d.name}
              </span>
              <Progress
                percent={(d.usedBytes / max) * 100}
                strokeColor="#722ed1"
                showInfo={false}
                size="small"
                style={{ flex: 1, margin: 0 }}
              />
              <span style={{ ...VALUE, minWidth: 150 }}>
                {formatBytes(d.usedBytes)}
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {' '}
                  · {t('dbMailboxes', { n: d.mailboxes })}
                </Typography.Text>
              </span>
            </div>
          ))}
        </Space>
      )}
    </Card>
  );
}

/** The outbound queue by state, and the mail held for approval. */
export function QueueCard(props: { loading: boolean; queue: BreakdownDto['queue'] | undefined }) {
  const t = useT();
  const q = props.queue;
  return (
    <Card
      title={t('dbQueueStates')}
      loading={props.loading}
      style={{ height: '100%' }}
      data-testid="queue-states"
      extra={<a onClick={() => go('approvals')}>{t('menuApprovals')}</a>}
    >
      {q ? (
        <Space orientation="vertical" style={{ width: '100%' }}>
          <Space size="large" wrap>
            <Statistic title={t('dbQueued')} value={q.queued} />
            <Statistic
              title={t('dbHeld')}
              value={q.held}
              styles={{ content: { color: q.held ? '#fa8c16' : undefined } }}
            />
          </Space>
          <Space wrap>
            <Tag color="processing">
              {t('dbRetrying')} {q.retrying}
            </Tag>
            <Tag color={q.failed ? 'error' : 'default'}>
              {t('queueFailed')} {q.failed}
            </Tag>
            <Tag color="success">
              {t('dbDelivered')} {q.sent}
            </Tag>
            {q.captured ? (
              <Tag>
                {t('dbCaptured')} {q.captured}
              </Tag>
            ) : null}
          </Space>
        </Space>
      ) : null}
    </Card>
  );
}

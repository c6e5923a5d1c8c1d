import { Alert, Button, Result } from 'antd';
import type { SyncRunDto } from '../../../shared/directory/sync';
import { ApiError } from '../../common/api';
import { useI18n } from '../../common/i18n';
import { useErrorText } from '../hooks';
import type { CT } from '../i18n';

/** A failed load: a 403 says the role may not see it; anything else offers a retry. */
export function LoadError({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  const { t } = useI18n();
  const text = useErrorText();
  if (error instanceof ApiError && error.status === 403)
    return <Result status="403" title="403" subTitle={text(error)} />;
  return (
    <Alert
      type="error"
      showIcon
      title={text(error)}
      action={
        <Button size="small" onClick={onRetry}>
          {t('retry')}
        </Button>
      }
    />
  );
}

export const RUN_STATUS_COLOR: Record<SyncRunDto['status'], string> = {
  running: 'processing',
  succeeded: 'success',
  failed: 'error',
  held: 'warning',
  cancelled: 'default',
};

export function runStatusText(t: CT, r: SyncRunDto): string {
  return r.outcome ? t(`out_${r.outcome}`) : t(`rs_${r.status}`);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

import { Button, DotLoading, ErrorBlock } from 'antd-mobile';
import type { ReactNode } from 'react';
import { useI18n } from '../../common/i18n';
import { errorText } from '../../common/hooks';

export function Loading(props: { label?: string }) {
  const { t } = useI18n();
  return (
    <div className="state-center" role="status" data-testid="loading">
      <DotLoading color="primary" />
      <span className="state-label">{props.label ?? t('loading')}</span>
    </div>
  );
}

export function Failure(props: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  return (
    <ErrorBlock
      status="disconnected"
      title={t('errorGeneric')}
      description={errorText(props.error, t)}
      className="state-block"
    >
      {props.onRetry ? (
        <Button color="primary" fill="outline" size="small" onClick={props.onRetry}>
          {t('retry')}
        </Button>
      ) : null}
    </ErrorBlock>
  );
}

export function Empty(props: { title: string; description?: string; children?: ReactNode }) {
  return (
    <ErrorBlock
      status="empty"
      title={props.title}
      description={props.description ?? ''}
      className="state-block"
    >
      {props.children}
    </ErrorBlock>
  );
}

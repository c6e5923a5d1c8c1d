import { Button, DotLoading, ErrorBlock } from 'antd-mobile';
import type { ReactNode } from 'react';
import { useI18n } from '../../common/i18n';
import { ApiError } from '../../common/api';
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

/** An error in place of content: offline, gone (404, nothing to retry) or anything else (retry). */
export function Failure(props: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  const status = props.error instanceof ApiError ? props.error.status : -1;
  const gone = status === 404;
  const offline = status === 0;
  return (
    <ErrorBlock
      status={gone ? 'empty' : offline ? 'disconnected' : 'default'}
      title={gone ? t('errorNotFound') : offline ? t('errorNetwork') : t('errorGeneric')}
      description={gone || offline ? '' : errorText(props.error, t)}
      className="state-block"
      data-testid="failure"
    >
      {props.onRetry && !gone ? (
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

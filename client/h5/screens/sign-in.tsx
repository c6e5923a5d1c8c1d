import { Avatar, List, NoticeBar, Result, SearchBar, Tag, Toast } from 'antd-mobile';
import { useEffect, useState } from 'react';
import type { ClientConfigDto } from '../../../shared/sandbox';
import {
  listSandboxEmployees,
  loadClientConfig,
  resolveCorpId,
  signInAsSandboxEmployee,
  signInWithDingTalk,
} from '../../common/auth';
import { useI18n } from '../../common/i18n';
import { inDingTalk, setPageTitle } from '../../common/platform';
import { Empty, Failure, Loading } from '../components/states';
import { errorText, useAsync, useDebounced } from '../../common/hooks';

/** Inside DingTalk: silent login-free sign-in. Outside: the sandbox picker, or "open in DingTalk". */
export function SignIn() {
  const { t } = useI18n();
  useEffect(() => setPageTitle(t('signInTitle')), [t]);
  const config = useAsync<ClientConfigDto>(loadClientConfig, []);
  if (inDingTalk()) return <DingTalkSignIn />;
  if (config.loading && !config.data) return <Loading />;
  if (config.error) return <Failure error={config.error} onRetry={config.reload} />;
  if (config.data?.mode === 'sandbox') return <SandboxPicker />;
  return (
    <Result
      className="sign-in-result"
      status="info"
      title={t('productionOutside')}
      description={t('productionOutsideHint')}
    />
  );
}

function DingTalkSignIn() {
  const { t } = useI18n();
  const [error, setError] = useState<unknown>();
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    (async () => {
      const corpId = await resolveCorpId();
      if (!corpId) throw new Error(t('noCorpId'));
      await signInWithDingTalk(corpId);
    })().catch((err) => live && setError(err));
    return () => {
      live = false;
    };
  }, [attempt, t]);
  if (error) return <Failure error={error} onRetry={() => (setError(undefined), setAttempt((n) => n + 1))} />;
  return <Loading label={t('signingIn')} />;
}

function SandboxPicker() {
  const { t } = useI18n();
  const [q, setQ] = useState('');
  const query = useDebounced(q, 200);
  const employees = useAsync(() => listSandboxEmployees(query), [query]);
  const [busy, setBusy] = useState<string | null>(null);
  const pick = async (userid: string) => {
    setBusy(userid);
    try {
      await signInAsSandboxEmployee(userid);
    } catch (err) {
      Toast.show({ icon: 'fail', content: `${t('signInFailed')}: ${errorText(err, t)}` });
      setBusy(null);
    }
  };
  return (
    <div className="page sign-in" data-testid="sandbox-picker">
      <div className="sign-in-head">
        <div className="sign-in-logo">✉</div>
        <div className="sign-in-title">{t('signInTitle')}</div>
      </div>
      <NoticeBar content={t('sandboxHint')} color="info" wrap />
      <div className="sticky-search">
        <SearchBar placeholder={t('sandboxSearch')} value={q} onChange={setQ} />
      </div>
      <div className="page-body">
        {employees.error ? (
          <Failure error={employees.error} onRetry={employees.reload} />
        ) : !employees.data ? (
          <Loading />
        ) : employees.data.length === 0 ? (
          <Empty title={t('sandboxNoEmployees')} />
        ) : (
          <List>
            {employees.data.map((e) => (
              <List.Item
                key={e.userid}
                data-testid="sandbox-employee"
                prefix={<Avatar src="" className="name-avatar" fallback={<span>{e.name.slice(-2)}</span>} />}
                description={[e.title, e.departments.join('、')].filter(Boolean).join(' · ')}
                extra={
                  e.admin ? (
                    <Tag color="primary" fill="outline">
                      {t('sandboxAdmin')}
                    </Tag>
                  ) : null
                }
                onClick={busy ? undefined : () => void pick(e.userid)}
                arrowIcon={busy === e.userid ? false : undefined}
              >
                {e.name}
                {busy === e.userid ? <span className="muted"> · {t('signingIn')}</span> : null}
              </List.Item>
            ))}
          </List>
        )}
      </div>
    </div>
  );
}

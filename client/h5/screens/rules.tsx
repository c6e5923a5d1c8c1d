import { Button, Dialog, List, SwipeAction, Switch, Tag, Toast } from 'antd-mobile';
import { AddOutline, DownOutline, UpOutline } from 'antd-mobile-icons';
import type { RuleDto } from '../../../shared/rules/api';
import { rules } from '../../common/endpoints';
import { useI18n } from '../../common/i18n';
import { Page } from '../components/page';
import { useDepartmentNames } from '../components/department-picker';
import { departmentIdsOf, describeRule } from '../components/rule-text';
import { Empty, Failure, Loading } from '../components/states';
import { errorText, useAsync } from '../../common/hooks';
import { navigate } from '../router';

/** My rules (enable, reorder, edit, delete) and the organization's rules, read-only. */
export default function Rules() {
  const { t, lang } = useI18n();
  const list = useAsync(rules.list, []);
  const deptNames = useDepartmentNames(departmentIdsOf((list.data ?? []).map((r) => r.definition)));
  const mine = (list.data ?? []).filter((r) => !r.readOnly).sort((a, b) => a.position - b.position);
  const org = (list.data ?? []).filter((r) => r.readOnly);

  const attempt = async (fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      Toast.show({ icon: 'fail', content: errorText(err, t) });
      await list.reload();
    }
  };
  const toggle = (r: RuleDto, enabled: boolean) =>
    attempt(async () => {
      const updated = await rules.setEnabled(r.id, enabled);
      list.setData((prev) => (prev ?? []).map((x) => (x.id === r.id ? updated : x)));
    });
  const move = (index: number, delta: number) =>
    attempt(async () => {
      const ids = mine.map((r) => r.id);
      const [id] = ids.splice(index, 1);
      ids.splice(index + delta, 0, id!);
      const next = await rules.reorder(ids);
      list.setData(next);
    });
  const remove = async (r: RuleDto) => {
    if (
      !(await Dialog.confirm({
        content: t('ruleDeleteConfirm', { name: r.name }),
        confirmText: t('delete'),
        cancelText: t('cancel'),
      }))
    )
      return;
    await attempt(async () => {
      await rules.remove(r.id);
      list.setData((prev) => (prev ?? []).filter((x) => x.id !== r.id));
    });
  };

  return (
    <Page
      title={t('rules')}
      back="/me"
      testId="rules"
      right={
        <span
          className="nav-icon"
          role="button"
          aria-label={t('newRule')}
          onClick={() => navigate('/rules/new')}
          data-testid="new-rule"
        >
          <AddOutline />
        </span>
      }
    >
      {list.error && !list.data ? (
        <Failure error={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading />
      ) : (
        <>
          {mine.length === 0 ? (
            <Empty title={t('rulesEmpty')} description={t('rulesEmptyHint')}>
              <Button color="primary" onClick={() => navigate('/rules/new')}>
                {t('newRule')}
              </Button>
            </Empty>
          ) : (
            <List header={t('myRules')}>
              {mine.map((r, i) => (
                <SwipeAction
                  key={r.id}
                  rightActions={[
                    { key: 'delete', text: t('delete'), color: 'danger', onClick: () => void remove(r) },
                  ]}
                >
                  <List.Item
                    data-testid="rule-item"
                    data-name={r.name}
                    onClick={() => navigate(`/rules/${r.id}`)}
                    description={
                      <>
                        <div className="ellipsis-2">{describeRule(r.definition, lang, deptNames)}</div>
                        {r.matchCount > 0 ? (
                          <div className="muted small">{t('matchedTimes', { count: r.matchCount })}</div>
                        ) : null}
                        {r.lastError ? <div className="danger small">{r.lastError}</div> : null}
                      </>
                    }
                    extra={
                      <div className="rule-extra" onClick={(e) => e.stopPropagation()}>
                        <span className="reorder">
                          <Button
                            size="mini"
                            fill="none"
                            disabled={i === 0}
                            onClick={() => void move(i, -1)}
                            aria-label={t('moveUp')}
                          >
                            <UpOutline />
                          </Button>
                          <Button
                            size="mini"
                            fill="none"
                            disabled={i === mine.length - 1}
                            onClick={() => void move(i, 1)}
                            aria-label={t('moveDown')}
                          >
                            <DownOutline />
                          </Button>
                        </span>
                        <Switch checked={r.enabled} onChange={(v) => void toggle(r, v)} />
                      </div>
                    }
                    arrowIcon={false}
                  >
                    {r.name}
                  </List.Item>
                </SwipeAction>
              ))}
            </List>
          )}
          {org.length > 0 ? (
            <List header={t('orgRules')} data-testid="org-rules">
              {org.map((r) => (
                <List.Item
                  key={r.id}
                  description={describeRule(r.definition, lang, deptNames)}
                  extra={<Tag fill="outline">{r.enabled ? t('readOnly') : t('status_cancelled')}</Tag>}
                  arrowIcon={false}
                >
                  {r.name}
                </List.Item>
              ))}
            </List>
          ) : null}
        </>
      )}
    </Page>
  );
}

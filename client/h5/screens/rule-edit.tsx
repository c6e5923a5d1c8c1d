import { Button, Input, List, Switch, Toast } from 'antd-mobile';
import { DeleteOutline } from 'antd-mobile-icons';
import { useEffect, useMemo, useState } from 'react';
import { PreviewRuleBody, SaveRuleBody, type RulePreviewDto } from '../../../shared/rules/api';
import {
  ACTION_LABELS,
  CONDITION_LABELS,
  VALUE_LABELS,
  type ActionType,
  type ConditionField,
  type RuleAction,
  type RuleCondition,
  type RuleMatch,
} from '../../../shared/rules/rule';
import { mail, rules } from '../../common/endpoints';
import { formatListDate, useI18n } from '../../common/i18n';
import { ConditionValue } from '../components/condition-value';
import { Page } from '../components/page';
import { Failure, Loading } from '../components/states';
import { errorText, useAsync, useDebounced } from '../../common/hooks';
import { goBack } from '../router';
import { folderTitle } from './mail-home';

const FIELDS: ConditionField[] = [
  'from',
  'to',
  'cc',
  'subject',
  'body',
  'header',
  'has_attachment',
  'size',
  'sender_scope',
  'sender_department',
  'sent_to_my_group',
  'importance',
];
const ACTIONS: ActionType[] = [
  'move_to_folder',
  'add_label',
  'mark_read',
  'mark_important',
  'forward',
  'auto_reply',
  'delete',
  'stop',
  'notify_dingtalk',
];

function newCondition(field: ConditionField): RuleCondition {
  switch (field) {
    case 'header':
      return { field, name: 'List-Id', operator: 'contains', value: '' };
    case 'has_attachment':
    case 'sent_to_my_group':
      return { field, value: true };
    case 'size':
      return { field, operator: 'gt', bytes: 1_048_576 };
    case 'sender_scope':
      return { field, value: 'external' };
    case 'importance':
      return { field, value: 'high' };
    case 'sender_department':
      return { field, departmentId: '' };
    default:
      return { field, operator: 'contains', value: '' };
  }
}

function newAction(type: ActionType): RuleAction {
  switch (type) {
    case 'move_to_folder':
      return { type, folderId: 'role:archive' };
    case 'add_label':
      return { type, label: '' };
    case 'forward':
      return { type, to: '' };
    case 'auto_reply':
      return { type, body: '' };
    default:
      return { type } as RuleAction;
  }
}

/** Create or edit a personal rule, with a live preview of the recent mail it would match. */
export default function RuleEdit(props: { id: string | null }) {
  const { t, lang } = useI18n();
  const k = lang === 'en' ? 'en' : 'zh';
  const existing = useAsync(
    async () => (props.id ? ((await rules.list()).find((r) => r.id === props.id) ?? null) : null),
    [props.id],
  );
  const folders = useAsync(mail.folders, []);
  const [name, setName] = useState('');
  const [enabled, setEnabled] = useState(true);
  const [match, setMatch] = useState<RuleMatch>('all');
  const [conditions, setConditions] = useState<RuleCondition[]>([newCondition('subject')]);
  const [actions, setActions] = useState<RuleAction[]>([newAction('move_to_folder')]);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    const r = existing.data;
    if (!r) return;
    setName(r.name);
    setEnabled(r.enabled);
    setMatch(r.definition.match);
    setConditions(r.definition.conditions);
    setActions(r.definition.actions);
  }, [existing.data]);

  const definition = useMemo(() => ({ match, conditions, actions }), [match, conditions, actions]);
  const previewInput = useDebounced(definition, 400);
  const previewBody = PreviewRuleBody.safeParse({ definition: { ...previewInput, actions: [] } });
  const preview = useAsync<RulePreviewDto | null>(
    () => (previewBody.success ? rules.preview(previewBody.data.definition) : Promise.resolve(null)),
    [JSON.stringify(previewInput)],
  );

  const setCondition = (i: number, c: RuleCondition) =>
    setConditions((list) => list.map((x, j) => (j === i ? c : x)));
  const setAction = (i: number, a: RuleAction) => setActions((list) => list.map((x, j) => (j === i ? a : x)));

  const save = async () => {
    const body = SaveRuleBody.safeParse({ name, enabled, definition });
    if (!body.success) {
      const issue = body.error.issues[0];
      Toast.show({ content: `${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim() });
      return;
    }
    setSaving(true);
    try {
      if (props.id) await rules.update(props.id, body.data);
      else await rules.create(body.data);
      Toast.show({ icon: 'success', content: t('ruleSaved') });
      goBack('/rules');
    } catch (err) {
      Toast.show({ icon: 'fail', content: errorText(err, t) });
    } finally {
      setSaving(false);
    }
  };

  const title = props.id ? t('editRule') : t('newRule');
  if (existing.error)
    return (
      <Page title={title} back="/rules">
        <Failure error={existing.error} onRetry={existing.reload} />
      </Page>
    );
  if (existing.loading && props.id)
    return (
      <Page title={title} back="/rules">
        <Loading />
      </Page>
    );
  const folderOptions = [
    ...(folders.data ?? [])
      .filter((f) => f.role !== 'drafts' && f.role !== 'scheduled' && f.role !== 'sent')
      .map((f) => ({
        value: f.role ? `role:${f.role}` : f.id,
        label: folderTitle(f, t),
      })),
  ];
  return (
    <Page
      title={title}
      back="/rules"
      testId="rule-edit"
      right={
        <Button
          size="small"
          color="primary"
          loading={saving}
          onClick={() => void save()}
          data-testid="save-rule"
        >
          {t('save')}
        </Button>
      }
    >
      <List>
        <List.Item prefix={<span className="rule-name-label">{t('ruleName')}</span>}>
          <Input
            placeholder={t('ruleNamePlaceholder')}
            value={name}
            onChange={setName}
            data-testid="rule-name"
            aria-label={t('ruleName')}
          />
        </List.Item>
        <List.Item extra={<Switch checked={enabled} onChange={setEnabled} />}>{t('ruleEnabled')}</List.Item>
      </List>
      <List
        header={
          <span>
            {t('ruleWhen')}{' '}
            <select
              className="inline-select"
              value={match}
              onChange={(e) => setMatch(e.target.value as RuleMatch)}
            >
              <option value="all">{VALUE_LABELS.all[k]}</option>
              <option value="any">{VALUE_LABELS.any[k]}</option>
            </select>
          </span>
        }
      >
        {conditions.map((c, i) => (
          <List.Item key={i} arrowIcon={false} data-testid="rule-condition">
            <div className="rule-row">
              <select
                value={c.field}
                onChange={(e) => setCondition(i, newCondition(e.target.value as ConditionField))}
                data-testid="condition-field"
              >
                {FIELDS.map((f) => (
                  <option key={f} value={f}>
                    {CONDITION_LABELS[f][k]}
                  </option>
                ))}
              </select>
              <ConditionValue c={c} k={k} onChange={(next) => setCondition(i, next)} />
              {conditions.length > 1 ? (
                <DeleteOutline
                  className="row-delete"
                  onClick={() => setConditions((l) => l.filter((_, j) => j !== i))}
                />
              ) : null}
            </div>
          </List.Item>
        ))}
        <List.Item
          arrowIcon={false}
          onClick={() => setConditions((l) => [...l, newCondition('from')])}
          className="add-row"
        >
          + {t('addCondition')}
        </List.Item>
      </List>
      <List header={t('ruleActions')}>
        {actions.map((a, i) => (
          <List.Item key={i} arrowIcon={false} data-testid="rule-action">
            <div className="rule-row">
              <select
                value={a.type}
                onChange={(e) => setAction(i, newAction(e.target.value as ActionType))}
                data-testid="action-type"
              >
                {ACTIONS.map((type) => (
                  <option key={type} value={type}>
                    {ACTION_LABELS[type][k]}
                  </option>
                ))}
              </select>
              {a.type === 'move_to_folder' ? (
                <select
                  value={a.folderId}
                  onChange={(e) => setAction(i, { ...a, folderId: e.target.value })}
                  data-testid="action-folder"
                >
                  {folderOptions.map((o) => (
                    <option key={o.value} value={o.value}>
                      {o.label}
                    </option>
                  ))}
                </select>
              ) : a.type === 'add_label' ? (
                <Input
                  placeholder={t('label')}
                  value={a.label}
                  onChange={(label) => setAction(i, { ...a, label })}
                  data-testid="action-label"
                />
              ) : a.type === 'forward' ? (
                <Input
                  placeholder={t('forwardTo')}
                  value={a.to}
                  onChange={(to) => setAction(i, { ...a, to })}
                />
              ) : a.type === 'auto_reply' ? (
                <Input
                  placeholder={t('replyText')}
                  value={a.body}
                  onChange={(body) => setAction(i, { ...a, body })}
                />
              ) : null}
              {actions.length > 1 ? (
                <DeleteOutline
                  className="row-delete"
                  onClick={() => setActions((l) => l.filter((_, j) => j !== i))}
                />
              ) : null}
            </div>
          </List.Item>
        ))}
        <List.Item
          arrowIcon={false}
          onClick={() => setActions((l) => [...l, newAction('mark_read')])}
          className="add-row"
        >
          + {t('addAction')}
        </List.Item>
      </List>
      <List header={t('rulePreview')} data-testid="rule-preview">
        {!previewBody.success ? (
          <List.Item arrowIcon={false}>
            <span className="muted">{t('rulePreviewInvalid')}</span>
          </List.Item>
        ) : preview.error ? (
          <List.Item arrowIcon={false}>
            <span className="danger">{errorText(preview.error, t)}</span>
          </List.Item>
        ) : !preview.data ? (
          <Loading />
        ) : preview.data.count === 0 ? (
          <List.Item arrowIcon={false}>
            <span className="muted" data-testid="preview-none">
              {t('rulePreviewNone')}
            </span>
          </List.Item>
        ) : (
          <>
            <List.Item arrowIcon={false}>
              <span className="muted" data-testid="preview-count">
                {t('rulePreviewCount', {
                  count: preview.data.count,
                  examined: preview.data.examined,
                  days: preview.data.days,
                })}
              </span>
            </List.Item>
            {preview.data.sample.map((m) => (
              <List.Item
                key={m.id}
                arrowIcon={false}
                description={m.fromName || m.fromAddress}
                extra={<span className="small muted">{formatListDate(m.receivedAt, lang)}</span>}
              >
                {m.subject || t('noSubject')}
              </List.Item>
            ))}
          </>
        )}
      </List>
    </Page>
  );
}

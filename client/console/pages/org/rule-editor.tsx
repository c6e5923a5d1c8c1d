import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import {
  Button,
  Form,
  Input,
  InputNumber,
  Modal,
  Radio,
  Select,
  Space,
  Switch,
  TreeSelect,
  Typography,
} from 'antd';
import { useMemo, useState } from 'react';
import type { DepartmentNodeDto } from '../../../../shared/mailboxes/group-admin';
import { SaveOrgRuleBody, type RuleDto } from '../../../../shared/rules/api';
import {
  ACTION_LABELS,
  CONDITION_LABELS,
  SIZE_OPERATOR_LABELS,
  TEXT_OPERATOR_LABELS,
  TEXT_OPERATORS,
  VALUE_LABELS,
  type ActionType,
  type ConditionField,
  type RuleAction,
  type RuleCondition,
  type RuleMatch,
} from '../../../../shared/rules/rule';
import { useI18n } from '../../../common/i18n';
import { orgRules } from '../../endpoints';
import { useAction } from '../../hooks';
import { useT } from '../../i18n';
import { buildDepartmentTree } from './department-tree';

// "sent to a group I am in" and DingTalk notices are personal: not offered for organization rules.
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
  'importance',
];
const ACTIONS: ActionType[] = [
  'move_to_folder',
  'add_label',
  'mark_read',
  'mark_important',
  'forward',
  'delete',
  'stop',
];
const FOLDER_ROLES = ['inbox', 'archive', 'junk', 'trash'] as const;

function newCondition(field: ConditionField): RuleCondition {
  switch (field) {
    case 'header':
      return { field, name: 'list-id', operator: 'contains', value: '' };
    case 'has_attachment':
    case 'sent_to_my_group':
      return { field, value: true };
    case 'size':
      return { field, operator: 'gt', bytes: 5 * 1_048_576 };
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

interface Draft {
  name: string;
  enabled: boolean;
  departmentIds: string[];
  match: RuleMatch;
  conditions: RuleCondition[];
  actions: RuleAction[];
}

/** Create or edit an organization rule: target departments from the tree, conditions, actions. */
export function RuleEditor({
  rule,
  departments,
  onClose,
  onSaved,
}: {
  rule: RuleDto | null;
  departments: DepartmentNodeDto[];
  onClose: () => void;
  onSaved: () => void;
}) {
  const t = useT();
  const { lang, t: tc } = useI18n();
  const k = lang === 'en' ? 'en' : 'zh';
  const treeData = useMemo(() => buildDepartmentTree(departments), [departments]);
  const { busy, run } = useAction();
  const [problem, setProblem] = useState<string | null>(null);
  const [d, setD] = useState<Draft>(() =>
    rule
      ? {
          name: rule.name,
          enabled: rule.enabled,
          departmentIds: rule.departmentIds,
          match: rule.definition.match,
          conditions: rule.definition.conditions,
          actions: rule.definition.actions,
        }
      : {
          name: '',
          enabled: true,
          departmentIds: [],
          match: 'all',
          conditions: [newCondition('subject')],
          actions: [newAction('move_to_folder')],
        },
  );
  const setCond = (i: number, c: RuleCondition) =>
    setD((x) => ({ ...x, conditions: x.conditions.map((y, j) => (j === i ? c : y)) }));
  const setAct = (i: number, a: RuleAction) =>
    setD((x) => ({ ...x, actions: x.actions.map((y, j) => (j === i ? a : y)) }));

  const save = () => {
    const body = {
      name: d.name,
      enabled: d.enabled,
      departmentIds: d.departmentIds,
      definition: { match: d.match, conditions: d.conditions, actions: d.actions },
    };
    // The shared schema says what is wrong before the server is asked (same rules as the server).
    const parsed = SaveOrgRuleBody.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      setProblem(`${issue.path.join('.')}: ${issue.message}`);
      return;
    }
    setProblem(null);
    void run(
      'save',
      async () => {
        if (rule) await orgRules.update(rule.id, parsed.data);
        else await orgRules.create(parsed.data);
        onSaved();
      },
      tc('saved'),
    );
  };

  const condRow = (c: RuleCondition, i: number) => (
    <Space key={i} wrap style={{ width: '100%' }} data-testid="rule-condition">
      <Select<ConditionField>
        value={c.field}
        style={{ width: 200 }}
        onChange={(f) => setCond(i, newCondition(f))}
        options={FIELDS.map((f) => ({ value: f, label: CONDITION_LABELS[f][k] }))}
      />
      {'operator' in c && c.field !== 'size' && (
        <Select
          value={c.operator}
          style={{ width: 150 }}
          onChange={(operator) => setCond(i, { ...c, operator } as RuleCondition)}
          options={TEXT_OPERATORS.map((o) => ({ value: o, label: TEXT_OPERATOR_LABELS[o][k] }))}
        />
      )}
      {c.field === 'header' && (
        <Input
          value={c.name}
          style={{ width: 140 }}
          placeholder="List-Id"
          onChange={(e) => setCond(i, { ...c, name: e.target.value })}
        />
      )}
      {'operator' in c && c.field !== 'size' && (
        <Input
          value={c.value}
          style={{ width: 220 }}
          placeholder={t('conditionValue')}
          onChange={(e) => setCond(i, { ...c, value: e.target.value } as RuleCondition)}
          data-testid="condition-value"
        />
      )}
      {c.field === 'size' && (
        <>
          <Select
            value={c.operator}
            style={{ width: 150 }}
            onChange={(operator) => setCond(i, { ...c, operator })}
            options={(['gt', 'lt'] as const).map((o) => ({
              value: o,
              label: SIZE_OPERATOR_LABELS[o][k].split(/[（(]/)[0],
            }))}
          />
          <InputNumber
            value={Math.round(c.bytes / 1024)}
            min={0}
            suffix="KB"
            style={{ width: 150 }}
            onChange={(v) => setCond(i, { ...c, bytes: Math.max(0, Math.round(Number(v ?? 0) * 1024)) })}
          />
        </>
      )}
      {(c.field === 'has_attachment' || c.field === 'sent_to_my_group') && (
        <Switch checked={c.value} onChange={(value) => setCond(i, { ...c, value })} />
      )}
      {c.field === 'sender_scope' && (
        <Radio.Group
          value={c.value}
          onChange={(e) => setCond(i, { ...c, value: e.target.value as 'internal' | 'external' })}
          options={(['internal', 'external'] as const).map((v) => ({ value: v, label: VALUE_LABELS[v][k] }))}
        />
      )}
      {c.field === 'importance' && (
        <Radio.Group
          value={c.value}
          onChange={(e) => setCond(i, { ...c, value: e.target.value as 'high' | 'normal' | 'low' })}
          options={(['high', 'normal', 'low'] as const).map((v) => ({ value: v, label: VALUE_LABELS[v][k] }))}
        />
      )}
      {c.field === 'sender_department' && (
        <TreeSelect
          value={c.departmentId || undefined}
          style={{ width: 260 }}
          treeData={treeData}
          showSearch={{ treeNodeFilterProp: 'title' }}
          placeholder={t('pickDepartments')}
          onChange={(departmentId: string) => setCond(i, { ...c, departmentId })}
        />
      )}
      <Button
        type="text"
        icon={<DeleteOutlined />}
        disabled={d.conditions.length === 1}
        onClick={() => setD((x) => ({ ...x, conditions: x.conditions.filter((_, j) => j !== i) }))}
      />
    </Space>
  );

  const actRow = (a: RuleAction, i: number) => (
    <Space key={i} wrap style={{ width: '100%' }} data-testid="rule-action">
      <Select<ActionType>
        value={a.type}
        style={{ width: 200 }}
        onChange={(type) => setAct(i, newAction(type))}
        options={ACTIONS.map((x) => ({ value: x, label: ACTION_LABELS[x][k] }))}
      />
      {a.type === 'move_to_folder' && (
        <Select
          value={a.folderId.startsWith('role:') ? a.folderId : 'name:'}
          style={{ width: 160 }}
          onChange={(v: string) => setAct(i, { ...a, folderId: v })}
          options={[
            ...FOLDER_ROLES.map((r) => ({ value: `role:${r}`, label: t(`folder_${r}`) })),
            { value: 'name:', label: t('folderByName') },
          ]}
        />
      )}
      {a.type === 'move_to_folder' && a.folderId.startsWith('name:') && (
        <Input
          value={a.folderId.slice(5)}
          style={{ width: 200 }}
          placeholder={t('folderName')}
          onChange={(e) => setAct(i, { ...a, folderId: `name:${e.target.value}` })}
        />
      )}
      {a.type === 'add_label' && (
        <Input
          value={a.label}
          style={{ width: 200 }}
          placeholder={t('labelName')}
          onChange={(e) => setAct(i, { ...a, label: e.target.value })}
        />
      )}
      {a.type === 'forward' && (
        <Input
          value={a.to}
          style={{ width: 260 }}
          placeholder="name@example.com"
          onChange={(e) => setAct(i, { ...a, to: e.target.value })}
        />
      )}
      <Button
        type="text"
        icon={<DeleteOutlined />}
        disabled={d.actions.length === 1}
        onClick={() => setD((x) => ({ ...x, actions: x.actions.filter((_, j) => j !== i) }))}
      />
    </Space>
  );

  return (
    <Modal
      open
      width={820}
      title={rule ? t('editOrgRule') : t('newOrgRule')}
      okText={tc('save')}
      cancelText={tc('cancel')}
      confirmLoading={busy === 'save'}
      onOk={save}
      onCancel={onClose}
      okButtonProps={{ id: 'rule-save' }}
      destroyOnHidden
    >
      <Form layout="vertical" data-testid="rule-form">
        <Form.Item label={t('ruleName')} required>
          <Input
            value={d.name}
            onChange={(e) => setD({ ...d, name: e.target.value })}
            data-testid="rule-name"
          />
        </Form.Item>
        <Form.Item label={t('ruleDepartments')} required extra={t('ruleDepartmentsHint')}>
          <TreeSelect
            multiple
            treeCheckable
            treeCheckStrictly
            showSearch={{ treeNodeFilterProp: 'title' }}
            treeData={treeData}
            value={d.departmentIds.map((id) => ({
              value: id,
              label: departments.find((x) => x.id === id)?.name ?? id,
            }))}
            onChange={(v: { value: string }[]) => setD({ ...d, departmentIds: v.map((x) => x.value) })}
            placeholder={t('pickDepartments')}
            listHeight={320}
            data-testid="rule-departments"
          />
        </Form.Item>
        <Form.Item label={t('ruleWhen')}>
          <Space orientation="vertical" style={{ width: '100%' }}>
            <Radio.Group
              value={d.match}
              onChange={(e) => setD({ ...d, match: e.target.value as RuleMatch })}
              options={(['all', 'any'] as const).map((m) => ({ value: m, label: VALUE_LABELS[m][k] }))}
            />
            {d.conditions.map(condRow)}
            <Button
              type="dashed"
              icon={<PlusOutlined />}
              onClick={() => setD({ ...d, conditions: [...d.conditions, newCondition('from')] })}
            >
              {t('addCondition')}
            </Button>
          </Space>
        </Form.Item>
        <Form.Item label={t('ruleThen')}>
          <Space orientation="vertical" style={{ width: '100%' }}>
            {d.actions.map(actRow)}
            <Button
              type="dashed"
              icon={<PlusOutlined />}
              onClick={() => setD({ ...d, actions: [...d.actions, newAction('mark_read')] })}
            >
              {t('addAction')}
            </Button>
          </Space>
        </Form.Item>
        <Form.Item label={t('ruleEnabled')}>
          <Switch checked={d.enabled} onChange={(enabled) => setD({ ...d, enabled })} />
        </Form.Item>
        {problem && (
          <Typography.Text type="danger" data-testid="rule-problem">
            {problem}
          </Typography.Text>
        )}
      </Form>
    </Modal>
  );
}

import { Input } from 'antd-mobile';
import {
  SIZE_OPERATOR_LABELS,
  TEXT_OPERATOR_LABELS,
  TEXT_OPERATORS,
  VALUE_LABELS,
  type RuleCondition,
} from '../../../shared/rules/rule';
import { useI18n } from '../../common/i18n';
import { DepartmentPicker } from './department-picker';

/** The value part of one rule condition row: operator and text, yes/no, size, scope, department… */
export function ConditionValue(props: {
  c: RuleCondition;
  k: 'zh' | 'en';
  onChange(c: RuleCondition): void;
}) {
  const { t } = useI18n();
  const { c, k } = props;
  switch (c.field) {
    case 'from':
    case 'to':
    case 'cc':
    case 'subject':
    case 'body':
    case 'header':
      return (
        <>
          {c.field === 'header' ? (
            <Input
              className="short-input"
              placeholder={t('headerName')}
              value={c.name}
              onChange={(name) => props.onChange({ ...c, name })}
            />
          ) : null}
          <select
            value={c.operator}
            onChange={(e) => props.onChange({ ...c, operator: e.target.value as typeof c.operator })}
            data-testid="condition-operator"
          >
            {TEXT_OPERATORS.map((o) => (
              <option key={o} value={o}>
                {TEXT_OPERATOR_LABELS[o][k]}
              </option>
            ))}
          </select>
          <Input
            placeholder={t('value')}
            value={c.value}
            onChange={(value) => props.onChange({ ...c, value })}
            data-testid="condition-value"
          />
        </>
      );
    case 'has_attachment':
    case 'sent_to_my_group':
      return (
        <select
          value={String(c.value)}
          onChange={(e) => props.onChange({ ...c, value: e.target.value === 'true' })}
        >
          <option value="true">{t('yes')}</option>
          <option value="false">{t('no')}</option>
        </select>
      );
    case 'size':
      return (
        <>
          <select
            value={c.operator}
            onChange={(e) => props.onChange({ ...c, operator: e.target.value as 'gt' | 'lt' })}
          >
            <option value="gt">{SIZE_OPERATOR_LABELS.gt[k]}</option>
            <option value="lt">{SIZE_OPERATOR_LABELS.lt[k]}</option>
          </select>
          <Input
            type="number"
            value={String(c.bytes)}
            onChange={(v) => props.onChange({ ...c, bytes: Math.max(0, Math.floor(Number(v) || 0)) })}
          />
        </>
      );
    case 'sender_scope':
      return (
        <select
          value={c.value}
          onChange={(e) => props.onChange({ ...c, value: e.target.value as 'internal' | 'external' })}
        >
          <option value="internal">{VALUE_LABELS.internal[k]}</option>
          <option value="external">{VALUE_LABELS.external[k]}</option>
        </select>
      );
    case 'importance':
      return (
        <select
          value={c.value}
          onChange={(e) => props.onChange({ ...c, value: e.target.value as 'high' | 'normal' | 'low' })}
        >
          <option value="high">{VALUE_LABELS.high[k]}</option>
          <option value="normal">{VALUE_LABELS.normal[k]}</option>
          <option value="low">{VALUE_LABELS.low[k]}</option>
        </select>
      );
    case 'sender_department':
      return (
        <DepartmentPicker
          value={c.departmentId}
          onChange={(departmentId) => props.onChange({ ...c, departmentId })}
        />
      );
    default:
      return null;
  }
}

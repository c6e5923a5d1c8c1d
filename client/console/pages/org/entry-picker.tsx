import { Select, Space, Switch, TreeSelect, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import type {
  DepartmentNodeDto,
  GroupEntryDto,
  GroupEntryInput,
} from '../../../../shared/mailboxes/group-admin';
import { members } from '../../endpoints';
import { useDebounced } from '../../hooks';
import { useT } from '../../i18n';
import { buildDepartmentTree } from './department-tree';

/** What the picker edits: people (with their labels) and departments, with or without sub-departments. */
export interface EntrySelection {
  people: { value: string; label: string }[];
  departments: string[];
  deep: boolean;
}

export const EMPTY_SELECTION: EntrySelection = { people: [], departments: [], deep: true };

export function selectionOf(entries: GroupEntryDto[]): EntrySelection {
  const depts = entries.filter((e) => e.kind === 'department');
  return {
    people: entries
      .filter((e) => e.kind === 'member')
      .map((e) => ({ value: e.id, label: e.address ? `${e.name} <${e.address}>` : e.name })),
    departments: depts.map((e) => e.id),
    deep: depts.length === 0 || depts.some((e) => e.includeSubdepartments),
  };
}

export function entriesOf(s: EntrySelection): GroupEntryInput[] {
  return [
    ...s.people.map((p): GroupEntryInput => ({ kind: 'member', memberId: p.value })),
    ...s.departments.map((d): GroupEntryInput => ({
      kind: 'department',
      departmentId: d,
      includeSubdepartments: s.deep,
    })),
  ];
}

/** People by name, pinyin or address (server search) and departments from the tree. */
export function EntryPicker({
  value = EMPTY_SELECTION,
  onChange,
  departments,
  testId,
}: {
  value?: EntrySelection;
  onChange?: (v: EntrySelection) => void;
  departments: DepartmentNodeDto[];
  testId: string;
}) {
  const t = useT();
  const [q, setQ] = useState('');
  const query = useDebounced(q, 250);
  const [options, setOptions] = useState<{ value: string; label: string }[]>([]);
  const [searching, setSearching] = useState(false);
  const treeData = useMemo(() => buildDepartmentTree(departments), [departments]);
  useEffect(() => {
    let live = true;
    setSearching(true);
    members
      .list({ q: query || undefined, status: 'active' })
      .then((page) => {
        if (!live) return;
        setOptions(
          page.members
            .filter((m) => m.mailbox)
            .map((m) => ({ value: m.id, label: m.email ? `${m.displayName} <${m.email}>` : m.displayName })),
        );
      })
      .catch(() => live && setOptions([]))
      .finally(() => live && setSearching(false));
    return () => {
      live = false;
    };
  }, [query]);
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid={testId}>
      <Select
        mode="multiple"
        labelInValue
        showSearch={{ filterOption: false, onSearch: setQ }}
        value={value.people}
        onChange={(people) => onChange?.({ ...value, people: people as EntrySelection['people'] })}
        options={options}
        loading={searching}
        placeholder={t('pickPeople')}
        notFoundContent={searching ? t('searching') : t('noPeopleFound')}
        style={{ width: '100%' }}
        data-testid={`${testId}-people`}
      />
      <TreeSelect
        multiple
        treeCheckable
        treeCheckStrictly
        showSearch={{ treeNodeFilterProp: 'title' }}
        treeData={treeData}
        value={value.departments.map((d) => ({
          value: d,
          label: departments.find((x) => x.id === d)?.name ?? d,
        }))}
        onChange={(v: { value: string }[]) => onChange?.({ ...value, departments: v.map((x) => x.value) })}
        placeholder={t('pickDepartments')}
        style={{ width: '100%' }}
        listHeight={320}
        data-testid={`${testId}-departments`}
      />
      <Space>
        <Switch
          size="small"
          checked={value.deep}
          onChange={(deep) => onChange?.({ ...value, deep })}
          data-testid={`${testId}-deep`}
        />
        <Typography.Text type="secondary">{t('includeSubdepartments')}</Typography.Text>
      </Space>
    </Space>
  );
}

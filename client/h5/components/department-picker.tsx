import { List, Popup, SearchBar } from 'antd-mobile';
import { useState } from 'react';
import type { DepartmentDto } from '../../../shared/directory/departments';
import { useAsync, useDebounced } from '../../common/hooks';
import { useI18n } from '../../common/i18n';
import { directory } from '../h5-endpoints';
import { Empty, Failure, Loading } from './states';

/** "研发中心 / 前端组": the path without the organization itself (the root), which every path shares. */
export function departmentPath(d: Pick<DepartmentDto, 'pathNames' | 'name'>): string {
  return d.pathNames.length > 1 ? d.pathNames.slice(1).join(' / ') : d.name;
}

/** Names for department ids (rule text and the editor show names, rules store ids). */
export function useDepartmentNames(ids: string[]): Map<string, string> {
  const key = [...new Set(ids)].sort().join(',');
  const found = useAsync(
    () => (key ? directory.departments({ ids: key.split(',') }) : Promise.resolve([])),
    [key],
  );
  const names = new Map((found.data ?? []).map((d) => [d.externalId, departmentPath(d)]));
  // While loading, "…" rather than a bare id; once loaded, an id that is gone stays visible as is.
  if (found.loading && key) for (const id of key.split(',')) if (!names.has(id)) names.set(id, '…');
  return names;
}

/** A field that shows the chosen department and opens a searchable list of the organization's. */
export function DepartmentPicker(props: { value: string; onChange(externalId: string): void }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const names = useDepartmentNames(props.value ? [props.value] : []);
  const label = props.value ? (names.get(props.value) ?? props.value) : t('pickDepartment');
  return (
    <>
      <button
        type="button"
        className={props.value ? 'picker-button' : 'picker-button placeholder'}
        onClick={() => setOpen(true)}
        data-testid="condition-department"
      >
        {label}
      </button>
      <Popup visible={open} onMaskClick={() => setOpen(false)} bodyClassName="picker-popup" destroyOnClose>
        <DepartmentSearch
          onPick={(d) => {
            props.onChange(d.externalId);
            setOpen(false);
          }}
        />
      </Popup>
    </>
  );
}

function DepartmentSearch(props: { onPick(d: DepartmentDto): void }) {
  const { t } = useI18n();
  const [q, setQ] = useState('');
  const query = useDebounced(q.trim(), 250);
  const found = useAsync(() => directory.departments({ q: query }), [query]);
  return (
    <div className="picker" data-testid="department-picker">
      <div className="picker-title">{t('pickDepartment')}</div>
      <SearchBar placeholder={t('searchDepartment')} value={q} onChange={setQ} autoFocus />
      <div className="picker-results">
        {found.error ? (
          <Failure error={found.error} onRetry={found.reload} />
        ) : !found.data ? (
          <Loading />
        ) : found.data.length === 0 ? (
          <Empty title={t('noDepartments')} />
        ) : (
          <List>
            {found.data.map((d) => (
              <List.Item
                key={d.externalId}
                arrowIcon={false}
                onClick={() => props.onPick(d)}
                description={d.pathNames.length > 1 ? d.pathNames.slice(0, -1).join(' / ') : undefined}
                data-testid="department-option"
                data-name={d.name}
              >
                {d.name}
              </List.Item>
            ))}
          </List>
        )}
      </div>
    </div>
  );
}

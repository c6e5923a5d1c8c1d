import { Button, Card, Radio, Select, Space, TreeSelect } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import {
  type CreateExportBody,
  type ExportFormat,
  MailboxExportDto,
} from '../../../shared/mailboxes/exports';
import { api } from '../../common/api';
import { departments, members } from '../endpoints';
import { useAction, useAsync, useDebounced } from '../hooks';
import { useT } from '../i18n';
import { buildDepartmentTree } from './org/department-tree';

const createExport = (body: CreateExportBody) =>
  api(MailboxExportDto, '/admin/exports', { method: 'POST', body });

/** Starts an export: one member's mailbox (searched) or a department subtree (tree), as .eml zip or mbox. */
export function ExportForm({ onStarted }: { onStarted: () => void }) {
  const t = useT();
  const { busy, run } = useAction();
  const [scope, setScope] = useState<'mailbox' | 'department'>('mailbox');
  const [format, setFormat] = useState<ExportFormat>('eml-zip');
  const [memberId, setMemberId] = useState<string | undefined>();
  const [departmentId, setDepartmentId] = useState<string | undefined>();
  const [q, setQ] = useState('');
  const query = useDebounced(q, 250);
  const [options, setOptions] = useState<{ value: string; label: string }[]>([]);
  const tree = useAsync(departments.tree, []);
  const treeData = useMemo(() => buildDepartmentTree(tree.data ?? []), [tree.data]);
  useEffect(() => {
    if (scope !== 'mailbox') return;
    let live = true;
    members
      .list({ q: query || undefined, status: 'active' })
      .then(
        (page) =>
          live &&
          setOptions(
            page.members
              .filter((m) => m.mailbox)
              .map((m) => ({
                value: m.id,
                label: m.email ? `${m.displayName} <${m.email}>` : m.displayName,
              })),
          ),
      )
      .catch(() => live && setOptions([]));
    return () => {
      live = false;
    };
  }, [query, scope]);
  const target = scope === 'mailbox' ? memberId : departmentId;
  const start = () =>
    void run(
      'start',
      async () => {
        await createExport(
          scope === 'mailbox'
            ? { scope, memberId: memberId!, format }
            : { scope, departmentExternalId: departmentId!, format },
        );
        onStarted();
      },
      t('exportStarted'),
    );
  return (
    <Card size="small" title={t('newExport')} data-testid="export-form" style={{ marginBottom: 16 }}>
      <Space wrap>
        <Radio.Group value={scope} onChange={(e) => setScope(e.target.value)} data-testid="export-scope">
          <Radio.Button value="mailbox" data-testid="export-scope-mailbox">
            {t('exportScopeMailbox')}
          </Radio.Button>
          <Radio.Button value="department" data-testid="export-scope-department">
            {t('exportScopeDepartment')}
          </Radio.Button>
        </Radio.Group>
        {scope === 'mailbox' ? (
          <Select
            showSearch={{ filterOption: false, onSearch: setQ }}
            value={memberId}
            onChange={setMemberId}
            options={options}
            placeholder={t('exportPickMember')}
            style={{ width: 320 }}
            data-testid="export-member"
          />
        ) : (
          <TreeSelect
            showSearch={{ treeNodeFilterProp: 'title' }}
            treeData={treeData}
            value={departmentId}
            onChange={(v: string) => setDepartmentId(v)}
            placeholder={t('exportPickDepartment')}
            treeDefaultExpandAll
            style={{ width: 320 }}
            listHeight={320}
            data-testid="export-department"
          />
        )}
        <Select<ExportFormat>
          value={format}
          onChange={setFormat}
          options={[
            { value: 'eml-zip', label: t('exportFormatEml') },
            { value: 'mbox', label: t('exportFormatMbox') },
          ]}
          style={{ width: 230 }}
          data-testid="export-format"
        />
        <Button
          type="primary"
          disabled={!target}
          loading={busy === 'start'}
          onClick={start}
          data-testid="export-start"
        >
          {t('exportStart')}
        </Button>
      </Space>
    </Card>
  );
}

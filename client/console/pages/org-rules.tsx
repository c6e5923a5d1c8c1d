import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Popconfirm, Space, Switch, Table, Tag, Typography } from 'antd';
import { useMemo, useState } from 'react';
import type { RuleDto } from '../../../shared/rules/api';
import { formatDateTime, useI18n } from '../../common/i18n';
import { describeRule } from '../../h5/components/rule-text';
import { LoadError } from '../components/status';
import { departments as departmentsApi, orgRules } from '../endpoints';
import { useAction, useAsync } from '../hooks';
import { useT, type ConsoleKey } from '../i18n';
import { canWrite } from './org/group-panel';
import { RuleEditor } from './org/rule-editor';

/** Organization rules pushed to departments (and their sub-departments); they run before personal rules. */
export default function OrgRules() {
  const t = useT();
  const { lang, t: tc } = useI18n();
  const rules = useAsync(orgRules.list, []);
  const tree = useAsync(departmentsApi.tree, []);
  const { busy, run } = useAction();
  const [editing, setEditing] = useState<RuleDto | 'new' | null>(null);
  const names = useMemo(() => new Map((tree.data ?? []).map((d) => [d.id, d.name])), [tree.data]);
  const writer = canWrite();
  const folderLabel = (id: string) =>
    id.startsWith('role:') ? t(`folder_${id.slice(5)}` as ConsoleKey) : id.replace(/^name:/, '');
  return (
    <div data-testid="org-rules-page">
      <div className="page-head">
        <Typography.Title level={4}>{t('menuOrgRules')}</Typography.Title>
        <Space>
          <Button icon={<ReloadOutlined />} onClick={() => void rules.reload()}>
            {t('refresh')}
          </Button>
          {writer && (
            <Button
              type="primary"
              icon={<PlusOutlined />}
              onClick={() => setEditing('new')}
              data-testid="new-rule"
            >
              {t('newOrgRule')}
            </Button>
          )}
        </Space>
      </div>
      <Alert type="info" showIcon title={t('orgRulesHint')} style={{ marginBottom: 16 }} />
      <Card>
        {rules.error ? <LoadError error={rules.error} onRetry={() => void rules.reload()} /> : null}
        <Table<RuleDto>
          rowKey="id"
          loading={rules.loading && !rules.data}
          dataSource={rules.data ?? []}
          locale={{ emptyText: t('noOrgRules') }}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          data-testid="org-rules"
          columns={[
            {
              title: t('ruleName'),
              dataIndex: 'name',
              width: 200,
              render: (v: string, r) => (
                <Space orientation="vertical" size={0}>
                  <Typography.Text strong>{v}</Typography.Text>
                  {r.lastError && (
                    <Typography.Text type="danger" style={{ fontSize: 12 }}>
                      {r.lastError}
                    </Typography.Text>
                  )}
                </Space>
              ),
            },
            {
              title: t('ruleDepartments'),
              dataIndex: 'departmentIds',
              width: 220,
              render: (ids: string[]) => (
                <Space size={[0, 4]} wrap>
                  {ids.map((id) => (
                    <Tag key={id} color="geekblue">
                      {names.get(id) ?? id}
                    </Tag>
                  ))}
                </Space>
              ),
            },
            {
              title: t('ruleSummary'),
              key: 'summary',
              render: (_, r) => (
                <Typography.Text type="secondary">
                  {describeRule(r.definition, lang, names)}
                  {r.definition.actions.map((a, i) =>
                    a.type === 'move_to_folder' ? (
                      <Tag key={i} style={{ marginLeft: 6 }}>
                        {folderLabel(a.folderId)}
                      </Tag>
                    ) : null,
                  )}
                </Typography.Text>
              ),
            },
            {
              title: t('ruleMatches'),
              key: 'matches',
              width: 130,
              render: (_, r) => (
                <Space orientation="vertical" size={0}>
                  <span>{r.matchCount}</span>
                  {r.lastMatchedAt && (
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {formatDateTime(r.lastMatchedAt, lang)}
                    </Typography.Text>
                  )}
                </Space>
              ),
            },
            {
              title: t('ruleEnabled'),
              dataIndex: 'enabled',
              width: 90,
              render: (v: boolean, r) => (
                <Switch
                  size="small"
                  checked={v}
                  disabled={!writer}
                  loading={busy === `en-${r.id}`}
                  data-testid="rule-enabled"
                  onChange={(enabled) =>
                    void run(`en-${r.id}`, async () => {
                      const next = await orgRules.setEnabled(r.id, enabled);
                      rules.setData((prev) => (prev ?? []).map((x) => (x.id === r.id ? next : x)));
                    })
                  }
                />
              ),
            },
            {
              title: '',
              key: 'actions',
              width: 130,
              render: (_, r) =>
                writer && (
                  <Space size={0}>
                    <Button type="link" size="small" onClick={() => setEditing(r)}>
                      {tc('edit')}
                    </Button>
                    <Popconfirm
                      title={t('deleteRuleConfirm', { name: r.name })}
                      okText={tc('delete')}
                      cancelText={tc('cancel')}
                      okButtonProps={{ danger: true }}
                      onConfirm={() =>
                        void run(
                          `rm-${r.id}`,
                          async () => {
                            await orgRules.remove(r.id);
                            await rules.reload();
                          },
                          tc('deleted'),
                        )
                      }
                    >
                      <Button type="link" size="small" danger>
                        {tc('delete')}
                      </Button>
                    </Popconfirm>
                  </Space>
                ),
            },
          ]}
        />
      </Card>
      {editing && (
        <RuleEditor
          rule={editing === 'new' ? null : editing}
          departments={tree.data ?? []}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            void rules.reload();
          }}
        />
      )}
    </div>
  );
}

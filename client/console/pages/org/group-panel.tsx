import { CopyOutlined } from '@ant-design/icons';
import { App, Button, Card, Descriptions, Divider, Input, Radio, Space, Switch, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import type { DepartmentNodeDto, GroupDetailDto } from '../../../../shared/mailboxes/group-admin';
import type { GroupSendPolicy } from '../../../../shared/mailboxes/groups';
import { currentSession } from '../../../common/api';
import { useI18n } from '../../../common/i18n';
import { LoadError } from '../../components/status';
import { groupAdmin } from '../../endpoints';
import { useAction, useAsync } from '../../hooks';
import { useT, type ConsoleKey } from '../../i18n';
import { EntryPicker, entriesOf, selectionOf, type EntrySelection } from './entry-picker';

export const POLICIES: GroupSendPolicy[] = ['anyone', 'internal', 'members', 'listed'];
export const POLICY_COLOR: Record<GroupSendPolicy, string> = {
  anyone: 'green',
  internal: 'blue',
  members: 'purple',
  listed: 'orange',
};

/** Whether the signed-in person is an admin (auditors only read); from the token's claims, for display only. */
export function canWrite(): boolean {
  const token = currentSession()?.token;
  if (!token) return false;
  try {
    const part = token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(part)) as { roles?: string[] };
    return claims.roles?.includes('admin') ?? false;
  } catch {
    return false;
  }
}

/** Who may send to a group, with the listed people and departments; saved together. */
function SendPolicyEditor({
  group,
  departments,
  onSaved,
}: {
  group: GroupDetailDto;
  departments: DepartmentNodeDto[];
  onSaved: (g: GroupDetailDto) => void;
}) {
  const t = useT();
  const { t: tc } = useI18n();
  const { busy, run } = useAction();
  const [policy, setPolicy] = useState<GroupSendPolicy>(group.sendPolicy);
  const [senders, setSenders] = useState<EntrySelection>(() => selectionOf(group.senders));
  useEffect(() => {
    setPolicy(group.sendPolicy);
    setSenders(selectionOf(group.senders));
  }, [group]);
  const listedEmpty = policy === 'listed' && senders.people.length + senders.departments.length === 0;
  const save = () =>
    void run(
      'policy',
      async () =>
        onSaved(
          await groupAdmin.update(group.id, {
            sendPolicy: policy,
            ...(policy === 'listed' ? { senders: entriesOf(senders) } : {}),
          }),
        ),
      tc('saved'),
    );
  return (
    <div data-testid="send-policy">
      <Radio.Group
        value={policy}
        onChange={(e) => setPolicy(e.target.value as GroupSendPolicy)}
        disabled={!canWrite()}
        style={{ display: 'flex', flexDirection: 'column', gap: 10 }}
      >
        {POLICIES.map((p) => (
          <Radio key={p} value={p} data-testid={`policy-${p}`}>
            <Typography.Text strong>{t(`policy_${p}` as ConsoleKey)}</Typography.Text>
            <Typography.Text type="secondary" style={{ marginLeft: 8, fontSize: 12 }}>
              {t(`policyHint_${p}` as ConsoleKey)}
            </Typography.Text>
          </Radio>
        ))}
      </Radio.Group>
      {policy === 'listed' && (
        <div style={{ margin: '12px 0 0 24px' }}>
          <EntryPicker value={senders} onChange={setSenders} departments={departments} testId="senders" />
        </div>
      )}
      {canWrite() && (
        <Button
          type="primary"
          style={{ marginTop: 16 }}
          onClick={save}
          loading={busy === 'policy'}
          disabled={listedEmpty}
          data-testid="save-policy"
        >
          {tc('save')}
        </Button>
      )}
    </div>
  );
}

function GroupAliases({ group, onChange }: { group: GroupDetailDto; onChange: (g: GroupDetailDto) => void }) {
  const t = useT();
  const { busy, run } = useAction();
  const [localPart, setLocalPart] = useState('');
  const domain = group.address.split('@')[1];
  const add = () =>
    void run('alias', async () => {
      onChange(await groupAdmin.addAlias(group.id, localPart.trim()));
      setLocalPart('');
    });
  return (
    <div data-testid="group-aliases">
      <div style={{ marginBottom: 8 }}>
        {group.aliases.length === 0 && (
          <Typography.Text type="secondary">{t('noGroupAliases')}</Typography.Text>
        )}
        {group.aliases.map((a) => (
          <Tag
            key={a.id}
            closable={canWrite()}
            data-testid="group-alias"
            style={{ marginBottom: 4 }}
            onClose={(e) => {
              e.preventDefault();
              void run(`rm-${a.id}`, async () => {
                await groupAdmin.removeAlias(group.id, a.id);
                onChange({ ...group, aliases: group.aliases.filter((x) => x.id !== a.id) });
              });
            }}
          >
            {a.address}
          </Tag>
        ))}
      </div>
      {canWrite() && (
        <Space.Compact>
          <Input
            value={localPart}
            onChange={(e) => setLocalPart(e.target.value)}
            onPressEnter={add}
            placeholder={t('groupAliasPlaceholder')}
            suffix={<Typography.Text type="secondary">@{domain}</Typography.Text>}
            style={{ width: 320 }}
            data-testid="group-alias-input"
          />
          <Button onClick={add} loading={busy === 'alias'} disabled={!localPart.trim()}>
            {t('addGroupAlias')}
          </Button>
        </Space.Compact>
      )}
    </div>
  );
}

/** One group: address, reach, who may send, aliases. */
export function GroupPanel({
  groupId,
  departments,
  onChanged,
  embedded,
}: {
  groupId: string;
  departments: DepartmentNodeDto[];
  onChanged?: () => void;
  /** Inside a drawer: no card border of its own. */
  embedded?: boolean;
}) {
  const t = useT();
  const { message } = App.useApp();
  const group = useAsync(() => groupAdmin.get(groupId), [groupId]);
  const { busy, run } = useAction();
  const g = group.data;
  if (group.error) return <LoadError error={group.error} onRetry={() => void group.reload()} />;
  if (!g) return <Card loading />;
  const update = (next: GroupDetailDto) => {
    group.setData(next);
    onChanged?.();
  };
  return (
    <Card
      data-testid="group-panel"
      variant={embedded ? 'borderless' : 'outlined'}
      styles={embedded ? { header: { padding: 0 }, body: { padding: '16px 0 0' } } : undefined}
      title={
        <Space>
          {g.name}
          <Tag color={g.kind === 'department' ? 'geekblue' : 'gold'}>
            {t(g.kind === 'department' ? 'kindDepartment' : 'kindCustom')}
          </Tag>
        </Space>
      }
      extra={<Tag color={POLICY_COLOR[g.sendPolicy]}>{t(`policy_${g.sendPolicy}` as ConsoleKey)}</Tag>}
    >
      <Descriptions
        bordered
        size="small"
        column={2}
        items={[
          {
            key: 'address',
            label: t('groupAddress'),
            span: 2,
            children: (
              <Space>
                <Typography.Text strong data-testid="group-address">
                  {g.address}
                </Typography.Text>
                <Button
                  size="small"
                  type="text"
                  icon={<CopyOutlined />}
                  onClick={() =>
                    void navigator.clipboard?.writeText(g.address).then(() => message.success(t('copied')))
                  }
                />
              </Space>
            ),
          },
          {
            key: 'total',
            label: t(g.kind === 'department' ? 'membersWithSub' : 'membersReached'),
            children: <span data-testid="member-count">{g.memberCount}</span>,
          },
          {
            key: 'direct',
            label: t(g.kind === 'department' ? 'membersDirect' : 'entriesCount'),
            children: g.kind === 'department' ? g.directMemberCount : g.entries.length,
          },
          ...(g.kind === 'custom'
            ? [
                {
                  key: 'entries',
                  label: t('groupMembers'),
                  span: 2,
                  children: (
                    <Space size={[4, 4]} wrap data-testid="group-entries-list">
                      {g.entries.map((e) => (
                        <Tag
                          key={`${e.kind}-${e.id}`}
                          color={e.kind === 'department' ? 'geekblue' : undefined}
                        >
                          {e.kind === 'department' && e.includeSubdepartments
                            ? `${e.name} ${t('withSubShort')}`
                            : e.name}
                        </Tag>
                      ))}
                    </Space>
                  ),
                },
              ]
            : []),
          ...(g.kind === 'department'
            ? [
                {
                  key: 'deep',
                  label: t('deliverToSub'),
                  span: 2,
                  children: (
                    <Switch
                      size="small"
                      checked={g.includeSubdepartments}
                      disabled={!canWrite()}
                      loading={busy === 'deep'}
                      onChange={(v) =>
                        void run('deep', async () =>
                          update(await groupAdmin.update(g.id, { includeSubdepartments: v })),
                        )
                      }
                    />
                  ),
                },
              ]
            : []),
        ]}
      />
      <Divider titlePlacement="start" plain>
        {t('whoMaySend')}
      </Divider>
      <SendPolicyEditor group={g} departments={departments} onSaved={update} />
      <Divider titlePlacement="start" plain>
        {t('groupAliases')}
      </Divider>
      <GroupAliases group={g} onChange={update} />
    </Card>
  );
}

import { PlusOutlined } from '@ant-design/icons';
import {
  Button,
  Card,
  Drawer,
  Form,
  Input,
  Modal,
  Popconfirm,
  Select,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import type { DepartmentNodeDto, GroupDetailDto } from '../../../../shared/mailboxes/group-admin';
import type { GroupDto, GroupSendPolicy } from '../../../../shared/mailboxes/groups';
import { useI18n } from '../../../common/i18n';
import { LoadError } from '../../components/status';
import { groupAdmin, groups } from '../../endpoints';
import { useAction, useAsync } from '../../hooks';
import { useT, type ConsoleKey } from '../../i18n';
import { EMPTY_SELECTION, EntryPicker, entriesOf, selectionOf, type EntrySelection } from './entry-picker';
import { canWrite, GroupPanel, POLICIES, POLICY_COLOR } from './group-panel';

interface FormValues {
  name: string;
  localPart: string;
  sendPolicy: GroupSendPolicy;
  entries: EntrySelection;
}

/** Create (editing: `group`) a custom group: name, address, people and departments. */
function GroupForm({
  group,
  domain,
  departments,
  onClose,
  onSaved,
}: {
  group: GroupDetailDto | null;
  domain: string;
  departments: DepartmentNodeDto[];
  onClose: () => void;
  onSaved: () => void;
}) {
  const t = useT();
  const { t: tc } = useI18n();
  const [form] = Form.useForm<FormValues>();
  const { busy, run } = useAction();
  const submit = (v: FormValues) =>
    void run(
      'save',
      async () => {
        const entries = entriesOf(v.entries);
        if (group) await groupAdmin.update(group.id, { name: v.name, entries });
        else
          await groupAdmin.create({
            name: v.name,
            localPart: v.localPart.trim(),
            sendPolicy: v.sendPolicy,
            entries,
          });
        onSaved();
      },
      tc('saved'),
    );
  return (
    <Modal
      open
      width={640}
      title={group ? t('editGroup') : t('newGroup')}
      okText={tc('save')}
      cancelText={tc('cancel')}
      confirmLoading={busy === 'save'}
      onOk={() => form.submit()}
      onCancel={onClose}
      destroyOnHidden
      okButtonProps={{ id: 'group-form-ok' }}
    >
      <Form<FormValues>
        form={form}
        layout="vertical"
        onFinish={submit}
        data-testid="group-form"
        initialValues={
          group
            ? {
                name: group.name,
                localPart: group.address.split('@')[0],
                sendPolicy: group.sendPolicy,
                entries: selectionOf(group.entries),
              }
            : { sendPolicy: 'internal', entries: EMPTY_SELECTION }
        }
      >
        <Form.Item
          name="name"
          label={t('groupName')}
          rules={[{ required: true, whitespace: true, max: 100 }]}
        >
          <Input data-testid="group-name" placeholder={t('groupNamePlaceholder')} />
        </Form.Item>
        <Form.Item
          name="localPart"
          label={t('groupAddress')}
          rules={[{ required: true, whitespace: true }]}
          extra={group ? t('addressFixed') : undefined}
        >
          <Input
            disabled={!!group}
            suffix={<Typography.Text type="secondary">@{domain}</Typography.Text>}
            data-testid="group-local-part"
          />
        </Form.Item>
        {!group && (
          <Form.Item name="sendPolicy" label={t('whoMaySend')}>
            <Select
              options={POLICIES.filter((p) => p !== 'listed').map((p) => ({
                value: p,
                label: t(`policy_${p}` as ConsoleKey),
              }))}
            />
          </Form.Item>
        )}
        <Form.Item
          name="entries"
          label={t('groupMembers')}
          rules={[
            {
              validator: (_, v: EntrySelection | undefined) =>
                v && v.people.length + v.departments.length > 0
                  ? Promise.resolve()
                  : Promise.reject(new Error(t('needMembers'))),
            },
          ]}
        >
          <EntryPicker departments={departments} testId="group-entries" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** Custom groups: the list, create, edit, delete, and the full panel (send policy, aliases) in a drawer. */
export function CustomGroups({ departments }: { departments: DepartmentNodeDto[] }) {
  const t = useT();
  const { t: tc } = useI18n();
  const list = useAsync(() => groups.list('custom'), []);
  const { run } = useAction();
  const [editing, setEditing] = useState<GroupDetailDto | 'new' | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const custom = (list.data ?? []).filter((g) => g.kind === 'custom');
  const domain =
    departments.find((d) => d.groupAddress)?.groupAddress?.split('@')[1] ??
    list.data?.[0]?.address.split('@')[1] ??
    '';
  if (list.error) return <LoadError error={list.error} onRetry={() => void list.reload()} />;
  return (
    <Card
      title={t('tabCustomGroups')}
      extra={
        canWrite() && (
          <Button
            type="primary"
            icon={<PlusOutlined />}
            onClick={() => setEditing('new')}
            data-testid="new-group"
          >
            {t('newGroup')}
          </Button>
        )
      }
    >
      <Table<GroupDto>
        rowKey="id"
        size="middle"
        loading={list.loading && !list.data}
        dataSource={custom}
        locale={{ emptyText: t('noCustomGroups') }}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        data-testid="custom-groups"
        columns={[
          {
            title: t('groupName'),
            dataIndex: 'name',
            render: (v: string, g) => (
              <Typography.Link onClick={() => setOpen(g.id)} data-testid="custom-group-name">
                {v}
              </Typography.Link>
            ),
          },
          { title: t('groupAddress'), dataIndex: 'address' },
          { title: t('membersReached'), dataIndex: 'memberCount', width: 120, align: 'right' },
          {
            title: t('whoMaySend'),
            dataIndex: 'sendPolicy',
            width: 160,
            render: (p: GroupSendPolicy) => (
              <Tag color={POLICY_COLOR[p]}>{t(`policy_${p}` as ConsoleKey)}</Tag>
            ),
          },
          {
            title: '',
            key: 'actions',
            width: 150,
            render: (_, g) =>
              canWrite() && (
                <Space size={0}>
                  <Button
                    type="link"
                    size="small"
                    onClick={() => void run('load', async () => setEditing(await groupAdmin.get(g.id)))}
                  >
                    {tc('edit')}
                  </Button>
                  <Popconfirm
                    title={t('deleteGroupConfirm', { name: g.name })}
                    okText={tc('delete')}
                    cancelText={tc('cancel')}
                    okButtonProps={{ danger: true }}
                    onConfirm={() =>
                      void run(
                        'delete',
                        async () => {
                          await groupAdmin.remove(g.id);
                          await list.reload();
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
      {editing && (
        <GroupForm
          group={editing === 'new' ? null : editing}
          domain={domain}
          departments={departments}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            void list.reload();
          }}
        />
      )}
      <Drawer open={!!open} size={720} title={t('groupDetail')} onClose={() => setOpen(null)} destroyOnHidden>
        {open && (
          <GroupPanel
            embedded
            groupId={open}
            departments={departments}
            onChanged={() => void list.reload()}
          />
        )}
      </Drawer>
    </Card>
  );
}

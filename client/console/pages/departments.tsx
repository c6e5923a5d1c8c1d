import { ApartmentOutlined, ReloadOutlined, TeamOutlined } from '@ant-design/icons';
import { Badge, Button, Card, Col, Empty, Input, Row, Space, Tabs, Tree, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { LoadError } from '../components/status';
import { departments as departmentsApi } from '../endpoints';
import { useAsync, useDebounced } from '../hooks';
import { useT } from '../i18n';
import { CustomGroups } from './org/custom-groups';
import { ancestorsOf, buildDepartmentTree, type DeptTreeNode } from './org/department-tree';
import { GroupPanel } from './org/group-panel';

/** The department tree (any depth, virtual so 1,500+ departments stay smooth) beside the selected group. */
function DepartmentGroups() {
  const t = useT();
  const tree = useAsync(departmentsApi.tree, []);
  const [selected, setSelected] = useState<string | null>(null);
  const [expanded, setExpanded] = useState<string[] | null>(null);
  const [q, setQ] = useState('');
  const query = useDebounced(q.trim().toLowerCase(), 200);
  const list = useMemo(() => tree.data ?? [], [tree.data]);
  const treeData = useMemo(() => buildDepartmentTree(list), [list]);
  const matches = useMemo(
    () => (query ? list.filter((d) => d.name.toLowerCase().includes(query)) : []),
    [list, query],
  );
  // By default the first two levels are open; a search opens the way to every match.
  const defaultExpanded = useMemo(
    () =>
      list.filter((d) => !d.parentId || !list.find((p) => p.id === d.parentId)?.parentId).map((d) => d.id),
    [list],
  );
  const openKeys = query
    ? [...new Set(matches.flatMap((m) => ancestorsOf(list, m.id)))]
    : (expanded ?? defaultExpanded);
  const current =
    list.find((d) => d.id === selected) ?? (selected === null ? list.find((d) => !d.parentId) : undefined);
  if (tree.error) return <LoadError error={tree.error} onRetry={() => void tree.reload()} />;
  return (
    <Row gutter={16}>
      <Col span={9}>
        <Card
          title={
            <Space>
              <ApartmentOutlined />
              {t('orgTree')}
              <Typography.Text type="secondary" style={{ fontWeight: 'normal' }}>
                {t('deptCount', { n: list.length })}
              </Typography.Text>
            </Space>
          }
          extra={
            <Button size="small" type="text" icon={<ReloadOutlined />} onClick={() => void tree.reload()} />
          }
          loading={tree.loading && !tree.data}
          styles={{ body: { padding: 12 } }}
        >
          <Input.Search
            allowClear
            placeholder={t('searchDepartments')}
            value={q}
            onChange={(e) => setQ(e.target.value)}
            style={{ marginBottom: 8 }}
            data-testid="dept-search"
          />
          <Tree<DeptTreeNode>
            blockNode
            showLine
            virtual
            height={560}
            treeData={treeData}
            expandedKeys={openKeys}
            onExpand={(keys) => setExpanded(keys as string[])}
            selectedKeys={current ? [current.id] : []}
            onSelect={(keys) => keys[0] && setSelected(String(keys[0]))}
            data-testid="dept-tree"
            titleRender={(n) => (
              <span className="dept-node" data-testid="dept-node">
                <span
                  className="dept-name"
                  style={
                    query && n.node.name.toLowerCase().includes(query) ? { color: '#1677ff' } : undefined
                  }
                >
                  {n.node.name}
                </span>
                <Badge
                  count={n.node.totalMembers}
                  showZero
                  overflowCount={99999}
                  color={n.node.totalMembers ? '#f0f5ff' : '#fafafa'}
                  style={{ color: 'rgba(0,0,0,0.55)', boxShadow: 'none' }}
                />
              </span>
            )}
          />
        </Card>
      </Col>
      <Col span={15}>
        {current?.groupId ? (
          <GroupPanel
            key={current.groupId}
            groupId={current.groupId}
            departments={list}
            onChanged={() => void tree.reload()}
          />
        ) : (
          <Card>
            <Empty description={current ? t('noDeptGroup') : t('pickDepartment')} />
          </Card>
        )}
      </Col>
    </Row>
  );
}

export default function Departments() {
  const t = useT();
  const tree = useAsync(departmentsApi.tree, []);
  return (
    <div data-testid="departments-page">
      <div className="page-head">
        <Typography.Title level={4}>{t('menuDepartments')}</Typography.Title>
      </div>
      <Tabs
        defaultActiveKey="tree"
        destroyOnHidden
        items={[
          {
            key: 'tree',
            label: (
              <span>
                <ApartmentOutlined /> {t('tabDepartmentGroups')}
              </span>
            ),
            children: <DepartmentGroups />,
          },
          {
            key: 'custom',
            label: (
              <span data-testid="tab-custom-groups">
                <TeamOutlined /> {t('tabCustomGroups')}
              </span>
            ),
            children: <CustomGroups departments={tree.data ?? []} />,
          },
        ]}
      />
    </div>
  );
}

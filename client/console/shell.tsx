import {
  ApartmentOutlined,
  AuditOutlined,
  CloudDownloadOutlined,
  DashboardOutlined,
  FileProtectOutlined,
  StopOutlined,
  SendOutlined,
  GlobalOutlined,
  LogoutOutlined,
  MailOutlined,
  PartitionOutlined,
  SafetyOutlined,
  ScheduleOutlined,
  SyncOutlined,
  TeamOutlined,
  TranslationOutlined,
} from '@ant-design/icons';
import { App, Avatar, Breadcrumb, Button, Dropdown, Layout, Menu, Spin } from 'antd';
import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { apiVoid, currentSession } from '../common/api';
import { signOut } from '../common/auth';
import { useI18n } from '../common/i18n';
import { go, useHashRoute } from './hooks';
import { useT, type ConsoleKey } from './i18n';

// Every page loads on demand: the first screen is the shell and the sign-in form.
const Dashboard = lazy(() => import('./pages/dashboard'));
const Members = lazy(() => import('./pages/members'));
const Sync = lazy(() => import('./pages/sync'));
const Departments = lazy(() => import('./pages/departments'));
const OrgRules = lazy(() => import('./pages/org-rules'));
const Domains = lazy(() => import('./pages/domains'));
const Audit = lazy(() => import('./pages/audit'));
const Exports = lazy(() => import('./pages/exports'));
const Policies = lazy(() => import('./pages/policies'));
const Jobs = lazy(() => import('./pages/jobs'));
const Approvals = lazy(() => import('./pages/approvals'));
const Antispam = lazy(() => import('./pages/antispam'));
const Outbound = lazy(() => import('./pages/outbound'));

const PAGES: { key: string; label: ConsoleKey; icon: ReactNode; page: ReactNode }[] = [
  { key: 'dashboard', label: 'menuDashboard', icon: <DashboardOutlined />, page: <Dashboard /> },
  { key: 'members', label: 'menuMembers', icon: <TeamOutlined />, page: <Members /> },
  { key: 'departments', label: 'menuDepartments', icon: <ApartmentOutlined />, page: <Departments /> },
  { key: 'org-rules', label: 'menuOrgRules', icon: <PartitionOutlined />, page: <OrgRules /> },
  { key: 'sync', label: 'menuSync', icon: <SyncOutlined />, page: <Sync /> },
  { key: 'domains', label: 'menuDomains', icon: <GlobalOutlined />, page: <Domains /> },
  { key: 'audit', label: 'menuAudit', icon: <AuditOutlined />, page: <Audit /> },
  { key: 'policies', label: 'menuPolicies', icon: <SafetyOutlined />, page: <Policies /> },
  { key: 'approvals', label: 'menuApprovals', icon: <FileProtectOutlined />, page: <Approvals /> },
  { key: 'antispam', label: 'menuAntispam', icon: <StopOutlined />, page: <Antispam /> },
  { key: 'outbound', label: 'menuOutbound', icon: <SendOutlined />, page: <Outbound /> },
  { key: 'exports', label: 'menuExports', icon: <CloudDownloadOutlined />, page: <Exports /> },
  { key: 'jobs', label: 'menuJobs', icon: <ScheduleOutlined />, page: <Jobs /> },
];

export default function Shell() {
  const t = useT();
  const { lang, setLang } = useI18n();
  const route = useHashRoute();
  const session = currentSession();
  const current = PAGES.find((p) => p.key === route) ?? PAGES[0]!;
  const { message } = App.useApp();
  // A page's notices do not follow the admin to the next page.
  useEffect(() => message.destroy(), [current, message]);
  useEffect(() => {
    document.title = `${t(current.label)} · ${t('consoleName')}`;
  }, [current, t]);
  return (
    <Layout style={{ height: '100%' }}>
      <Layout.Sider width={208} theme="dark">
        <div className="console-brand">
          <MailOutlined style={{ fontSize: 18 }} />
          {t('consoleName')}
        </div>
        <Menu
          theme="dark"
          mode="inline"
          data-testid="console-menu"
          selectedKeys={[current.key]}
          onClick={(e) => go(e.key)}
          items={PAGES.map((p) => ({ key: p.key, icon: p.icon, label: t(p.label) }))}
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header className="console-header">
          <Breadcrumb items={[{ title: t('home') }, { title: t(current.label) }]} />
          <span style={{ display: 'flex', gap: 8, alignItems: 'center' }}>
            <Button
              type="text"
              icon={<TranslationOutlined />}
              onClick={() => setLang(lang === 'en' ? 'zh-CN' : 'en')}
            >
              {t('language')}
            </Button>
            <Dropdown
              menu={{
                items: [
                  { key: 'out', icon: <LogoutOutlined />, label: t('signOut') },
                  { key: 'everywhere', icon: <LogoutOutlined />, label: t('signOutEverywhere') },
                ],
                onClick: ({ key }) => {
                  if (key === 'out') return signOut();
                  // Every token of this account is refused from now on; sign out here whatever the answer.
                  void apiVoid('/auth/sign-out', { method: 'POST' })
                    .catch(() => undefined)
                    .finally(signOut);
                },
              }}
            >
              <Button type="text" data-testid="account-menu">
                <Avatar size="small" style={{ background: '#1677ff' }}>
                  {session?.memberName.slice(0, 1)}
                </Avatar>
                {session?.memberName}
              </Button>
            </Dropdown>
          </span>
        </Layout.Header>
        <Layout.Content className="console-content">
          <Suspense fallback={<Spin style={{ display: 'block', marginTop: 80 }} />}>{current.page}</Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}

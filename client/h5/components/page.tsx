import { NavBar, TabBar } from 'antd-mobile';
import { MailOutline, UserOutline } from 'antd-mobile-icons';
import { useEffect, type ReactNode } from 'react';
import { setPageTitle } from '../../common/platform';
import { useI18n } from '../../common/i18n';
import { goBack, navigate } from '../router';

/** A screen: the navigation bar (title, back, actions), scrolling content, an optional footer. */
export function Page(props: {
  title: ReactNode;
  /** The document / DingTalk title when `title` is not plain text. */
  pageTitle?: string;
  back?: string | false;
  /** Next to the back arrow; with `back={false}`, alone on the left (e.g. "Cancel"). */
  left?: ReactNode;
  right?: ReactNode;
  /** Replaces the default back (e.g. compose saves the draft first). */
  onBack?: () => void;
  footer?: ReactNode;
  children: ReactNode;
  testId?: string;
}) {
  const { t } = useI18n();
  const plain = props.pageTitle ?? (typeof props.title === 'string' ? props.title : t('appName'));
  useEffect(() => setPageTitle(plain), [plain]);
  return (
    <div className="page" data-testid={props.testId}>
      <NavBar
        className="page-nav"
        backIcon={props.back === false ? null : undefined}
        back={props.back === false ? null : (props.left ?? '')}
        left={props.back === false ? props.left : undefined}
        onBack={props.back === false ? undefined : (props.onBack ?? (() => goBack(props.back || '/')))}
        right={props.right}
      >
        {props.title}
      </NavBar>
      <div className="page-body">{props.children}</div>
      {props.footer ? <div className="page-footer">{props.footer}</div> : null}
    </div>
  );
}

/** The bottom tabs of the two home screens. */
export function HomeTabs(props: { active: 'mail' | 'me' }) {
  const { t } = useI18n();
  return (
    <TabBar
      className="home-tabs"
      activeKey={props.active}
      onChange={(key) => navigate(key === 'me' ? '/me' : '/', { replace: true })}
    >
      <TabBar.Item key="mail" icon={<MailOutline />} title={t('tabMail')} />
      <TabBar.Item key="me" icon={<UserOutline />} title={t('tabMe')} />
    </TabBar>
  );
}

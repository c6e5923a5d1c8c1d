import { ActionSheet, Avatar, Dialog, List, Toast } from 'antd-mobile';
import { useState } from 'react';
import { errorText, useAsync } from '../../common/hooks';
import { undoSend } from '../h5-endpoints';
import { currentSession } from '../../common/api';
import { signOut } from '../../common/auth';
import { useI18n } from '../../common/i18n';
import { HomeTabs, Page } from '../components/page';
import { navigate } from '../router';

export default function Me() {
  const { t, lang, setLang } = useI18n();
  const [langSheet, setLangSheet] = useState(false);
  const [undoSheet, setUndoSheet] = useState(false);
  const undo = useAsync(undoSend.get, []);
  const seconds = (n: number) => (n === 0 ? t('undoSendOff') : t('undoSendSeconds', { count: n }));
  const setUndo = async (n: number) => {
    try {
      undo.setData(await undoSend.set(n));
      Toast.show({ icon: 'success', content: t('saved') });
    } catch (err) {
      Toast.show({ icon: 'fail', content: errorText(err, t) });
    }
  };
  const s = currentSession();
  return (
    <Page title={t('me')} back={false} footer={<HomeTabs active="me" />} testId="me">
      <div className="me-card">
        <Avatar src="" className="me-avatar" fallback={<span>{(s?.memberName ?? '').slice(-2)}</span>} />
        <div>
          <div className="me-name">{s?.memberName}</div>
          <div className="muted small">{s?.email}</div>
        </div>
      </div>
      <List header={t('settings')}>
        <List.Item onClick={() => navigate('/rules')} data-testid="nav-rules">
          {t('rules')}
        </List.Item>
        <List.Item onClick={() => navigate('/scheduled')} data-testid="nav-scheduled">
          {t('scheduledSends')}
        </List.Item>
        <List.Item
          onClick={() => setUndoSheet(true)}
          extra={
            <span data-testid="undo-send-value">{undo.data === undefined ? '' : seconds(undo.data)}</span>
          }
          description={t('undoSendHint')}
          data-testid="nav-undo-send"
        >
          {t('undoSendWindow')}
        </List.Item>
        <List.Item onClick={() => navigate('/auto-reply')} data-testid="nav-auto-reply">
          {t('autoReply')}
        </List.Item>
        <List.Item onClick={() => navigate('/app-passwords')} data-testid="nav-app-passwords">
          {t('appPasswords')}
        </List.Item>
        <List.Item extra={t('languageName')} onClick={() => setLangSheet(true)}>
          {t('language')}
        </List.Item>
      </List>
      <List className="sign-out">
        <List.Item
          arrowIcon={false}
          onClick={async () => {
            if (
              await Dialog.confirm({
                content: t('signOutConfirm'),
                confirmText: t('confirm'),
                cancelText: t('cancel'),
              })
            )
              signOut();
          }}
        >
          <span className="danger">{t('signOut')}</span>
        </List.Item>
      </List>
      <ActionSheet
        visible={langSheet}
        onClose={() => setLangSheet(false)}
        cancelText={t('cancel')}
        actions={[
          { key: 'zh-CN', text: '简体中文', bold: lang === 'zh-CN', onClick: () => setLang('zh-CN') },
          { key: 'en', text: 'English', bold: lang === 'en', onClick: () => setLang('en') },
        ]}
        onAction={() => setLangSheet(false)}
      />
      <ActionSheet
        visible={undoSheet}
        onClose={() => setUndoSheet(false)}
        extra={t('undoSendHint')}
        cancelText={t('cancel')}
        actions={[0, 5, 10, 20, 30].map((n) => ({
          key: String(n),
          text: seconds(n),
          bold: undo.data === n,
          onClick: () => void setUndo(n),
        }))}
        onAction={() => setUndoSheet(false)}
      />
    </Page>
  );
}

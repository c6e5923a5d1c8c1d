import { Button, Dialog, Form, Input, List, Popup, Toast } from 'antd-mobile';
import { useState } from 'react';
import { CreateAppPasswordBody, type CreatedAppPassword } from '../../../shared/mail/app-passwords';
import { appPasswords } from '../../common/endpoints';
import { formatDateTime, useI18n } from '../../common/i18n';
import { Page } from '../components/page';
import { Empty, Failure, Loading } from '../components/states';
import { errorText, useAsync } from '../../common/hooks';

/** App passwords for desktop mail clients: list, create (shown once), revoke. */
export default function AppPasswords() {
  const { t, lang } = useI18n();
  const list = useAsync(appPasswords.list, []);
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedAppPassword | null>(null);

  const create = async () => {
    const body = CreateAppPasswordBody.safeParse({ name });
    if (!body.success) {
      Toast.show({ content: body.error.issues[0]?.message ?? '' });
      return;
    }
    try {
      const result = await appPasswords.create(body.data.name);
      setCreating(false);
      setName('');
      setCreated(result);
      await list.reload();
    } catch (err) {
      Toast.show({ icon: 'fail', content: errorText(err, t) });
    }
  };
  const revoke = async (id: string, label: string) => {
    if (
      !(await Dialog.confirm({
        title: t('appPasswordRevoke'),
        content: t('appPasswordRevokeConfirm', { name: label }),
        confirmText: t('appPasswordRevoke'),
        cancelText: t('cancel'),
      }))
    )
      return;
    try {
      await appPasswords.revoke(id);
      await list.reload();
    } catch (err) {
      Toast.show({ icon: 'fail', content: errorText(err, t) });
    }
  };
  const copy = (text: string) =>
    navigator.clipboard?.writeText(text).then(
      () => Toast.show({ content: t('copied') }),
      () => undefined,
    );

  return (
    <Page title={t('appPasswords')} back="/me" testId="app-passwords">
      <div className="hint">{t('appPasswordsHint')}</div>
      {list.error && !list.data ? (
        <Failure error={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading />
      ) : list.data.length === 0 ? (
        <Empty title={t('appPasswordsEmpty')} />
      ) : (
        <List>
          {list.data.map((p) => (
            <List.Item
              key={p.id}
              description={
                p.lastUsedAt
                  ? t('appPasswordLastUsed', {
                      time: `${formatDateTime(p.lastUsedAt, lang)}${p.lastUsedIp ? ` (${p.lastUsedIp})` : ''}`,
                    })
                  : t('appPasswordNeverUsed')
              }
              extra={
                <Button size="mini" color="danger" fill="outline" onClick={() => void revoke(p.id, p.name)}>
                  {t('appPasswordRevoke')}
                </Button>
              }
              arrowIcon={false}
            >
              {p.name}
            </List.Item>
          ))}
        </List>
      )}
      <div className="block-button">
        <Button block color="primary" onClick={() => setCreating(true)}>
          {t('appPasswordNew')}
        </Button>
      </div>
      <Popup visible={creating} onMaskClick={() => setCreating(false)} bodyClassName="form-popup">
        <Form
          layout="vertical"
          footer={
            <Button block color="primary" onClick={() => void create()}>
              {t('appPasswordNew')}
            </Button>
          }
        >
          <Form.Item label={t('appPasswordName')}>
            <Input
              placeholder={t('appPasswordNamePlaceholder')}
              value={name}
              onChange={setName}
              maxLength={100}
            />
          </Form.Item>
        </Form>
      </Popup>
      <Popup visible={created !== null} onMaskClick={() => setCreated(null)} bodyClassName="form-popup">
        {created ? (
          <div className="created-password">
            <div className="picker-title">{t('appPasswordCreated')}</div>
            <div className="password-box" onClick={() => void copy(created.password)}>
              {created.password}
            </div>
            <div className="hint danger">{t('appPasswordOnce')}</div>
            <List>
              <List.Item extra={created.username}>{t('appPasswordUser')}</List.Item>
              <List.Item extra={`${created.smtp.host}:${created.smtp.port}`}>
                {t('appPasswordServer')}
              </List.Item>
            </List>
            <div className="block-button">
              <Button
                block
                color="primary"
                onClick={() => void copy(created.password).then(() => setCreated(null))}
              >
                {t('copy')}
              </Button>
            </div>
          </div>
        ) : null}
      </Popup>
    </Page>
  );
}

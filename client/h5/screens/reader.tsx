import { ActionSheet, Button, Dialog, List, NoticeBar, Toast } from 'antd-mobile';
import { FileOutline, MoreOutline } from 'antd-mobile-icons';
import { useState } from 'react';
import type { FolderDto } from '../../../shared/mail/folders';
import type { AttachmentDto, MailAddressDto, MessageDetailDto } from '../../../shared/mail/messages';
import { apiBlob } from '../../common/api';
import { mail } from '../../common/endpoints';
import { formatDateTime, formatSize, useI18n } from '../../common/i18n';
import { folderTitle, MoveToFolder } from '../components/folder-tree';
import { Page } from '../components/page';
import { MailFrame } from '../components/mail-frame';
import { Failure, Loading } from '../components/states';
import { errorText, useAsync } from '../../common/hooks';
import { goBack, navigate } from '../router';

/** Reading one message: headers, the sanitized body in a sandboxed frame, attachments, actions. */
export default function Reader(props: { id: string }) {
  const { t, lang } = useI18n();
  const [remoteImages, setRemoteImages] = useState(false);
  const [more, setMore] = useState(false);
  const [moving, setMoving] = useState(false);
  const [folders, setFolders] = useState<FolderDto[]>();
  const message = useAsync(
    () => mail.read(props.id, { remoteImages, markSeen: true }),
    [props.id, remoteImages],
  );
  const m = message.data;

  const act = async (fn: () => Promise<unknown>, done?: string) => {
    try {
      await fn();
      if (done) Toast.show({ content: done });
    } catch (err) {
      Toast.show({ icon: 'fail', content: errorText(err, t) });
    }
  };
  const startMove = () => {
    setMoving(true);
    if (!folders)
      mail
        .folders()
        .then(setFolders)
        .catch((err) => {
          setMoving(false);
          Toast.show({ icon: 'fail', content: errorText(err, t) });
        });
  };
  const moveTo = (f: FolderDto) => {
    setMoving(false);
    void act(
      async () => {
        await mail.update(props.id, { folderId: f.id });
        goBack('/');
      },
      t('movedTo', { name: folderTitle(f, t) }),
    );
  };
  const remove = () =>
    act(async () => {
      await mail.remove(props.id);
      goBack('/');
    }, t('movedToTrash'));

  return (
    <Page
      title=""
      pageTitle={m?.subject || t('appName')}
      back="/"
      testId="reader"
      right={
        m ? (
          <span
            className="nav-icon"
            role="button"
            aria-label="more"
            data-testid="reader-more"
            onClick={() => setMore(true)}
          >
            <MoreOutline />
          </span>
        ) : null
      }
      footer={
        m ? (
          <div className="reader-actions">
            <Button fill="none" onClick={() => navigate(`/compose?reply=${m.id}`)} data-testid="reply">
              {t('reply')}
            </Button>
            <Button fill="none" onClick={() => navigate(`/compose?replyAll=${m.id}`)}>
              {t('replyAll')}
            </Button>
            <Button fill="none" onClick={() => navigate(`/compose?forward=${m.id}`)}>
              {t('forward')}
            </Button>
            <Button fill="none" color="danger" onClick={() => void remove()}>
              {t('delete')}
            </Button>
          </div>
        ) : null
      }
    >
      {message.error && !m ? (
        <Failure error={message.error} onRetry={message.reload} />
      ) : !m ? (
        <Loading />
      ) : (
        <div className="reader">
          <h1 className="reader-subject" data-testid="reader-subject">
            {m.importance === 'high' ? <span className="row-important">!</span> : null}
            {m.subject || t('noSubject')}
          </h1>
          <Headers m={m} lang={lang} />
          {m.blockedRemoteImages > 0 && !remoteImages ? (
            <NoticeBar
              color="info"
              wrap
              content={t('remoteImagesBlocked', { count: m.blockedRemoteImages })}
              extra={
                <Button size="mini" color="primary" fill="outline" onClick={() => setRemoteImages(true)}>
                  {t('showImages')}
                </Button>
              }
            />
          ) : null}
          {m.htmlOmitted ? <NoticeBar color="alert" wrap content={t('htmlOmitted')} /> : null}
          {m.html ? (
            <MailFrame html={m.html} remoteImages={remoteImages} />
          ) : (
            <pre className="reader-text" data-testid="reader-text">
              {m.text}
            </pre>
          )}
          <Attachments items={m.attachments.filter((a) => !a.inline)} />
        </div>
      )}
      <ActionSheet
        visible={more}
        onClose={() => setMore(false)}
        cancelText={t('cancel')}
        actions={
          m
            ? [
                { key: 'move', text: t('moveTo'), onClick: startMove },
                {
                  key: 'unread',
                  text: t('markUnread'),
                  onClick: () => void act(() => mail.update(m.id, { seen: false })).then(() => goBack('/')),
                },
                {
                  key: 'flag',
                  text: m.flags.flagged ? t('unflag') : t('flag'),
                  onClick: () =>
                    void act(async () => {
                      const s = await mail.update(m.id, { flagged: !m.flags.flagged });
                      message.setData((prev) => ({ ...prev!, flags: s.flags }));
                    }),
                },
                { key: 'delete', text: t('delete'), danger: true, onClick: () => void remove() },
              ]
            : []
        }
        onAction={() => setMore(false)}
      />
      <MoveToFolder
        visible={moving}
        folders={folders}
        currentId={m?.folderId}
        onClose={() => setMoving(false)}
        onPick={moveTo}
      />
    </Page>
  );
}

function names(list: MailAddressDto[], sep: string): string {
  return list.map((a) => (a.name ? `${a.name} <${a.address}>` : a.address)).join(sep);
}

function Headers({ m, lang }: { m: MessageDetailDto; lang: 'zh-CN' | 'en' }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const from = m.headers.from[0] ?? m.from;
  return (
    <div className="reader-headers" onClick={() => setOpen((o) => !o)}>
      <div className="reader-from">
        <span className="avatar-dot">{(from?.name || from?.address || '?').slice(0, 1).toUpperCase()}</span>
        <div>
          <div className="reader-from-name" data-testid="reader-from">
            {from?.name || from?.address || t('unknownSender')}
          </div>
          <div className="muted small">{formatDateTime(m.headers.date ?? m.receivedAt, lang)}</div>
        </div>
      </div>
      {open ? (
        <div className="reader-detail small">
          <div>
            <span className="muted">
              {t('from')}
              {t('colon')}
            </span>
            {names(m.headers.from, t('listSeparator'))}
          </div>
          <div>
            <span className="muted">
              {t('to')}
              {t('colon')}
            </span>
            {names(m.headers.to, t('listSeparator'))}
          </div>
          {m.headers.cc.length ? (
            <div>
              <span className="muted">
                {t('cc')}
                {t('colon')}
              </span>
              {names(m.headers.cc, t('listSeparator'))}
            </div>
          ) : null}
        </div>
      ) : (
        <div className="muted small ellipsis">
          {t('to')}
          {t('colon')}
          {m.headers.to.map((a) => a.name || a.address).join(t('listSeparator'))}
        </div>
      )}
    </div>
  );
}

function Attachments({ items }: { items: AttachmentDto[] }) {
  const { t } = useI18n();
  if (items.length === 0) return null;
  const download = async (a: AttachmentDto) => {
    try {
      const blob = await apiBlob(a.url);
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = a.filename;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      Dialog.alert({ content: `${t('downloadFailed')}: ${errorText(err, t)}`, confirmText: t('confirm') });
    }
  };
  return (
    <List header={t('attachments', { count: items.length })} className="attachments">
      {items.map((a) => (
        <List.Item
          key={a.id}
          prefix={<FileOutline className="file-icon" />}
          description={formatSize(a.size)}
          onClick={() => void download(a)}
        >
          {a.filename}
        </List.Item>
      ))}
    </List>
  );
}

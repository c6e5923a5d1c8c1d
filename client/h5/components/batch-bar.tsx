import { Dialog, Toast } from 'antd-mobile';
import {
  CheckCircleOutline,
  DeleteOutline,
  FolderOutline,
  MailOpenOutline,
  StarOutline,
} from 'antd-mobile-icons';
import { useState } from 'react';
import type { FolderDto, FolderRole } from '../../../shared/mail/folders';
import type { BatchAction } from '../../../shared/mail/messages';
import { errorText } from '../../common/hooks';
import { useI18n, type MessageKey } from '../../common/i18n';
import { batch } from '../h5-endpoints';
import { folderTitle, MoveToFolder } from './folder-tree';

/** Select mode's bottom bar: one batch request (one transaction) per action, for all picked messages. */
export function BatchBar(props: {
  ids: string[];
  role: FolderRole | null;
  folders: FolderDto[] | undefined;
  currentFolderId?: string;
  /** Leaves select mode and reloads the list and the folder counts. */
  onDone(): Promise<void> | void;
}) {
  const { t } = useI18n();
  const [moving, setMoving] = useState(false);
  const [busy, setBusy] = useState(false);
  const n = props.ids.length;
  const forever = props.role === 'trash' || props.role === 'junk';
  const run = async (action: BatchAction, done?: string, folderId?: string) => {
    if (n === 0 || busy) return;
    setBusy(true);
    try {
      const affected = await batch({ ids: props.ids, action, folderId });
      Toast.show({ content: done ?? t('batchDone', { count: affected }) });
      await props.onDone();
    } catch (err) {
      Toast.show({ icon: 'fail', content: errorText(err, t) });
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    if (forever) {
      const ok = await Dialog.confirm({
        content: t('deleteForeverConfirm', { count: n }),
        confirmText: t('deleteForever'),
        cancelText: t('cancel'),
      });
      if (ok) await run('delete');
    } else await run('trash', t('movedToTrash'));
  };
  const button = (
    key: string,
    label: MessageKey,
    icon: React.ReactNode,
    onClick: () => void,
    danger = false,
  ) => (
    <button
      type="button"
      key={key}
      className={danger ? 'batch-button danger' : 'batch-button'}
      disabled={n === 0 || busy}
      onClick={onClick}
      data-testid={`batch-${key}`}
    >
      {icon}
      <span>{t(label)}</span>
    </button>
  );
  return (
    <div className="batch-bar" data-testid="batch-bar">
      {button('read', 'markRead', <CheckCircleOutline />, () => void run('seen'))}
      {button('unread', 'markUnread', <MailOpenOutline />, () => void run('unseen'))}
      {button('flag', 'flag', <StarOutline />, () => void run('flag'))}
      {button('move', 'moveTo', <FolderOutline />, () => setMoving(true))}
      {button('delete', forever ? 'deleteForever' : 'delete', <DeleteOutline />, () => void remove(), true)}
      <MoveToFolder
        visible={moving}
        folders={props.folders}
        currentId={props.currentFolderId}
        onClose={() => setMoving(false)}
        onPick={(f) => {
          setMoving(false);
          void run('move', t('movedTo', { name: folderTitle(f, t) }), f.id);
        }}
      />
    </div>
  );
}

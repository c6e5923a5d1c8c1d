import { Badge, InfiniteScroll, List, Popup, PullToRefresh, SearchBar } from 'antd-mobile';
import { EditSOutline, UnorderedListOutline } from 'antd-mobile-icons';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { FolderDto, FolderRole } from '../../../shared/mail/folders';
import type { MessageSummaryDto } from '../../../shared/mail/messages';
import { mail } from '../../common/endpoints';
import { useI18n, type MessageKey } from '../../common/i18n';
import { BatchBar } from '../components/batch-bar';
import { FolderDrawer, folderTitle, ROLE_ORDER, showsUnread } from '../components/folder-tree';
import { HomeTabs, Page } from '../components/page';
import { MessageRow } from '../components/message-row';
import { Empty, Failure, Loading } from '../components/states';
import { useAsync } from '../../common/hooks';
import { navigate } from '../router';

export { folderTitle } from '../components/folder-tree';

/** The home screen: one folder's messages (Inbox first), folders in a side drawer, select mode. */
export function MailHome(props: { folderKey: string }) {
  const { t } = useI18n();
  const [drawer, setDrawer] = useState(false);
  const folders = useAsync(mail.folders, []);
  const isRole = (ROLE_ORDER as string[]).includes(props.folderKey);
  const folder = folders.data?.find((f) => (isRole ? f.role === props.folderKey : f.id === props.folderKey));
  const title = folder ? folderTitle(folder, t) : isRole ? t(`folder_${props.folderKey}` as MessageKey) : '';
  const role = folder?.role ?? (isRole ? (props.folderKey as FolderRole) : null);
  const list = useMessageList(props.folderKey, isRole);
  /** Select mode (long-press a row): the picked ids; null when not selecting. */
  const [selected, setSelected] = useState<Set<string> | null>(null);
  // Drafts and scheduled sends have their own screens; no batch actions there.
  const selectable = role !== 'drafts' && role !== 'scheduled';

  const refresh = async () => {
    await Promise.all([list.refresh(), folders.reload()]);
  };
  const toggle = (id: string) =>
    setSelected((prev) => {
      const next = new Set(prev ?? []);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const open = (m: MessageSummaryDto) => {
    if (selected) toggle(m.id);
    else if (role === 'drafts') navigate(`/compose?draft=${m.id}`);
    else if (role === 'scheduled') navigate('/scheduled');
    else navigate(`/m/${m.id}`);
  };
  const allPicked = selected !== null && list.items.length > 0 && selected.size === list.items.length;
  const selectRight = (
    <span
      className="nav-text"
      role="button"
      data-testid="select-all"
      onClick={() => setSelected(allPicked ? new Set() : new Set(list.items.map((m) => m.id)))}
    >
      {allPicked ? t('cancel') : t('selectAll')}
    </span>
  );
  const normalRight = (
    <span className="nav-icons">
      {selectable && list.items.length > 0 ? (
        <span
          className="nav-text"
          role="button"
          data-testid="start-select"
          onClick={() => setSelected(new Set())}
        >
          {t('select')}
        </span>
      ) : null}
      <span
        className="nav-icon"
        role="button"
        aria-label={t('folders')}
        data-testid="open-folders"
        onClick={() => setDrawer(true)}
      >
        <Badge content={folders.data && unreadOutsideInbox(folders.data) ? Badge.dot : null}>
          <UnorderedListOutline />
        </Badge>
      </span>
    </span>
  );
  return (
    <Page
      title={selected ? t('selectedCount', { count: selected.size }) : title}
      pageTitle={title || t('appName')}
      back={false}
      left={
        selected ? (
          <span className="nav-text" role="button" data-testid="end-select" onClick={() => setSelected(null)}>
            {t('done')}
          </span>
        ) : undefined
      }
      testId="mail-home"
      right={selected ? selectRight : normalRight}
      footer={
        selected ? (
          <BatchBar
            ids={[...selected]}
            role={role}
            folders={folders.data}
            currentFolderId={folder?.id}
            onDone={async () => {
              setSelected(null);
              await refresh();
            }}
          />
        ) : (
          <HomeTabs active="mail" />
        )
      }
    >
      {selected ? null : (
        <div className="sticky-search" onClick={() => navigate('/search')}>
          <SearchBar placeholder={t('searchPlaceholder')} onFocus={() => navigate('/search')} />
        </div>
      )}
      <PullToRefresh
        onRefresh={refresh}
        disabled={selected !== null}
        pullingText={t('pullToRefresh')}
        canReleaseText={t('releaseToRefresh')}
        refreshingText={t('refreshing')}
        completeText={t('refreshed')}
      >
        {list.error && list.items.length === 0 ? (
          <Failure error={list.error} onRetry={() => void list.refresh()} />
        ) : list.loading && list.items.length === 0 ? (
          <Loading />
        ) : list.items.length === 0 ? (
          <Empty title={t('emptyFolder')} />
        ) : (
          <List className="message-list" data-testid="message-list">
            {list.items.map((m) => (
              <MessageRow
                key={m.id}
                message={m}
                showRecipients={role === 'sent' || role === 'drafts' || role === 'scheduled'}
                onClick={() => open(m)}
                onLongPress={selectable && !selected ? () => setSelected(new Set([m.id])) : undefined}
                selected={selected ? selected.has(m.id) : undefined}
              />
            ))}
          </List>
        )}
        {list.items.length > 0 ? (
          <InfiniteScroll loadMore={list.loadMore} hasMore={list.hasMore}>
            {list.hasMore ? <Loading /> : <span className="muted">{t('noMore')}</span>}
          </InfiniteScroll>
        ) : null}
      </PullToRefresh>
      {selected ? null : (
        <button
          type="button"
          className="compose-fab"
          aria-label={t('compose')}
          data-testid="compose-button"
          onClick={() => navigate('/compose')}
        >
          <EditSOutline fontSize={24} />
        </button>
      )}
      <Popup
        visible={drawer}
        onMaskClick={() => setDrawer(false)}
        position="left"
        bodyClassName="folder-drawer"
      >
        <FolderDrawer
          folders={folders.data}
          error={folders.error}
          current={folder?.id}
          onChanged={folders.reload}
          onPick={(f) => {
            setDrawer(false);
            navigate(f.role === 'inbox' ? '/' : `/f/${f.role ?? f.id}`, { replace: true });
          }}
        />
      </Popup>
    </Page>
  );
}

function unreadOutsideInbox(folders: FolderDto[]): boolean {
  return folders.some((f) => f.role !== 'inbox' && f.role !== 'trash' && f.role !== 'junk' && showsUnread(f));
}

/** Keyset paging over one folder: refresh starts over, loadMore follows nextCursor. */
function useMessageList(folderKey: string, isRole: boolean) {
  const [items, setItems] = useState<MessageSummaryDto[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>();
  const key = useRef(folderKey);
  const query = useCallback(
    (c?: string) =>
      mail.list(isRole ? { folderRole: folderKey, cursor: c } : { folderId: folderKey, cursor: c }),
    [folderKey, isRole],
  );
  const refresh = useCallback(async () => {
    key.current = folderKey;
    setLoading(true);
    setError(undefined);
    try {
      const page = await query();
      if (key.current !== folderKey) return;
      setItems(page.messages);
      setCursor(page.nextCursor);
      setHasMore(page.nextCursor !== null);
    } catch (err) {
      setError(err);
      setHasMore(false);
    } finally {
      setLoading(false);
    }
  }, [folderKey, query]);
  const loadMore = useCallback(async () => {
    if (!cursor) {
      setHasMore(false);
      return;
    }
    const page = await query(cursor);
    setItems((prev) => [...prev, ...page.messages.filter((m) => !prev.some((p) => p.id === m.id))]);
    setCursor(page.nextCursor);
    setHasMore(page.nextCursor !== null);
  }, [cursor, query]);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return { items, hasMore, loading, error, refresh, loadMore };
}

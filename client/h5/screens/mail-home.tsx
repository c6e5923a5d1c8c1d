import { Badge, InfiniteScroll, List, Popup, PullToRefresh, SearchBar } from 'antd-mobile';
import { EditSOutline, UnorderedListOutline } from 'antd-mobile-icons';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { FolderDto, FolderRole } from '../../../shared/mail/folders';
import type { MessageSummaryDto } from '../../../shared/mail/messages';
import { mail } from '../../common/endpoints';
import { useI18n, type MessageKey } from '../../common/i18n';
import { HomeTabs, Page } from '../components/page';
import { MessageRow } from '../components/message-row';
import { Empty, Failure, Loading } from '../components/states';
import { useAsync } from '../../common/hooks';
import { navigate } from '../router';

const ROLE_ORDER: FolderRole[] = ['inbox', 'drafts', 'scheduled', 'sent', 'archive', 'junk', 'trash'];

export function folderTitle(folder: Pick<FolderDto, 'role' | 'name'>, t: (k: MessageKey) => string): string {
  return folder.role ? t(`folder_${folder.role}` as MessageKey) : folder.name;
}

/** The home screen: one folder's messages (Inbox first), folders in a side drawer. */
export function MailHome(props: { folderKey: string }) {
  const { t } = useI18n();
  const [drawer, setDrawer] = useState(false);
  const folders = useAsync(mail.folders, []);
  const isRole = (ROLE_ORDER as string[]).includes(props.folderKey);
  const folder = folders.data?.find((f) => (isRole ? f.role === props.folderKey : f.id === props.folderKey));
  const title = folder ? folderTitle(folder, t) : isRole ? t(`folder_${props.folderKey}` as MessageKey) : '';
  const role = folder?.role ?? (isRole ? (props.folderKey as FolderRole) : null);
  const list = useMessageList(props.folderKey, isRole);

  const refresh = async () => {
    await Promise.all([list.refresh(), folders.reload()]);
  };
  const open = (m: MessageSummaryDto) => {
    if (role === 'drafts') navigate(`/compose?draft=${m.id}`);
    else if (role === 'scheduled') navigate('/scheduled');
    else navigate(`/m/${m.id}`);
  };
  return (
    <Page
      title={title}
      back={false}
      testId="mail-home"
      right={
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
      }
      footer={<HomeTabs active="mail" />}
    >
      <div className="sticky-search" onClick={() => navigate('/search')}>
        <SearchBar placeholder={t('searchPlaceholder')} onFocus={() => navigate('/search')} />
      </div>
      <PullToRefresh
        onRefresh={refresh}
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
      <button
        type="button"
        className="compose-fab"
        aria-label={t('compose')}
        data-testid="compose-button"
        onClick={() => navigate('/compose')}
      >
        <EditSOutline fontSize={24} />
      </button>
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
  return folders.some((f) => f.role !== 'inbox' && f.role !== 'trash' && f.role !== 'junk' && f.unread > 0);
}

function FolderDrawer(props: {
  folders: FolderDto[] | undefined;
  error: unknown;
  current?: string;
  onPick(folder: FolderDto): void;
}) {
  const { t } = useI18n();
  const sorted = useMemo(() => {
    const all = props.folders ?? [];
    const system = ROLE_ORDER.map((r) => all.find((f) => f.role === r)).filter((f): f is FolderDto => !!f);
    const own = all.filter((f) => !f.role).sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
    return { system, own };
  }, [props.folders]);
  if (props.error) return <Failure error={props.error} />;
  if (!props.folders) return <Loading />;
  const item = (f: FolderDto) => (
    <List.Item
      key={f.id}
      data-testid={`folder-${f.role ?? f.name}`}
      className={f.id === props.current ? 'folder-current' : undefined}
      onClick={() => props.onPick(f)}
      extra={
        f.unread > 0 ? (
          <Badge content={f.unread > 99 ? '99+' : f.unread} />
        ) : f.total > 0 && f.role === 'drafts' ? (
          f.total
        ) : null
      }
      arrowIcon={false}
    >
      {folderTitle(f, t)}
    </List.Item>
  );
  return (
    <div data-testid="folder-drawer">
      <List header={t('folders')}>{sorted.system.map(item)}</List>
      {sorted.own.length > 0 ? <List header={t('myFolders')}>{sorted.own.map(item)}</List> : null}
    </div>
  );
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

import { InfiniteScroll, List, NoticeBar, SearchBar } from 'antd-mobile';
import { useCallback, useEffect, useState } from 'react';
import type { MessageSummaryDto } from '../../../shared/mail/messages';
import { mail } from '../../common/endpoints';
import { useI18n } from '../../common/i18n';
import { MessageRow } from '../components/message-row';
import { Page } from '../components/page';
import { Empty, Failure, Loading } from '../components/states';
import { useDebounced } from '../../common/hooks';
import { goBack, navigate } from '../router';

export default function Search() {
  const { t } = useI18n();
  const [q, setQ] = useState('');
  const query = useDebounced(q.trim(), 300);
  const [items, setItems] = useState<MessageSummaryDto[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [partial, setPartial] = useState(false);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>();

  const run = useCallback(async () => {
    if (!query) {
      setItems([]);
      setCursor(null);
      return;
    }
    setLoading(true);
    setError(undefined);
    try {
      const r = await mail.search(query);
      setItems(r.messages);
      setCursor(r.nextCursor);
      setPartial(r.partial);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  }, [query]);
  useEffect(() => {
    void run();
  }, [run]);

  const more = async () => {
    if (!cursor) return;
    const r = await mail.search(query, cursor);
    setItems((prev) => [...prev, ...r.messages]);
    setCursor(r.nextCursor);
  };

  return (
    <Page title={t('search')} back="/" testId="search">
      <div className="sticky-search">
        <SearchBar
          placeholder={t('searchPlaceholder')}
          value={q}
          onChange={setQ}
          autoFocus
          showCancelButton
          cancelText={t('cancel')}
          onCancel={() => goBack('/')}
        />
      </div>
      {partial ? <NoticeBar content={t('searchPartial')} color="info" /> : null}
      {!query ? (
        <Empty title={t('searchHint')} />
      ) : error ? (
        <Failure error={error} onRetry={() => void run()} />
      ) : loading && items.length === 0 ? (
        <Loading />
      ) : items.length === 0 ? (
        <Empty title={t('searchEmpty')} />
      ) : (
        <>
          <List className="message-list">
            {items.map((m) => (
              <MessageRow key={m.id} message={m} onClick={() => navigate(`/m/${m.id}`)} />
            ))}
          </List>
          <InfiniteScroll loadMore={more} hasMore={cursor !== null} />
        </>
      )}
    </Page>
  );
}

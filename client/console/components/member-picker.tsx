import { Select } from 'antd';
import { useEffect, useState } from 'react';
import { members } from '../endpoints';
import { useDebounced } from '../hooks';

interface Option {
  value: string;
  label: string;
}

/** Picks members by id, searching by name, pinyin or address (the admin members API). */
export function MemberPicker(props: {
  value?: string[];
  onChange?: (ids: string[]) => void;
  placeholder?: string;
  testId?: string;
}) {
  const [search, setSearch] = useState('');
  const q = useDebounced(search, 250);
  const [found, setFound] = useState<Option[]>([]);
  const [known, setKnown] = useState<Record<string, string>>({});
  const label = (m: { displayName: string; email: string | null }) =>
    m.email ? `${m.displayName} <${m.email}>` : m.displayName;

  useEffect(() => {
    let live = true;
    void members
      .list(q ? { q } : {})
      .then((page) => live && setFound(page.members.map((m) => ({ value: m.id, label: label(m) }))))
      .catch(() => live && setFound([]));
    return () => {
      live = false;
    };
  }, [q]);

  // Names for ids already chosen (a saved policy holds ids only).
  const ids = props.value ?? [];
  useEffect(() => {
    const missing = ids.filter((id) => !known[id]).slice(0, 50);
    if (missing.length === 0) return;
    void Promise.all(missing.map((id) => members.get(id).catch(() => null))).then((got) =>
      setKnown((k) => ({
        ...k,
        ...Object.fromEntries(got.filter((m) => m).map((m) => [m!.id, label(m!)])),
      })),
    );
  }, [ids.join(',')]);

  const options = [
    ...ids
      .filter((id) => !found.some((f) => f.value === id))
      .map((id) => ({ value: id, label: known[id] ?? id })),
    ...found,
  ];
  return (
    <Select
      mode="multiple"
      showSearch={{ filterOption: false, onSearch: setSearch }}
      value={ids}
      onChange={(v: string[]) => {
        props.onChange?.(v);
        setKnown((k) => ({
          ...k,
          ...Object.fromEntries(found.filter((f) => v.includes(f.value)).map((f) => [f.value, f.label])),
        }));
      }}
      options={options}
      placeholder={props.placeholder}
      data-testid={props.testId}
      style={{ width: '100%' }}
    />
  );
}

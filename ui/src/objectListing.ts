import { useCallback, useEffect, useRef, useState } from "react";
import { errorOf, type ApiError, type Entry, type ObjectApi } from "./api";

export type SortKey = "name" | "size" | "date";

/**
 * A folder's listing as the browser shows it: the first page at once, the next ones as the
 * list scrolls near the end of what is loaded. A reload or another folder starts a new
 * generation; late pages of the old one are dropped.
 */
export function useObjectListing(api: ObjectApi, profile: string, bucket: string, prefix: string) {
  const [entries, setEntries] = useState<Entry[]>([]);
  const [done, setDone] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ApiError | null>(null);
  /** The rows shown are the folder's last known first page, while a fresh one loads. */
  const [stale, setStale] = useState(false);
  const generation = useRef(0);
  const next = useRef<string | null>(null);
  const busy = useRef(false);

  const loadPage = useCallback(
    async (current: number, token: string | null) => {
      busy.current = true;
      setLoading(true);
      try {
        const page = await api.listObjects(profile, bucket, prefix, token);
        if (current !== generation.current) return;
        next.current = page.next;
        setStale(false);
        setEntries((before) => (token === null ? page.entries : [...before, ...page.entries]));
        setDone(page.next === null);
        setError(null);
      } catch (thrown) {
        if (current === generation.current) setError(errorOf(thrown));
      } finally {
        if (current === generation.current) {
          busy.current = false;
          setLoading(false);
        }
      }
    },
    [api, profile, bucket, prefix],
  );

  const reload = useCallback(() => {
    const current = ++generation.current;
    next.current = null;
    void loadPage(current, null);
  }, [loadPage]);

  useEffect(() => {
    setEntries([]);
    setDone(false);
    setStale(false);
    const current = generation.current + 1;
    reload();
    // The last known first page, shown until the fresh one arrives.
    void api.listRecent(profile, bucket, prefix).then(
      (recent) => {
        if (recent && current === generation.current && busy.current) {
          setEntries(recent.entries);
          setStale(true);
        }
      },
      () => {},
    );
  }, [reload, api, profile, bucket, prefix]);

  /** Asks for the next page when the view reaches within a page of the loaded end. */
  const need = useCallback(
    (_first: number, last: number, loaded: number) => {
      if (!busy.current && next.current !== null && last + 200 >= loaded) {
        void loadPage(generation.current, next.current);
      }
    },
    [loadPage],
  );

  return { entries, done, loading, stale, error, reload, need };
}

/** Loaded rows in display order, with each name lowercased once for the filter. */
export interface Arranged {
  entries: Entry[];
  folded: string[];
}

/** Folders first, then by `key`. Done once per listing change or sort, not per keystroke. */
export function arrange(entries: Entry[], key: SortKey, descending: boolean): Arranged {
  const direction = descending ? -1 : 1;
  const value = (e: Entry) => (key === "size" ? e.size : key === "date" ? (e.last_modified ?? "") : e.name);
  const sorted = [...entries].sort((a, b) => {
    if (a.folder !== b.folder) return a.folder ? -1 : 1;
    const [va, vb] = [value(a), value(b)];
    if (va !== vb) return (va < vb ? -1 : 1) * direction;
    return a.key < b.key ? -1 : 1;
  });
  return { entries: sorted, folded: sorted.map((e) => e.name.toLowerCase()) };
}

/** The arranged rows whose names contain `filter`, ignoring case: one pass over the
 * pre-lowercased names, as the bucket search does over its list. */
export function matching({ entries, folded }: Arranged, filter: string): Entry[] {
  const text = filter.toLowerCase();
  if (!text) return entries;
  return entries.filter((_, i) => folded[i].includes(text));
}

/** Bytes in words: "1.5 MB". */
export function size(bytes: number): string {
  const units = ["bytes", "KB", "MB", "GB", "TB", "PB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit + 1 < units.length) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

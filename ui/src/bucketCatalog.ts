import { useCallback, useEffect, useRef, useState } from "react";
import { errorOf, type ApiError, type Bucket, type BucketApi, type BucketFilter, type BucketIndex } from "./api";

/** Rows fetched per request of the virtual list. */
export const PAGE_SIZE = 100;

/**
 * A profile's filtered bucket list as the virtual list needs it: the index (total, A–Z
 * counts) at once, rows page by page as they come into view. Every answer belongs to one
 * generation; a new filter or a reload starts the next, and late answers of the old one are
 * dropped.
 */
export function useBucketCatalog(api: BucketApi, profile: string, filter: BucketFilter) {
  const [index, setIndex] = useState<BucketIndex | null>(null);
  const [pages, setPages] = useState<Map<number, Bucket[]>>(new Map());
  const [error, setError] = useState<ApiError | null>(null);
  const generation = useRef(0);
  const requested = useRef(new Set<number>());

  const reload = useCallback(async () => {
    const current = ++generation.current;
    try {
      // The first page is asked for with the index, not after it: one round trip less.
      const [fresh, first] = await Promise.all([
        api.bucketIndex(profile, filter),
        api.bucketList(profile, filter, 0, PAGE_SIZE),
      ]);
      if (current !== generation.current) return;
      requested.current = new Set([0]);
      setPages(new Map([[0, first]]));
      setIndex(fresh);
      setError(null);
    } catch (thrown) {
      if (current === generation.current) setError(errorOf(thrown));
    }
  }, [api, profile, filter]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const need = useCallback(
    (first: number, last: number) => {
      const current = generation.current;
      for (let page = Math.floor(first / PAGE_SIZE); page <= Math.floor((last - 1) / PAGE_SIZE); page++) {
        if (requested.current.has(page)) continue;
        requested.current.add(page);
        api
          .bucketList(profile, filter, page * PAGE_SIZE, PAGE_SIZE)
          .then((rows) => {
            if (current === generation.current) setPages((old) => new Map(old).set(page, rows));
          })
          .catch((thrown) => {
            requested.current.delete(page);
            if (current === generation.current) setError(errorOf(thrown));
          });
      }
    },
    // A new index (a reload) means new pages: `need` changes so the list asks again.
    [api, profile, filter, index],
  );

  const rowAt = useCallback((i: number) => pages.get(Math.floor(i / PAGE_SIZE))?.[i % PAGE_SIZE], [pages]);

  return { index, rowAt, need, reload, error };
}

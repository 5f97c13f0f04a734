import { useCallback, useEffect, useState } from "react";
import type { Bucket, BucketApi } from "../api";
import { dropTarget } from "../drop";
import { useEngineEvents } from "../events";
import { FolderIcon } from "./Icons";

/** Buckets shown under the selected profile; the profile's page has them all. */
const SHOWN = 50;

interface Props {
  api: BucketApi;
  profile: string;
  /** The bucket being browsed, highlighted. */
  current: string | null;
  onOpen(bucket: string): void;
  onMore(): void;
}

/** The selected profile's buckets in the sidebar, from the catalog. */
export function SidebarBuckets({ api, profile, current, onOpen, onMore }: Props) {
  const [buckets, setBuckets] = useState<Bucket[]>([]);
  const [total, setTotal] = useState(0);
  const load = useCallback(() => {
    const filter = { search: null, letter: null, visibility: null };
    Promise.all([api.bucketIndex(profile, filter), api.bucketList(profile, filter, 0, SHOWN)]).then(
      ([index, rows]) => {
        setTotal(index.total);
        setBuckets(rows);
      },
      () => {},
    );
  }, [api, profile]);
  useEffect(load, [load]);
  useEngineEvents((event) => {
    if (event.kind === "buckets_changed" && event.profile === profile) load();
  });
  if (buckets.length === 0) return null;
  return (
    <ul className="sidebar-buckets" aria-label={`Buckets of ${profile}`}>
      {buckets.map((b) => (
        <li key={b.name}>
          <button
            type="button"
            className="sidebar-bucket"
            {...dropTarget(b.name)}
            aria-current={b.name === current ? "true" : undefined}
            onClick={() => onOpen(b.name)}
          >
            <FolderIcon size={14} />
            <span>{b.name}</span>
          </button>
        </li>
      ))}
      {total > buckets.length && (
        <li>
          <button type="button" className="button-link sidebar-more" onClick={onMore}>
            All {total.toLocaleString("en-US")} buckets…
          </button>
        </li>
      )}
    </ul>
  );
}

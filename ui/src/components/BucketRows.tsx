import type { Ref } from "react";
import type { Bucket } from "../api";
import { dropTarget } from "../drop";
import { VirtualList, type VirtualListHandle } from "./VirtualList";

export type BucketRowsHandle = VirtualListHandle;

interface Props {
  total: number;
  rowAt(index: number): Bucket | undefined;
  need(first: number, last: number): void;
  selected: number;
  onSelect(index: number): void;
  /** Enter or a double click. */
  onOpen(bucket: Bucket): void;
  /** A printable key typed in the list: searching starts with it. */
  onType(text: string): void;
  handle: Ref<BucketRowsHandle>;
}

/** The bucket list: name, region, creation date and access, as a virtual list. */
export function BucketRows(props: Props) {
  return (
    <VirtualList<Bucket>
      {...props}
      label="Buckets"
      className="bucket-rows"
      rowClassName="bucket-row"
      rowAttributes={(bucket) => (bucket ? dropTarget(bucket.name) : undefined)}
      render={(bucket) =>
        bucket ? (
          <>
            <span className="cell-name">{bucket.name}</span>
            <span className="cell-region">{bucket.region ?? "—"}</span>
            <span className="cell-date">{bucket.created_at?.slice(0, 10) ?? "—"}</span>
            <span className="cell-access">{bucket.public === null ? "—" : bucket.public ? "Public" : "Private"}</span>
          </>
        ) : (
          <span className="cell-name loading">…</span>
        )
      }
    />
  );
}

import { useEffect, useImperativeHandle, useRef, useState, type KeyboardEvent, type Ref } from "react";
import type { Bucket } from "../api";

export const ROW_HEIGHT = 32;
/** Rows rendered beyond the visible ones, so fast scrolling shows rows rather than gaps. */
const OVERSCAN = 10;
/** Height assumed before the list is laid out (and in tests, where nothing is). */
const FALLBACK_HEIGHT = 480;

export interface BucketRowsHandle {
  /** Scrolls so that `row` is the first visible one, and selects it. */
  jumpTo(row: number): void;
  focus(): void;
}

interface Props {
  total: number;
  /** The row at `index`, or `undefined` while its page is loading (then `need` is called). */
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

/** A virtual list: only the rows in view (plus a margin) exist in the DOM, whatever the total. */
export function BucketRows({ total, rowAt, need, selected, onSelect, onOpen, onType, handle }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(FALLBACK_HEIGHT);

  useEffect(() => {
    const element = box.current;
    if (!element || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => setHeight(element.clientHeight || FALLBACK_HEIGHT));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(total, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
  useEffect(() => {
    if (last > first) need(first, last);
  }, [first, last, need]);

  function scrollTo(top: number) {
    if (box.current) box.current.scrollTop = top;
    setScrollTop(top);
  }

  /** Selects `index` and scrolls only as far as needed to show it. */
  function select(index: number) {
    const row = Math.max(0, Math.min(total - 1, index));
    onSelect(row);
    const top = row * ROW_HEIGHT;
    if (top < scrollTop) scrollTo(top);
    else if (top + ROW_HEIGHT > scrollTop + height) scrollTo(top + ROW_HEIGHT - height);
  }

  useImperativeHandle(handle, () => ({
    jumpTo(row) {
      onSelect(row);
      scrollTo(row * ROW_HEIGHT);
      box.current?.focus();
    },
    focus: () => box.current?.focus(),
  }));

  function onKeyDown(e: KeyboardEvent) {
    const page = Math.max(1, Math.floor(height / ROW_HEIGHT) - 1);
    const moves: Record<string, number> = {
      ArrowDown: selected + 1,
      ArrowUp: selected - 1,
      PageDown: selected + page,
      PageUp: selected - page,
      Home: 0,
      End: total - 1,
    };
    if (e.key in moves && total > 0) {
      e.preventDefault();
      select(moves[e.key]);
    } else if (e.key === "Enter") {
      const bucket = rowAt(selected);
      if (bucket) onOpen(bucket);
    } else if (e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey && e.key !== " ") {
      e.preventDefault();
      onType(e.key);
    }
  }

  const rows = [];
  for (let i = first; i < last; i++) {
    const bucket = rowAt(i);
    rows.push(
      <div
        key={i}
        role="option"
        aria-selected={i === selected}
        className="bucket-row"
        style={{ top: i * ROW_HEIGHT, height: ROW_HEIGHT }}
        onClick={() => {
          onSelect(i);
          box.current?.focus();
        }}
        onDoubleClick={() => bucket && onOpen(bucket)}
      >
        {bucket ? (
          <>
            <span className="cell-name">{bucket.name}</span>
            <span className="cell-region">{bucket.region ?? "—"}</span>
            <span className="cell-date">{bucket.created_at?.slice(0, 10) ?? "—"}</span>
            <span className="cell-access">{bucket.public === null ? "—" : bucket.public ? "Public" : "Private"}</span>
          </>
        ) : (
          <span className="cell-name loading">…</span>
        )}
      </div>,
    );
  }

  return (
    <div
      ref={box}
      className="bucket-rows"
      role="listbox"
      aria-label="Buckets"
      tabIndex={0}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      onKeyDown={onKeyDown}
    >
      <div className="bucket-rows-spacer" style={{ height: total * ROW_HEIGHT }}>
        {rows}
      </div>
    </div>
  );
}

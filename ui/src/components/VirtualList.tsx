import { useEffect, useImperativeHandle, useRef, useState, type KeyboardEvent, type ReactNode, type Ref } from "react";

export const ROW_HEIGHT = 32;
/** Rows rendered beyond the visible ones, so fast scrolling shows rows rather than gaps. */
const OVERSCAN = 10;
/** Height assumed before the list is laid out (and in tests, where nothing is). */
const FALLBACK_HEIGHT = 480;
/**
 * The tallest scroll area made. WebKit caps an element near 33.5 million px (a million rows
 * of 32 px pass it): beyond this height the scroll position is scaled onto the rows.
 */
export const MAX_SCROLL_HEIGHT = 8_000_000;

export interface VirtualListHandle {
  /** Scrolls so that `row` is the first visible one, and selects it. */
  jumpTo(row: number): void;
  focus(): void;
}

interface Props<T> {
  label: string;
  className: string;
  rowClassName: string;
  total: number;
  /** The row at `index`, or `undefined` while it is loading (then `need` is called). */
  rowAt(index: number): T | undefined;
  need(first: number, last: number): void;
  selected: number;
  onSelect(index: number): void;
  /** Enter or a double click. */
  onOpen(row: T): void;
  /** A printable key typed in the list. */
  onType?(text: string): void;
  /** Other keys (Delete, F2…) with the selected row. */
  onKey?(event: KeyboardEvent, row: T | undefined): void;
  onContextMenu?(row: T, index: number, x: number, y: number): void;
  render(row: T | undefined, index: number): ReactNode;
  /** A row dragged: the drag is the caller's (the page's own is cancelled). */
  onDragOut?(row: T): void;
  /** More attributes of a row's element (a drop target's `data-` marks). */
  rowAttributes?(row: T | undefined): Record<string, string> | undefined;
  handle?: Ref<VirtualListHandle>;
}

/** Maps between the scroll area's pixels and the rows' own (scaled past MAX_SCROLL_HEIGHT). */
export function scrollScale(total: number, viewport: number): { height: number; scale: number } {
  const natural = total * ROW_HEIGHT;
  if (natural <= MAX_SCROLL_HEIGHT) return { height: natural, scale: 1 };
  return { height: MAX_SCROLL_HEIGHT, scale: (natural - viewport) / (MAX_SCROLL_HEIGHT - viewport) };
}

/** A virtual list: only the rows in view (plus a margin) exist in the DOM, whatever the total. */
export function VirtualList<T>(props: Props<T>) {
  const { total, rowAt, need, selected, onSelect, onOpen, onType, onKey, render, handle } = props;
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

  const { height: spacer, scale } = scrollScale(total, height);
  /** The top of the view in the rows' own pixels. */
  const top = scrollTop * scale;
  const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(total, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
  useEffect(() => {
    if (last > first) need(first, last);
  }, [first, last, need]);

  function scrollTo(rowsTop: number) {
    const real = rowsTop / scale;
    if (box.current) box.current.scrollTop = real;
    setScrollTop(real);
  }

  /** Selects `index` and scrolls only as far as needed to show it. */
  function select(index: number) {
    const row = Math.max(0, Math.min(total - 1, index));
    onSelect(row);
    const rowTop = row * ROW_HEIGHT;
    if (rowTop < top) scrollTo(rowTop);
    else if (rowTop + ROW_HEIGHT > top + height) scrollTo(rowTop + ROW_HEIGHT - height);
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
      const row = rowAt(selected);
      if (row !== undefined) onOpen(row);
    } else if (onType && e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey && e.key !== " ") {
      e.preventDefault();
      onType(e.key);
    } else {
      onKey?.(e, rowAt(selected));
    }
  }

  const rows = [];
  for (let i = first; i < last; i++) {
    const row = rowAt(i);
    rows.push(
      <div
        key={i}
        role="option"
        aria-selected={i === selected}
        className={props.rowClassName}
        {...props.rowAttributes?.(row)}
        draggable={props.onDragOut && row !== undefined}
        onDragStart={(e) => {
          e.preventDefault();
          if (row !== undefined) props.onDragOut?.(row);
        }}
        // Placed in the scroll area's pixels: its own top, shifted by how far the scaled view is.
        style={{ top: scrollTop + (i * ROW_HEIGHT - top), height: ROW_HEIGHT }}
        onClick={() => {
          onSelect(i);
          box.current?.focus();
        }}
        onDoubleClick={() => row !== undefined && onOpen(row)}
        onContextMenu={(e) => {
          if (row === undefined || !props.onContextMenu) return;
          e.preventDefault();
          onSelect(i);
          props.onContextMenu(row, i, e.clientX, e.clientY);
        }}
      >
        {render(row, i)}
      </div>,
    );
  }

  return (
    <div
      ref={box}
      className={props.className}
      role="listbox"
      aria-label={props.label}
      tabIndex={0}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      onKeyDown={onKeyDown}
    >
      <div className="virtual-spacer" style={{ height: spacer }}>
        {rows}
      </div>
    </div>
  );
}

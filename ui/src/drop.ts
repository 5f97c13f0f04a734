import { useEffect, useRef, useState } from "react";
import type { DropApi } from "./api";

/** A bucket, or a folder in it, that files can be dropped on. */
export interface DropPlace {
  bucket: string;
  prefix: string;
}

/** Marks an element (a bucket or folder row) as a place files can be dropped on. */
export function dropTarget(bucket: string, prefix = ""): Record<string, string> {
  return { "data-drop-bucket": bucket, "data-drop-prefix": prefix };
}

/** The element marked by `dropTarget` under a point of the window, if any. */
function targetAt(x: number, y: number): HTMLElement | null {
  // jsdom has no layout, hence no elementFromPoint.
  return document.elementFromPoint?.(x, y)?.closest<HTMLElement>("[data-drop-bucket]") ?? null;
}

function placeOf(element: HTMLElement): DropPlace {
  return { bucket: element.dataset.dropBucket ?? "", prefix: element.dataset.dropPrefix ?? "" };
}

const samePlace = (a: DropPlace | null | undefined, b: DropPlace | null | undefined) =>
  a === b || (a != null && b != null && a.bucket === b.bucket && a.prefix === b.prefix);

/**
 * Uploads what is dropped on the window: into the bucket or folder under the pointer, else into
 * `fallback` (the folder on show; null where there is none, and `onDrop` then says so). While
 * files are dragged over the window, the target under the pointer is highlighted, and the place
 * a drop would go to is returned (null: nowhere; undefined: nothing is being dragged).
 */
export function useDrops(
  api: DropApi,
  fallback: DropPlace | null,
  onDrop: (paths: string[], place: DropPlace | null) => void,
): DropPlace | null | undefined {
  const [hover, setHover] = useState<DropPlace | null | undefined>(undefined);
  const latest = useRef({ fallback, onDrop });
  latest.current = { fallback, onDrop };
  useEffect(() => {
    let marked: HTMLElement | null = null;
    const mark = (element: HTMLElement | null) => {
      if (element === marked) return;
      marked?.classList.remove("drop-target");
      element?.classList.add("drop-target");
      marked = element;
    };
    const stop = api.onDragDrop((drag) => {
      if (drag.kind === "leave") {
        mark(null);
        setHover(undefined);
        return;
      }
      const element = targetAt(drag.x, drag.y);
      const place = element ? placeOf(element) : latest.current.fallback;
      if (drag.kind === "over") {
        mark(element);
        setHover((shown) => (samePlace(shown, place) ? shown : place));
      } else {
        mark(null);
        setHover(undefined);
        latest.current.onDrop(drag.paths, place);
      }
    });
    return () => {
      mark(null);
      stop();
    };
  }, [api]);
  return hover;
}

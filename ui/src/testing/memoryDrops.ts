import type { Drag, DropApi } from "../api";

/** What was uploaded: the paths, `BUCKET/PREFIX`, and the metadata. */
export type Uploaded = [string[], string, [string, string][]][];

/** A stand-in for drag and drop on the window: `drag` plays what the shell would report. */
export function memoryDrops(uploaded: Uploaded = []): DropApi & { uploaded: Uploaded; drag(drag: Drag): void } {
  const handlers = new Set<(drag: Drag) => void>();
  let nextJob = 500;
  return {
    uploaded,
    uploadDropped: async (paths, { bucket, prefix, metadata }) => {
      uploaded.push([paths, `${bucket}/${prefix}`, metadata]);
      return paths.map(() => nextJob++);
    },
    onDragDrop: (handler) => {
      handlers.add(handler);
      return () => void handlers.delete(handler);
    },
    drag: (drag) => handlers.forEach((handler) => handler(drag)),
  };
}

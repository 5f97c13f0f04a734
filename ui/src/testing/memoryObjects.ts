import { memoryDrops, type Uploaded } from "./memoryDrops";
import type { Entry, ObjectApi, ObjectDetails, OpenUpload, UploadsApi } from "../api";

/** An in-memory stand-in for the object commands: keys with sizes, folders by "/". */
export function memoryObjects(keys: Record<string, number>, pageSize = 1000) {
  const store = new Map(Object.entries(keys));
  let nextJob = 100;
  let downloadFolder = "/home/me/Downloads";
  const tags: [string, string][] = [];
  const calls: {
    deleted: string[][];
    presigned: string[];
    copied: [string, string, boolean][];
    downloaded: [string[], string][];
    uploaded: Uploaded;
    draggedOut: string[];
  } = { deleted: [], presigned: [], copied: [], downloaded: [], uploaded: [], draggedOut: [] };
  /** What the pickers answer next: a folder (null as when the user cancels), files. */
  const picker: { next: string | null; files: string[] } = { next: null, files: [] };
  /** Multipart uploads left open in the bucket. */
  const open: OpenUpload[] = [];
  const api: ObjectApi & UploadsApi & {
    open: OpenUpload[];
    store: Map<string, number>;
    calls: typeof calls;
    tags: [string, string][];
    picker: typeof picker;
    drag: ReturnType<typeof memoryDrops>["drag"];
  } = {
    store,
    open,
    picker,
    tags,
    calls,
    listObjects: async (_profile, _bucket, prefix, token) => {
      const seen = new Set<string>();
      const entries: Entry[] = [];
      for (const key of [...store.keys()].sort()) {
        if (!key.startsWith(prefix) || key === prefix) continue;
        const rest = key.slice(prefix.length);
        const slash = rest.indexOf("/");
        if (slash >= 0) {
          const folder = prefix + rest.slice(0, slash + 1);
          if (seen.has(folder)) continue;
          seen.add(folder);
          entries.push({ name: rest.slice(0, slash + 1), key: folder, folder: true, size: 0, last_modified: null, storage_class: null, etag: null });
        } else {
          entries.push({ name: rest, key, folder: false, size: store.get(key) ?? 0, last_modified: "2026-11-20T10:00:00Z", storage_class: "STANDARD", etag: "e" });
        }
      }
      const start = token ? Number(token) : 0;
      const page = entries.slice(start, start + pageSize);
      const next = start + pageSize < entries.length ? String(start + pageSize) : null;
      return { entries: page, next };
    },
    listRecent: async () => null,
    headObject: async (_profile, _bucket, key): Promise<ObjectDetails> => ({
      key, size: store.get(key) ?? 0, last_modified: "2026-11-20T10:00:00Z", etag: "e", content_type: "image/jpeg",
      cache_control: null, storage_class: "STANDARD", metadata: [["camera", "X-T5"]], checksums: [], restore: null,
    }),
    editObject: async (_profile, _bucket, key, edit) => ({
      key, size: store.get(key) ?? 0, last_modified: null, etag: "e", content_type: edit.content_type,
      cache_control: edit.cache_control, storage_class: "STANDARD", metadata: edit.metadata, checksums: [], restore: null,
    }),
    objectTags: async () => tags,
    publicUrl: async (_profile, bucket, key) => `http://127.0.0.1:9/${bucket}/${key}`,
    thumbnail: async () => ({ mime: "image/jpeg", data: "/9j/", width: 320, height: 240 }),
    setObjectTags: async (_profile, _bucket, _key, next) => {
      tags.splice(0, tags.length, ...next);
    },
    downloadObjects: async (_profile, _bucket, keys) => {
      calls.downloaded.push([keys, downloadFolder]);
      return { jobs: keys.map(() => nextJob++), folder: downloadFolder, renamed: [] };
    },
    chooseDownloadFolder: async () => {
      if (picker.next) downloadFolder = picker.next;
      return picker.next;
    },
    deleteObjects: async (_profile, _bucket, doomed) => {
      calls.deleted.push(doomed);
      for (const key of [...store.keys()]) {
        if (doomed.some((d) => (d.endsWith("/") ? key.startsWith(d) : key === d))) store.delete(key);
      }
      return nextJob++;
    },
    copyObjects: async (source, target, removeSource) => {
      calls.copied.push([source, target, removeSource]);
      return nextJob++;
    },
    createFolder: async (_profile, _bucket, key) => {
      store.set(`${key}/`, 0);
      return `${key}/`;
    },
    presign: async (_profile, bucket, key) => {
      calls.presigned.push(key);
      return { url: `http://127.0.0.1:9/${bucket}/${key}?X-Amz-Signature=abc`, method: "GET", expires_at: "2026-11-24T10:00:00Z" };
    },
    usage: async (profile, bucket, prefix) => {
      const under = [...store.entries()].filter(([k]) => k.startsWith(prefix));
      return { name: `${profile}:${bucket}/${prefix}`, objects: under.length, bytes: under.reduce((n, [, s]) => n + s, 0) };
    },
    activity: async () => [],
    cancelJob: async () => {},
    dragOut: async (_profile, _bucket, key) => {
      calls.draggedOut.push(key);
    },
    uploadChoose: async ({ bucket, prefix, metadata }) => {
      calls.uploaded.push([picker.files, `${bucket}/${prefix}`, metadata]);
      return picker.files.map(() => nextJob++);
    },
    ...memoryDrops(calls.uploaded),
    openUploads: async () => [...open],
    abortUpload: async (_profile, _bucket, key, uploadId) => {
      const at = open.findIndex((u) => u.key === key && u.upload_id === uploadId);
      if (at < 0) throw { code: "no_such_upload", message: `${key} has no open upload ${uploadId}.`, hint: "", field: null, retry: "never" };
      open.splice(at, 1);
    },
  };
  return api;
}

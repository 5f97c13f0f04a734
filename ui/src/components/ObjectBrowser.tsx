import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import {
  errorOf,
  type ApiError,
  type Entry,
  type Link,
  type ObjectApi,
  type ObjectDetails,
  type ObjectEdit,
  type UploadFolder,
  type UploadsApi,
} from "../api";
import { dropTarget, useDrops, type DropPlace } from "../drop";
import { jobEnd, useEngineEvents } from "../events";
import { remotePath, type Place } from "../navigation";
import { arrange, matching, size, useObjectListing, type SortKey } from "../objectListing";
import { count, minute } from "../time";
import { ConfirmDialog } from "./ConfirmDialog";
import { ErrorNote } from "./ErrorNote";
import { AskNameDialog, EditObjectDialog, LinkDialog, parsePairs } from "./ObjectDialogs";
import { OpenUploads } from "./OpenUploads";
import { DropHint } from "./DropHint";
import { FileIcon, FolderIcon, kindOf } from "./Icons";
import { Thumb } from "./Thumb";
import { VirtualList, type VirtualListHandle } from "./VirtualList";

type Dialog =
  | { kind: "delete"; entry: Entry; objects: number; bytes: number }
  | { kind: "rename"; entry: Entry }
  | { kind: "copy"; entry: Entry; move: boolean }
  | { kind: "new-folder" }
  | { kind: "link"; link: Link; copied: boolean }
  | { kind: "edit"; details: ObjectDetails; tags: [string, string][] | null };

interface Job {
  id: number;
  action: string;
  text: string;
  /** What to say when it ends well. */
  done: string;
}

/** How long a link made from the browser works. */
const LINK_SECONDS = 24 * 3600;

interface Props {
  api: ObjectApi & UploadsApi;
  place: Place & { bucket: string };
  onNavigate(place: Place): void;
  /** Asks where a folder (`PROFILE:BUCKET/PREFIX/`) is archived to. */
  onArchive?(source: string, name: string): void;
  /** Opens the bucket's lifecycle rules. */
  onLifecycle?(): void;
}

/** The folders and objects of one folder of a bucket, with the actions of a file manager. */
export function ObjectBrowser({ api, place, onNavigate, onArchive, onLifecycle }: Props) {
  const { profile, bucket, prefix } = place;
  const listing = useObjectListing(api, profile, bucket, prefix);
  const [filter, setFilter] = useState("");
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: "name", descending: false });
  const [grid, setGrid] = useState(false);
  const [showOpenUploads, setShowOpenUploads] = useState(false);
  const [showUploadMetadata, setShowUploadMetadata] = useState(false);
  const [uploadMetadata, setUploadMetadata] = useState("");
  const uploadMetadataCount = parsePairs(uploadMetadata, ":").length;
  const [selected, setSelected] = useState(0);
  const [details, setDetails] = useState<ObjectDetails | null>(null);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [menu, setMenu] = useState<{ x: number; y: number } | null>(null);
  const [job, setJob] = useState<Job | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const list = useRef<VirtualListHandle>(null);
  const jobRef = useRef<Job | null>(null);
  const endedEarly = useRef(new Map<number, ApiError | null>());

  const arranged = useMemo(() => arrange(listing.entries, sort.key, sort.descending), [listing.entries, sort]);
  const shown = useMemo(() => matching(arranged, filter), [arranged, filter]);
  const current: Entry | undefined = shown[selected];

  useEffect(() => {
    setSelected(0);
    setFilter("");
    setNotice(null);
  }, [profile, bucket, prefix]);

  // The details of the selected object, read when the selection rests on it.
  useEffect(() => {
    setDetails(null);
    if (!current || current.folder) return;
    let live = true;
    const timer = setTimeout(() => {
      api.headObject(profile, bucket, current.key).then(
        (d) => live && setDetails(d),
        () => {},
      );
    }, 150);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, profile, bucket, current]);

  const finish = useCallback((ended: Job, failure: ApiError | null) => {
    jobRef.current = null;
    setJob(null);
    if (!failure) setNotice(ended.done);
    else if (failure.code === "cancelled") setNotice(`${ended.action} cancelled.`);
    else setError(failure);
  }, []);

  const follow = useCallback(
    (started: Job) => {
      if (endedEarly.current.has(started.id)) {
        finish(started, endedEarly.current.get(started.id) ?? null);
      } else {
        jobRef.current = started;
        setJob(started);
      }
    },
    [finish],
  );

  useEngineEvents((event) => {
    const running = jobRef.current;
    switch (event.kind) {
      case "objects_changed":
        if (event.profile === profile && event.bucket === bucket) listing.reload();
        break;
      case "job_progress":
        if (running?.id === event.job) {
          const next = { ...running, text: `${running.action}… ${count(event.done)} objects, ${size(event.bytes)}` };
          jobRef.current = next;
          setJob(next);
        }
        break;
      case "job_state": {
        const end = jobEnd(event);
        if (!end) break;
        if (running?.id === end.job) finish(running, end.error);
        else endedEarly.current.set(end.job, end.error);
        break;
      }
    }
  });

  async function run(action: string, done: string, start: () => Promise<number>) {
    setError(null);
    setNotice(null);
    setMenu(null);
    try {
      const id = await start();
      follow({ id, action, text: `${action}…`, done });
    } catch (thrown) {
      setError(errorOf(thrown));
    }
  }

  function open(entry: Entry) {
    if (entry.folder) onNavigate({ ...place, prefix: entry.key });
  }

  function up() {
    if (!prefix) return;
    const parent = prefix.slice(0, prefix.slice(0, -1).lastIndexOf("/") + 1);
    onNavigate({ ...place, prefix: parent });
  }

  async function download(entry: Entry) {
    setError(null);
    setMenu(null);
    try {
      const { jobs, folder } = await api.downloadObjects(profile, bucket, [entry.key]);
      if (jobs.length === 1 && !entry.folder) {
        follow({ id: jobs[0], action: "Downloading", text: "Downloading…", done: `Downloaded ${entry.name} to ${folder}.` });
      } else {
        // A folder is one job per object: the transfers panel follows them.
        setNotice(`Downloading ${count(jobs.length)} file${jobs.length === 1 ? "" : "s"} to ${folder}…`);
      }
    } catch (thrown) {
      setError(errorOf(thrown));
    }
  }

  /**
   * Starts uploads into a folder (this one unless dropped elsewhere), with the metadata the
   * user set for them; their progress shows in the transfers panel.
   */
  async function upload(into: DropPlace, start: (folder: UploadFolder) => Promise<number[]>) {
    setError(null);
    setNotice(null);
    try {
      const jobs = await start({ profile, ...into, metadata: parsePairs(uploadMetadata, ":") });
      if (jobs.length > 0) {
        setNotice(`Uploading ${count(jobs.length)} file${jobs.length === 1 ? "" : "s"} to ${profile}:${into.bucket}/${into.prefix}…`);
      }
    } catch (thrown) {
      setError(errorOf(thrown));
    }
  }

  const here = { bucket, prefix };
  const dragOver = useDrops(api, here, (paths, place) => void upload(place ?? here, (folder) => api.uploadDropped(paths, folder)));

  /** Dragged out of the window: a file manager it is dropped on gets it downloaded there. */
  function dragOut(entry: Entry) {
    setError(null);
    api.dragOut(profile, bucket, entry.key).catch((thrown: unknown) => setError(errorOf(thrown)));
  }

  async function downloadTo(entry: Entry) {
    setError(null);
    setMenu(null);
    try {
      if (await api.chooseDownloadFolder()) await download(entry);
    } catch (thrown) {
      setError(errorOf(thrown));
    }
  }

  async function askDelete(entry: Entry) {
    setMenu(null);
    setError(null);
    if (!entry.folder) {
      setDialog({ kind: "delete", entry, objects: 1, bytes: entry.size });
      return;
    }
    try {
      const usage = await api.usage(profile, bucket, entry.key);
      setDialog({ kind: "delete", entry, objects: usage.objects, bytes: usage.bytes });
    } catch (thrown) {
      setError(errorOf(thrown));
    }
  }

  async function share(entry: Entry) {
    setMenu(null);
    setError(null);
    try {
      const link = await api.presign(profile, bucket, entry.key, LINK_SECONDS);
      setDialog({ kind: "link", link, copied: await copyText(link.url) });
    } catch (thrown) {
      setError(errorOf(thrown));
    }
  }

  async function copyPublicUrl(entry: Entry) {
    setMenu(null);
    setError(null);
    try {
      const url = await api.publicUrl(profile, bucket, entry.key);
      const copied = await copyText(url);
      setNotice(`${copied ? "Copied" : "Public URL"}: ${url} (it works for anyone only when the object or bucket is public).`);
    } catch (thrown) {
      setError(errorOf(thrown));
    }
  }

  async function askEdit(details: ObjectDetails) {
    setMenu(null);
    // A server without tagging still lets the rest be edited.
    const tags = await api.objectTags(profile, bucket, details.key).catch(() => null);
    setDialog({ kind: "edit", details, tags });
  }

  async function saveEdit(details: ObjectDetails, edit: ObjectEdit, tags: [string, string][] | null) {
    const saved = await api.editObject(profile, bucket, details.key, edit);
    if (tags !== null) await api.setObjectTags(profile, bucket, details.key, tags);
    setDialog(null);
    setDetails(saved);
    setNotice(`Saved the details of ${details.key.split("/").pop()}.`);
  }

  async function folderSize(entry: Entry) {
    setMenu(null);
    setError(null);
    try {
      const usage = await api.usage(profile, bucket, entry.key);
      setNotice(`${entry.name}: ${count(usage.objects)} object${usage.objects === 1 ? "" : "s"}, ${size(usage.bytes)}.`);
    } catch (thrown) {
      setError(errorOf(thrown));
    }
  }

  function copyTo(entry: Entry, target: string, move: boolean) {
    setDialog(null);
    const into = target.endsWith("/") || !target.includes("/") ? target : `${target}/`;
    const verb = move ? "Moving" : "Copying";
    void run(verb, `${move ? "Moved" : "Copied"} ${entry.name} to ${into}.`, () =>
      api.copyObjects(remotePath(place, entry.key), into, move),
    );
  }

  async function newFolder(name: string) {
    setDialog(null);
    try {
      await api.createFolder(profile, bucket, `${prefix}${name}`);
      setNotice(`Created folder ${name}/.`);
      listing.reload();
    } catch (thrown) {
      setError(errorOf(thrown));
    }
  }

  function rename(entry: Entry, name: string) {
    setDialog(null);
    const target = remotePath(place, `${prefix}${name}`);
    void run("Renaming", `Renamed ${entry.name} to ${name}${entry.folder ? "/" : ""}.`, () =>
      api.copyObjects(remotePath(place, entry.key), target, true),
    );
  }

  function onKey(e: KeyboardEvent, entry: Entry | undefined) {
    if (e.key === "Backspace" || (e.key === "ArrowUp" && e.altKey)) {
      e.preventDefault();
      up();
    } else if (entry && e.key === "Delete") {
      void askDelete(entry);
    } else if (entry && e.key === "F2") {
      setDialog({ kind: "rename", entry });
    }
  }

  const header = (key: SortKey, label: string, className: string) => (
    <button
      type="button"
      className={`sort ${className}`}
      aria-pressed={sort.key === key}
      onClick={() => setSort((s) => ({ key, descending: s.key === key ? !s.descending : false }))}
    >
      {label}
      {sort.key === key ? (sort.descending ? " ↓" : " ↑") : ""}
    </button>
  );

  const actions = current ? (
    <>
      {current.folder && <button type="button" onClick={() => open(current)}>Open</button>}
      <button type="button" onClick={() => void download(current)}>Download</button>
      <button type="button" onClick={() => void downloadTo(current)}>Download to…</button>
      {!current.folder && <button type="button" onClick={() => void share(current)}>Copy link</button>}
      {!current.folder && <button type="button" onClick={() => void copyPublicUrl(current)}>Public URL</button>}
      {details && !current.folder && <button type="button" onClick={() => void askEdit(details)}>Edit…</button>}
      <button type="button" onClick={() => { setMenu(null); setDialog({ kind: "rename", entry: current }); }}>Rename…</button>
      <button type="button" onClick={() => { setMenu(null); setDialog({ kind: "copy", entry: current, move: false }); }}>Copy to…</button>
      <button type="button" onClick={() => { setMenu(null); setDialog({ kind: "copy", entry: current, move: true }); }}>Move to…</button>
      <button type="button" onClick={() => void folderSize(current)}>Count size</button>
      {current.folder && onArchive && (
        <button type="button" onClick={() => { setMenu(null); onArchive(`${profile}:${bucket}/${current.key}`, current.name); }}>
          Archive…
        </button>
      )}
      <button type="button" className="button-danger" onClick={() => void askDelete(current)}>Delete…</button>
    </>
  ) : null;

  const crumbs = prefix.split("/").filter(Boolean);
  const shownError = error ?? listing.error;

  return (
    <section className="objects" aria-label="Objects">
      <nav className="breadcrumbs" aria-label="Path" data-testid="object-path">
        <button type="button" className="button-link crumb" onClick={() => onNavigate({ profile, bucket: null, prefix: "" })}>
          {profile}:
        </button>
        <button type="button" className="button-link crumb" onClick={() => onNavigate({ ...place, prefix: "" })}>
          {bucket}
        </button>
        {crumbs.map((name, i) => (
          <span key={i}>
            <span className="crumb-sep">/</span>
            <button
              type="button"
              className="button-link crumb"
              onClick={() => onNavigate({ ...place, prefix: `${crumbs.slice(0, i + 1).join("/")}/` })}
            >
              {name}
            </button>
          </span>
        ))}
      </nav>
      <div className="bucket-toolbar object-toolbar">
        <input
          type="search"
          className="bucket-search"
          placeholder="Filter this folder"
          aria-label="Filter this folder"
          value={filter}
          onChange={(e) => {
            setFilter(e.target.value);
            setSelected(0);
          }}
          onKeyDown={(e) => {
            if (e.key === "ArrowDown" || e.key === "Enter") {
              e.preventDefault();
              list.current?.focus();
            }
          }}
        />
        <button type="button" onClick={up} disabled={!prefix}>
          Up
        </button>
        <button type="button" onClick={() => setDialog({ kind: "new-folder" })}>
          New folder
        </button>
        <button type="button" onClick={() => void upload(here, api.uploadChoose)}>
          Upload…
        </button>
        <button type="button" aria-pressed={showUploadMetadata} onClick={() => setShowUploadMetadata((s) => !s)}>
          {uploadMetadataCount > 0 ? `Upload metadata (${uploadMetadataCount})` : "Upload metadata"}
        </button>
        <button type="button" aria-pressed={showOpenUploads} onClick={() => setShowOpenUploads((s) => !s)}>
          Unfinished uploads
        </button>
        {onLifecycle && (
          <button type="button" onClick={onLifecycle}>
            Lifecycle rules…
          </button>
        )}
        <button type="button" aria-pressed={grid} onClick={() => setGrid((g) => !g)}>
          {grid ? "List" : "Grid"}
        </button>
        <button type="button" onClick={listing.reload}>
          Reload
        </button>
      </div>
      {showUploadMetadata && (
        <div className="upload-metadata">
          <label htmlFor="upload-metadata">Metadata for new uploads (one "name: value" a line)</label>
          <textarea
            id="upload-metadata"
            rows={3}
            value={uploadMetadata}
            placeholder="photographer: Ana Ruiz"
            onChange={(e) => setUploadMetadata(e.target.value)}
          />
        </div>
      )}
      {showOpenUploads && (
        <OpenUploads api={api} profile={profile} bucket={bucket} onClose={() => setShowOpenUploads(false)} />
      )}
      {current && (
        <div className="selection-bar" aria-label="Selection">
          <span className="selection-name">{current.name}</span>
          {actions}
        </div>
      )}
      <div className="bucket-status" aria-live="polite">
        {job ? (
          <>
            <span data-testid="object-progress">{job.text}</span>
            <button type="button" className="button-link" onClick={() => void api.cancelJob(job.id)}>
              Cancel
            </button>
          </>
        ) : (
          <span data-testid="object-summary">
            {listing.loading && listing.entries.length === 0
              ? "Listing…"
              : `${count(shown.length)}${listing.done ? "" : "+"} item${shown.length === 1 ? "" : "s"}${filter ? " match" : ""}${listing.stale ? " · as last listed, refreshing…" : ""}`}
          </span>
        )}
      </div>
      {shownError && <ErrorNote error={shownError} />}
      {notice && <p className="notice">{notice}</p>}
      <DropHint profile={profile} place={dragOver} />
      <div className="object-body">
        <div className="object-main">
          {grid ? (
            <div className="object-grid" role="listbox" aria-label="Objects" data-testid="object-grid">
              {shown.slice(0, 500).map((entry, i) => (
                <div
                  key={entry.key}
                  {...(entry.folder ? dropTarget(bucket, entry.key) : {})}
                  draggable
                  onDragStart={(e) => {
                    e.preventDefault();
                    dragOut(entry);
                  }}
                  role="option"
                  aria-selected={i === selected}
                  className="tile"
                  onClick={() => setSelected(i)}
                  onDoubleClick={() => open(entry)}
                >
                  <span className="tile-icon" aria-hidden="true">
                    {entry.folder ? (
                      <FolderIcon size={56} />
                    ) : (
                      <Thumb
                        api={api}
                        profile={profile}
                        bucket={bucket}
                        objectKey={entry.key}
                        fallback={<FileIcon size={56} kind={kindOf(entry.name)} />}
                        className="tile-thumb"
                      />
                    )}
                  </span>
                  <span className="tile-name">{entry.name}</span>
                </div>
              ))}
            </div>
          ) : (
            <>
              <div className="object-header">
                {header("name", "Name", "cell-name")}
                {header("size", "Size", "cell-size")}
                {header("date", "Modified", "cell-date")}
                <span className="cell-class">Class</span>
              </div>
              <VirtualList<Entry>
                handle={list}
                label="Objects"
                className="bucket-rows object-rows"
                rowClassName="bucket-row object-row"
                total={shown.length}
                rowAt={(i) => shown[i]}
                need={(first, last) => listing.need(first, last, listing.entries.length)}
                selected={selected}
                onSelect={setSelected}
                onOpen={open}
                onKey={onKey}
                onContextMenu={(_, __, x, y) => setMenu({ x, y })}
                rowAttributes={(entry) => (entry?.folder ? dropTarget(bucket, entry.key) : undefined)}
                onDragOut={dragOut}
                render={(entry) =>
                  entry ? (
                    <>
                      <span className="cell-icon">{entry.folder ? <FolderIcon /> : <FileIcon kind={kindOf(entry.name)} />}</span>
                      <span className="cell-name">{entry.name}</span>
                      <span className="cell-size">{entry.folder ? "—" : size(entry.size)}</span>
                      <span className="cell-date">{entry.last_modified ? minute(entry.last_modified) : ""}</span>
                      <span className="cell-class">{entry.storage_class ?? ""}</span>
                    </>
                  ) : (
                    <span className="cell-name loading">…</span>
                  )
                }
              />
            </>
          )}
          {!listing.loading && shown.length === 0 && !shownError && (
            <p className="empty-list">{filter ? "Nothing here matches." : "This folder is empty."}</p>
          )}
        </div>
        {details && current && !current.folder && (
          <DetailsPanel details={details} path={remotePath(place, details.key)}>
            <Thumb api={api} profile={profile} bucket={bucket} objectKey={details.key} fallback={null} className="preview" />
          </DetailsPanel>
        )}
      </div>
      {menu && current && (
        <div className="menu-backdrop" onClick={() => setMenu(null)}>
          <div className="context-menu" role="menu" style={{ left: menu.x, top: menu.y }} onClick={(e) => e.stopPropagation()}>
            {actions}
          </div>
        </div>
      )}
      {dialog?.kind === "delete" && (
        <ConfirmDialog
          title={`Delete ${dialog.entry.name}?`}
          body={
            dialog.entry.folder
              ? `The folder and everything in it: ${count(dialog.objects)} object${dialog.objects === 1 ? "" : "s"}, ${size(dialog.bytes)}. This cannot be undone.`
              : `1 object, ${size(dialog.bytes)}. This cannot be undone.`
          }
          confirmLabel="Delete"
          onConfirm={() => {
            const entry = dialog.entry;
            setDialog(null);
            void run("Deleting", `Deleted ${entry.name}.`, () => api.deleteObjects(profile, bucket, [entry.key]));
          }}
          onCancel={() => setDialog(null)}
        />
      )}
      {dialog?.kind === "rename" && (
        <AskNameDialog
          title={`Rename ${dialog.entry.name}`}
          label="New name"
          initial={dialog.entry.name.replace(/\/$/, "")}
          action="Rename"
          onSubmit={(name) => rename(dialog.entry, name)}
          onCancel={() => setDialog(null)}
        />
      )}
      {dialog?.kind === "copy" && (
        <AskNameDialog
          title={`${dialog.move ? "Move" : "Copy"} ${dialog.entry.name} to`}
          label="Folder (PROFILE:BUCKET/FOLDER/, any profile)"
          initial={remotePath(place)}
          action={dialog.move ? "Move" : "Copy"}
          allowSlash
          onSubmit={(target) => copyTo(dialog.entry, target, dialog.move)}
          onCancel={() => setDialog(null)}
        />
      )}
      {dialog?.kind === "new-folder" && (
        <AskNameDialog title="New folder" label="Name" initial="" action="Create folder" onSubmit={newFolder} onCancel={() => setDialog(null)} />
      )}
      {dialog?.kind === "edit" && (
        <EditObjectDialog
          details={dialog.details}
          tags={dialog.tags}
          onSave={(edit, tags) => saveEdit(dialog.details, edit, tags)}
          onCancel={() => setDialog(null)}
        />
      )}
      {dialog?.kind === "link" && <LinkDialog link={dialog.link} copied={dialog.copied} onClose={() => setDialog(null)} />}
    </section>
  );
}

/** Puts `text` on the clipboard; `false` where the webview does not allow it. */
async function copyText(text: string): Promise<boolean> {
  return (await navigator.clipboard?.writeText(text).then(
    () => true,
    () => false,
  )) ?? false;
}

function DetailsPanel({ details, path, children }: { details: ObjectDetails; path: string; children: React.ReactNode }) {
  const facts: [string, string][] = [
    ["Size", `${size(details.size)} (${count(details.size)} bytes)`],
    ["Modified", details.last_modified?.replace("T", " ").replace("Z", " UTC") ?? "—"],
    ["Type", details.content_type ?? "—"],
    ["ETag", details.etag ?? "—"],
    ["Class", details.storage_class ?? "STANDARD"],
    ...details.checksums.map(([name, value]): [string, string] => [name, value]),
    ...details.metadata.map(([name, value]): [string, string] => [`meta: ${name}`, value]),
  ];
  if (details.restore) facts.push(["Restore", details.restore]);
  return (
    <aside className="details" aria-label="Details" data-testid="object-details">
      {children}
      <h3>{details.key.split("/").pop()}</h3>
      <code className="details-path">{path}</code>
      <dl>
        {facts.map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </aside>
  );
}



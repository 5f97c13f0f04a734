import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { ApiError, Bucket, BucketApi, BucketFilter, DropApi, EngineEvent, Profile } from "../api";
import { jobEnd, useEngineEvents } from "../events";
import { errorOf } from "../api";
import type { Visibility } from "../bindings";
import { useBucketCatalog } from "../bucketCatalog";
import { useDrops } from "../drop";
import { count, refreshedAgo } from "../time";
import { BucketRows, type BucketRowsHandle } from "./BucketRows";
import { CreateBucketDialog, DeleteBucketDialog } from "./BucketDialogs";
import { DropHint } from "./DropHint";
import { ErrorNote } from "./ErrorNote";
import { LetterRail } from "./LetterRail";

type Progress =
  | { kind: "refresh"; job: number; text: string }
  | { kind: "delete"; job: number; bucket: Bucket; force: boolean; text: string };

type Dialog = { kind: "create" } | { kind: "delete"; bucket: Bucket; notEmpty: ApiError | null };

/** How often "refreshed N min ago" is brought up to date. */
const CLOCK_TICK_MS = 30_000;

interface Props {
  api: BucketApi & DropApi;
  profile: Profile;
  /** Enter or a double click on a bucket: browse it. */
  onOpenBucket(bucket: Bucket): void;
}

/** A profile's buckets from the catalog: search, filter, A–Z jumps, refresh, create, delete. */
export function BucketBrowser({ api, profile, onOpenBucket }: Props) {
  const [search, setSearch] = useState("");
  const [visibility, setVisibility] = useState<Visibility | "">("");
  const filter = useMemo<BucketFilter>(
    () => ({ search: search || null, letter: null, visibility: visibility || null }),
    [search, visibility],
  );
  const catalog = useBucketCatalog(api, profile.name, filter);
  const [selected, setSelected] = useState(0);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const rows = useRef<BucketRowsHandle>(null);
  const searchBox = useRef<HTMLInputElement>(null);
  const progressRef = useRef<Progress | null>(null);
  /** Jobs that ended before their id came back from the command that started them. */
  const endedEarly = useRef(new Map<number, ApiError | null>());
  const autoRefreshed = useRef(false);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), CLOCK_TICK_MS);
    return () => clearInterval(timer);
  }, []);

  const track = useCallback((next: Progress | null) => {
    progressRef.current = next;
    setProgress(next);
  }, []);

  const finish = useCallback(
    (job: Progress, failure: ApiError | null) => {
      track(null);
      if (job.kind === "refresh") {
        if (failure?.code === "cancelled") setNotice("Refresh cancelled; the list is as it was.");
        else if (failure) setError(failure);
        return;
      }
      if (!failure) {
        setNotice(`Deleted bucket "${job.bucket.name}".`);
      } else if (failure.code === "bucket_not_empty" && !job.force) {
        setDialog({ kind: "delete", bucket: job.bucket, notEmpty: failure });
      } else if (failure.code !== "cancelled") {
        setError(failure);
      }
    },
    [track],
  );

  useEngineEvents((event: EngineEvent) => {
    const job = progressRef.current;
    switch (event.kind) {
      case "buckets_changed":
        if (event.profile === profile.name) void catalog.reload();
        break;
      case "job_progress":
        if (job?.job !== event.job) break;
        if (job.kind === "refresh" && event.action === "listing") {
          track({ ...job, text: `Listing… ${count(event.done)} buckets` });
        } else if (job.kind === "refresh" && event.action === "details") {
          track({ ...job, text: `Reading regions and access… ${count(event.done)} of ${count(event.items ?? event.done)}` });
        } else if (job.kind === "delete" && event.action === "emptying") {
          track({ ...job, text: `Emptying "${job.bucket.name}"… ${count(event.done)} deleted` });
        }
        break;
      case "job_state": {
        const end = jobEnd(event);
        if (!end) break;
        if (job?.job === end.job) finish(job, end.error);
        else endedEarly.current.set(end.job, end.error);
        break;
      }
    }
  });

  /** Follows a job started just now (it may already have ended). */
  const follow = useCallback(
    (job: Progress) => {
      if (endedEarly.current.has(job.job)) {
        finish(job, endedEarly.current.get(job.job) ?? null);
      } else {
        track(job);
      }
    },
    [finish, track],
  );

  const refresh = useCallback(async () => {
    setError(null);
    setNotice(null);
    try {
      const job = await api.refreshBuckets(profile.name);
      follow({ kind: "refresh", job, text: "Listing…" });
    } catch (thrown) {
      setError(errorOf(thrown));
    }
  }, [api, profile.name, follow]);

  // A list never read from S3 is read at once.
  useEffect(() => {
    if (catalog.index && catalog.index.refreshed_at === null && !autoRefreshed.current) {
      autoRefreshed.current = true;
      void refresh();
    }
  }, [catalog.index, refresh]);

  useEffect(() => setSelected(0), [filter]);

  async function remove(bucket: Bucket, force: boolean) {
    setDialog(null);
    setError(null);
    try {
      const job = await api.deleteBucket(profile.name, bucket.name, force);
      follow({ kind: "delete", job, bucket, force, text: `Deleting "${bucket.name}"…` });
    } catch (thrown) {
      setError(errorOf(thrown));
    }
  }

  async function create(name: string, region: string | null) {
    const made = await api.createBucket(profile.name, name, region);
    setDialog(null);
    setNotice(`Created bucket "${made.name}" in ${made.region ?? profile.region}.`);
  }

  // Files dropped on a bucket (here or in the sidebar) go into it; there is no folder on show.
  const dragOver = useDrops(api, null, async (paths, place) => {
    setError(null);
    setNotice(null);
    if (!place) {
      setNotice("To upload, drop the files on a bucket, or open the bucket first.");
      return;
    }
    try {
      const jobs = await api.uploadDropped(paths, { profile: profile.name, ...place, metadata: [] });
      setNotice(`Uploading ${count(jobs.length)} file${jobs.length === 1 ? "" : "s"} to ${profile.name}:${place.bucket}/…`);
    } catch (thrown) {
      setError(errorOf(thrown));
    }
  });

  const index = catalog.index;
  const total = index?.total ?? 0;
  const shown = error ?? catalog.error;

  return (
    <section className="buckets" aria-label="Buckets">
      <div className="bucket-toolbar">
        <h2>Buckets</h2>
        <input
          ref={searchBox}
          type="search"
          className="bucket-search"
          placeholder="Search buckets"
          aria-label="Search buckets"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "ArrowDown" || e.key === "Enter") {
              e.preventDefault();
              rows.current?.focus();
            }
          }}
        />
        <select
          aria-label="Access"
          value={visibility}
          onChange={(e) => setVisibility(e.target.value as Visibility | "")}
        >
          <option value="">All buckets</option>
          <option value="public">Public only</option>
          <option value="private">Private only</option>
        </select>
        <span className="spacer" />
        <button type="button" onClick={() => setDialog({ kind: "create" })}>
          New bucket
        </button>
        <button type="button" onClick={refresh} disabled={progress?.kind === "refresh"}>
          Refresh
        </button>
        <button
          type="button"
          className="button-danger"
          disabled={!catalog.rowAt(selected)}
          onClick={() => {
            const bucket = catalog.rowAt(selected);
            if (bucket) setDialog({ kind: "delete", bucket, notEmpty: null });
          }}
        >
          Delete bucket…
        </button>
      </div>
      <div className="bucket-status" aria-live="polite">
        {progress ? (
          <>
            <span data-testid="bucket-progress">{progress.text}</span>
            <button type="button" className="button-link" onClick={() => void api.cancelJob(progress.job)}>
              Cancel
            </button>
          </>
        ) : (
          <span data-testid="bucket-summary">
            {index && `${count(total)} bucket${total === 1 ? "" : "s"}${search || visibility ? " match" : ""} · ${refreshedAgo(index.refreshed_at, now)}`}
          </span>
        )}
      </div>
      {shown && <ErrorNote error={shown} />}
      {notice && <p className="notice">{notice}</p>}
      <DropHint profile={profile.name} place={dragOver} />
      <div className="bucket-header" aria-hidden="true">
        <span className="cell-name">Name</span>
        <span className="cell-region">Region</span>
        <span className="cell-date">Created</span>
        <span className="cell-access">Access</span>
      </div>
      <div className="bucket-body">
        <BucketRows
          handle={rows}
          total={total}
          rowAt={catalog.rowAt}
          need={catalog.need}
          selected={selected}
          onSelect={setSelected}
          onOpen={onOpenBucket}
          onType={(text) => {
            setSearch((current) => current + text);
            searchBox.current?.focus();
          }}
        />
        {index && <LetterRail index={index} onJump={(_, row) => rows.current?.jumpTo(row)} />}
      </div>
      {total === 0 && index && !progress && (
        <p className="empty-list">
          {search || visibility ? "No bucket matches." : "No buckets yet. Create one, or refresh if you made some elsewhere."}
        </p>
      )}
      {dialog?.kind === "create" && (
        <CreateBucketDialog profileRegion={profile.region} onCreate={create} onCancel={() => setDialog(null)} />
      )}
      {dialog?.kind === "delete" && (
        <DeleteBucketDialog
          bucket={dialog.bucket}
          notEmpty={dialog.notEmpty}
          onDelete={(force) => void remove(dialog.bucket, force)}
          onCancel={() => setDialog(null)}
        />
      )}
    </section>
  );
}

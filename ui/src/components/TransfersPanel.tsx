import { useEffect, useRef, useState } from "react";
import { errorOf, type ApiError, type Job, type TransferApi } from "../api";
import { useEngineEvents } from "../events";
import { size } from "../objectListing";
import { duration, nextPace, secondsLeft, type Pace } from "../transferRate";
import { ErrorNote } from "./ErrorNote";

/** Transfers shown: the newest of them. */
const LIMIT = 100;
/** At most one re-read of the list per this many milliseconds while jobs change state. */
const RELOAD_EVERY = 250;

const isTransfer = (job: Job) => job.spec.kind === "upload" || job.spec.kind === "download";
const baseName = (path: string) => path.replace(/\/+$/, "").split(/[/\\]/).pop() ?? path;

function describe(job: Job): { name: string; where: string } {
  switch (job.spec.kind) {
    case "upload":
      return { name: baseName(job.spec.local), where: `→ ${job.spec.target}` };
    case "download":
      return { name: baseName(job.spec.source), where: `→ ${job.spec.into}/${job.spec.path}` };
    default:
      return { name: job.spec.kind, where: "" };
  }
}

/**
 * The transfers panel below the browser: the newest uploads and downloads with their state
 * and bytes so far; pause, resume, cancel, and run a queued one next. Hidden until there is a transfer. The list is
 * the catalog's (read again as jobs change state), so nothing is lost when an event is.
 */
export function TransfersPanel({ api }: { api: TransferApi }) {
  const [jobs, setJobs] = useState<Job[]>([]);
  const [paces, setPaces] = useState<Map<number, Pace>>(new Map());
  const [generation, setGeneration] = useState(0);
  const [error, setError] = useState<ApiError | null>(null);
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    api.listJobs(LIMIT).then((all) => setJobs(all.filter(isTransfer)), (thrown) => setError(errorOf(thrown)));
  }, [api, generation]);
  useEffect(() => () => {
    if (pending.current) clearTimeout(pending.current);
  }, []);

  useEngineEvents((event) => {
    if (event.kind === "job_state" && (event.job_kind === "upload" || event.job_kind === "download")) {
      pending.current ??= setTimeout(() => {
        pending.current = null;
        setGeneration((g) => g + 1);
      }, RELOAD_EVERY);
    } else if (event.kind === "job_progress" && (event.action === "upload" || event.action === "download")) {
      const { job, bytes, total } = event;
      setPaces((before) => new Map(before).set(job, nextPace(before.get(job), Date.now(), bytes, total)));
    }
  });

  async function toFront(job: number) {
    await api.toFrontJob(job);
    setGeneration((g) => g + 1);
  }

  async function act(action: (job: number) => Promise<void>, job: number) {
    setError(null);
    try {
      await action(job);
    } catch (thrown) {
      setError(errorOf(thrown));
    }
  }

  if (jobs.length === 0) return null;
  const going = (job: Job) => job.state === "queued" || job.state === "running";
  // Running first, then the queued in the order they will start, then the rest, newest first.
  const rank = (job: Job) => (job.state === "running" ? 0 : job.state === "queued" ? 1 : 2);
  const ordered = [...jobs].sort((a, b) => rank(a) - rank(b) || (rank(a) === 1 ? a.place - b.place : b.id - a.id));
  const firstQueued = ordered.find((job) => job.state === "queued");
  const shown = (job: Job) => {
    const pace = going(job) ? paces.get(job.id) : undefined;
    return {
      bytes: Math.max(pace?.bytes ?? 0, job.bytes),
      total: pace?.total ?? job.total,
      speed: pace?.speed ?? null,
    };
  };
  const active = jobs.filter(going);
  const totals = active.map(shown).reduce(
    (sum, job) => ({
      bytes: sum.bytes + job.bytes,
      total: sum.total === null || job.total === null ? null : sum.total + job.total,
      speed: (sum.speed ?? 0) + (job.speed ?? 0) || null,
    }),
    { bytes: 0, total: 0 as number | null, speed: null as number | null },
  );
  return (
    <section className="transfers" aria-label="Transfers">
      <h2>
        Transfers{active.length > 0 ? ` · ${active.length} active` : ""}
      </h2>
      {active.length > 0 && <p className="transfer-totals">{pace(totals)}</p>}
      {error && <ErrorNote error={error} />}
      <ul className="transfer-list">
        {ordered.map((job) => {
          const { name, where } = describe(job);
          const now = shown(job);
          return (
            <li key={job.id} className="transfer-row" data-state={job.state}>
              <span className="transfer-name" title={where}>
                {name}
              </span>
              <span className="transfer-where">{where}</span>
              <span className="transfer-state">{job.state === "failed" && job.error ? `failed: ${job.error.message}` : job.state}</span>
              <span className="transfer-bytes">{going(job) ? pace(now) : size(job.bytes)}</span>
              {going(job) && now.total !== null && now.total > 0 && (
                <progress className="transfer-progress" value={now.bytes} max={now.total} />
              )}
              <span className="transfer-actions">
                {job.state === "queued" && job !== firstQueued && (
                  <button type="button" className="button-link" onClick={() => void act(toFront, job.id)}>
                    Run next
                  </button>
                )}
                {going(job) && (
                  <button type="button" className="button-link" onClick={() => void act(api.pauseJob, job.id)}>
                    Pause
                  </button>
                )}
                {(job.state === "paused" || job.state === "failed" || job.state === "cancelled") && (
                  <button type="button" className="button-link" onClick={() => void act(api.resumeJob, job.id)}>
                    {job.state === "paused" ? "Resume" : "Retry"}
                  </button>
                )}
                {(going(job) || job.state === "paused") && (
                  <button type="button" className="button-link" onClick={() => void act(api.cancelJob, job.id)}>
                    Cancel
                  </button>
                )}
              </span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** `24 MB of 100 MB · 10 MB/s · 8 s left`, as much of it as is known. */
function pace({ bytes, total, speed }: { bytes: number; total: number | null; speed: number | null }): string {
  const parts = [total === null ? size(bytes) : `${size(bytes)} of ${size(total)}`];
  if (speed !== null) parts.push(`${size(Math.round(speed))}/s`);
  const left = secondsLeft(bytes, total, speed);
  if (left !== null) parts.push(`${duration(left)} left`);
  return parts.join(" · ");
}

import { useEffect, useRef, useState } from "react";
import { errorOf, type ApiError, type Job, type TransferApi } from "../api";
import { useEngineEvents } from "../events";
import { size } from "../objectListing";
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
 * and bytes so far; pause, resume and cancel. Hidden until there is a transfer. The list is
 * the catalog's (read again as jobs change state), so nothing is lost when an event is.
 */
export function TransfersPanel({ api }: { api: TransferApi }) {
  const [jobs, setJobs] = useState<Job[]>([]);
  const [sent, setSent] = useState<Map<number, number>>(new Map());
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
    } else if (event.kind === "objects_progress" && (event.action === "upload" || event.action === "download")) {
      setSent((before) => new Map(before).set(event.job, event.bytes));
    }
  });

  async function act(action: (job: number) => Promise<void>, job: number) {
    setError(null);
    try {
      await action(job);
    } catch (thrown) {
      setError(errorOf(thrown));
    }
  }

  if (jobs.length === 0) return null;
  const active = jobs.filter((j) => j.state === "queued" || j.state === "running").length;
  return (
    <section className="transfers" aria-label="Transfers">
      <h2>
        Transfers{active > 0 ? ` · ${active} active` : ""}
      </h2>
      {error && <ErrorNote error={error} />}
      <ul className="transfer-list">
        {jobs.map((job) => {
          const { name, where } = describe(job);
          const going = job.state === "queued" || job.state === "running";
          const bytes = going ? Math.max(sent.get(job.id) ?? 0, job.bytes) : job.bytes;
          return (
            <li key={job.id} className="transfer-row" data-state={job.state}>
              <span className="transfer-name" title={where}>
                {name}
              </span>
              <span className="transfer-where">{where}</span>
              <span className="transfer-state">{job.state === "failed" && job.error ? `failed: ${job.error.message}` : job.state}</span>
              <span className="transfer-bytes">{size(bytes)}</span>
              <span className="transfer-actions">
                {going && (
                  <button type="button" className="button-link" onClick={() => void act(api.pauseJob, job.id)}>
                    Pause
                  </button>
                )}
                {(job.state === "paused" || job.state === "failed" || job.state === "cancelled") && (
                  <button type="button" className="button-link" onClick={() => void act(api.resumeJob, job.id)}>
                    {job.state === "paused" ? "Resume" : "Retry"}
                  </button>
                )}
                {(going || job.state === "paused") && (
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

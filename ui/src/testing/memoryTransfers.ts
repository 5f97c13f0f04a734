import type { Job, TransferApi } from "../api";

/** An in-memory stand-in for the transfer commands: jobs as the catalog would hold them. */
export function memoryTransfers(jobs: Job[] = []) {
  const calls = { paused: [] as number[], resumed: [] as number[], cancelled: [] as number[], toFront: [] as number[] };
  const api: TransferApi & { jobs: Job[]; calls: typeof calls } = {
    jobs,
    calls,
    listJobs: async (limit) => jobs.slice(0, limit),
    pauseJob: async (job) => {
      calls.paused.push(job);
    },
    resumeJob: async (job) => {
      calls.resumed.push(job);
    },
    cancelJob: async (job) => {
      calls.cancelled.push(job);
    },
    toFrontJob: async (job) => {
      calls.toFront.push(job);
      const first = Math.min(...jobs.filter((j) => j.state === "queued").map((j) => j.place));
      jobs.forEach((j) => {
        if (j.id === job) j.place = first - 1;
      });
    },
  };
  return api;
}

/** An upload job as the engine reports it. */
export function uploadJob(
  id: number,
  local: string,
  target: string,
  state: Job["state"],
  bytes = 0,
  total: number | null = null,
): Job {
  return {
    id,
    spec: { kind: "upload", local, target, options: { part_size_mib: null, parts_in_flight: null } },
    state,
    done: state === "done" ? 1 : 0,
    bytes,
    total,
    error: null,
    created_at: "2026-11-23T10:00:00Z",
    started_at: null,
    finished_at: null,
    place: id,
  };
}

// An in-memory stand-in for the engine's bucket catalog, for component tests only: it
// filters, orders and counts as the engine's SQL does (letter, then name; '#' first) so the
// screens can be driven without the shell. The real catalog is tested in crates/core and
// through the real window in tests/e2e.
import { CommandError, type ApiError, type Bucket, type BucketApi, type BucketFilter, type EngineEvent } from "../api";
import { memoryDrops } from "./memoryDrops";

const letterOf = (name: string) => (/^[a-z]/i.test(name) ? name[0].toLowerCase() : "#");

export interface MemoryBuckets extends BucketApi, ReturnType<typeof memoryDrops> {
  buckets: Bucket[];
  refreshedAt: string | null;
  /** Arguments of every bucketList call. */
  pageCalls: { offset: number; limit: number; filter: BucketFilter }[];
  deleteCalls: { bucket: string; force: boolean }[];
  emit(event: EngineEvent): void;
}

export function memoryBuckets(names: string[], refreshedAt: string | null = "2026-11-22T12:00:00Z"): MemoryBuckets {
  const handlers = new Set<(event: EngineEvent) => void>();
  let nextJob = 1;
  const api: MemoryBuckets = {
    ...memoryDrops(),
    buckets: names.map((name) => ({ name, region: "us-east-1", created_at: "2026-01-02T03:04:05Z", public: false })),
    refreshedAt,
    pageCalls: [],
    deleteCalls: [],
    emit: (event) => handlers.forEach((h) => h(event)),
    bucketIndex: async (profile, filter) => {
      const rows = matching(filter);
      const letters = new Map<string, number>();
      for (const b of rows) letters.set(letterOf(b.name), (letters.get(letterOf(b.name)) ?? 0) + 1);
      return {
        profile,
        total: rows.length,
        letters: [...letters].sort(([a], [b]) => (a < b ? -1 : 1)).map(([letter, count]) => ({ letter, count })),
        refreshed_at: api.refreshedAt,
      };
    },
    bucketList: async (_profile, filter, offset, limit) => {
      api.pageCalls.push({ offset, limit, filter });
      return matching(filter).slice(offset, offset + limit);
    },
    refreshBuckets: async () => nextJob++,
    createBucket: async (profile, bucket, region) => {
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
        const error: ApiError = { code: "invalid_input", message: `The bucket name "${bucket}" is not valid: it may contain only lowercase letters, digits, '.' and '-'.`, hint: "Bucket names are 3–63 characters.", field: "bucket", retry: "never" };
        throw new CommandError(error);
      }
      const made = { name: bucket, region: region ?? "us-east-1", created_at: null, public: false };
      api.buckets.push(made);
      api.emit({ kind: "buckets_changed", profile });
      return made;
    },
    deleteBucket: async (profile, bucket, force) => {
      api.deleteCalls.push({ bucket, force });
      const job = nextJob++;
      setTimeout(() => {
        if (bucket.startsWith("full") && !force) {
          const error: ApiError = { code: "bucket_not_empty", message: `The bucket "${bucket}" is not empty: it holds 3 objects.`, hint: "Delete with --force.", field: null, retry: "never" };
          api.emit({ kind: "job_state", job, profile, job_kind: "bucket_delete", state: "failed", error });
          return;
        }
        api.buckets.splice(api.buckets.findIndex((b) => b.name === bucket), 1);
        api.emit({ kind: "buckets_changed", profile });
        api.emit({ kind: "job_state", job, profile, job_kind: "bucket_delete", state: "done", error: null });
      });
      return job;
    },
    cancelJob: async () => {},
    onEvent: (handler) => {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
  };
  function matching(filter: BucketFilter): Bucket[] {
    const text = filter.search?.toLowerCase() ?? "";
    return api.buckets
      .filter((b) => b.name.toLowerCase().includes(text))
      .filter((b) => !filter.visibility || b.public === (filter.visibility === "public"))
      .sort((a, b) => {
        const [ka, kb] = [letterOf(a.name) + a.name, letterOf(b.name) + b.name];
        return ka < kb ? -1 : ka > kb ? 1 : 0;
      });
  }
  return api;
}

import type { ArchiveApi, ArchiveTarget, LifecycleRule, Project, RestorePreview, RestoreRequest } from "../api";

/** A project as the engine reports it. */
export function project(id: number, source: string, extra: Partial<Project> = {}): Project {
  return {
    name: source.replace(/\/$/, "").split("/").pop() ?? source,
    id,
    source,
    location: source.replace(/^([^:]+):([^/]+)\//, "$1:cold/$2/"),
    class: null,
    state: "archived",
    detail: null,
    objects: 302,
    bytes: 1_200_000,
    manifest: `${source}.strata-manifest.json`,
    created_at: "2026-11-23T10:00:00Z",
    archived_at: "2026-11-23T10:05:00Z",
    restored_at: null,
    readable_until: null,
    job: null,
    ...extra,
  };
}

/** An in-memory stand-in for the archive commands; `calls` records what the views asked for. */
/** `keptBeside`: objects a copy back would keep (written at its target since the archive). */
export function memoryArchive(projects: Project[] = [], rules: LifecycleRule[] = [], keptBeside: string[] = []) {
  const calls = {
    rulesSet: [] as LifecycleRule[][],
    started: [] as [string, ArchiveTarget][],
    restored: [] as [number, RestoreRequest][],
    verified: [] as number[],
  };
  const preview = (id: number): RestorePreview => ({
    path: projects.find((p) => p.id === id)?.location ?? "",
    project: id,
    objects: 302,
    bytes: 1_200_000,
    archived_objects: 302,
    archived_bytes: 1_200_000,
    coldest: "DEEP_ARCHIVE",
    waits: [
      { tier: "expedited", wait: null },
      { tier: "standard", wait: "within 12 hours" },
      { tier: "bulk", wait: "within 48 hours" },
    ],
    copy_back_to: projects.find((p) => p.id === id)?.source ?? "",
    kept_beside: keptBeside,
  });
  const api: ArchiveApi & { projects: Project[]; calls: typeof calls } = {
    projects,
    calls,
    archiveChoices: async () => ({
      classes: [
        { class: "GLACIER", label: "Glacier Flexible Retrieval (GLACIER)", archival: true },
        { class: "DEEP_ARCHIVE", label: "Glacier Deep Archive (DEEP_ARCHIVE)", archival: true },
      ],
      last_target: { to: "local:cold", class: null },
    }),
    archiveStart: async (source, target) => {
      calls.started.push([source, target]);
      const made = project(projects.length + 1, source, { state: "archiving", job: 40 });
      projects.push(made);
      return { project: made, job: 40 };
    },
    archiveList: async () => [...projects],
    archiveVerify: async (id) => {
      calls.verified.push(id);
      return { location: "", objects: 302, bytes: 1_200_000, matched: 301, missing: ["raw/IMG_0003.CR3"], changed: [], heads: 0 };
    },
    restorePreview: async (id) => preview(id),
    lifecycleGet: async (bucket) => ({ bucket, rules: [...rules] }),
    lifecycleSet: async (bucket, wanted) => {
      calls.rulesSet.push(wanted);
      const others = rules.filter((r) => !r.managed);
      const mine = wanted.map((r, i) => ({ ...r, id: r.id || `strata-${i + 1}`, summary: `Under ${r.prefix}` }));
      rules.splice(0, rules.length, ...others, ...mine);
      return { bucket, rules: [...rules] };
    },
    restoreStart: async (id, request) => {
      calls.restored.push([id, request]);
      const found = projects.find((p) => p.id === id);
      if (found) Object.assign(found, { state: "restoring", job: 41 });
      return 41;
    },
  };
  return api;
}

import { useCallback, useEffect, useState, type FormEvent } from "react";
import {
  errorOf,
  type ApiError,
  type ArchiveApi,
  type ArchiveChoices,
  type Project,
  type RestorePreview,
  type RestoreRequest,
  type VerifyReport,
} from "../api";
import type { Tier } from "../bindings";
import { useEngineEvents } from "../events";
import { size } from "../objectListing";
import { count, minute } from "../time";
import { ErrorNote } from "./ErrorNote";

const STATE_WORDS: Record<Project["state"], string> = {
  hot: "Not archived",
  archiving: "Archiving…",
  archived: "Archived",
  restoring: "Restoring…",
  restored: "Restored",
};

const TIER_WORDS: Record<Tier, string> = { expedited: "Expedited", standard: "Standard", bulk: "Bulk" };

/** Archived projects: where each lives, its state, and Verify and Restore… */
export function ProjectsView({ api }: { api: ArchiveApi }) {
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [progress, setProgress] = useState<Record<number, string>>({});
  const [verified, setVerified] = useState<Record<number, VerifyReport>>({});
  const [restoring, setRestoring] = useState<Project | null>(null);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  useEffect(() => {
    api.archiveList().then(setProjects, (thrown) => setError(errorOf(thrown)));
  }, [api, generation]);
  useEngineEvents((event) => {
    if (event.kind === "project_changed") reload();
    if (event.kind === "job_progress" && event.items !== null && PROGRESS_WORDS[event.action]) {
      setProgress((p) => ({ ...p, [event.job]: PROGRESS_WORDS[event.action](event.done, event.items ?? 0) }));
    }
  });
  async function verify(project: Project) {
    try {
      const report = await api.archiveVerify(project.id);
      setVerified((v) => ({ ...v, [project.id]: report }));
    } catch (thrown) {
      setError(errorOf(thrown));
    }
  }
  return (
    <section className="projects-view" aria-label="Projects">
      <h1>Archived projects</h1>
      <p className="lead">
        Folders moved to cold storage with a manifest of every object, verified before any source was deleted. Archive
        a folder from the browser (Archive…). Also: <code>strata archive</code>.
      </p>
      {error && <ErrorNote error={error} />}
      {projects?.length === 0 && <p className="empty-list">No project is archived yet.</p>}
      <ul className="project-list">
        {projects?.map((project) => (
          <li key={project.id} className="project" data-state={project.state}>
            <div className="project-head">
              <strong>{project.name}</strong>
              <span className="project-state">
                {STATE_WORDS[project.state]}
                {project.job !== null && progress[project.job] ? ` ${progress[project.job]}` : ""}
              </span>
            </div>
            <dl className="project-facts">
              <dt>From</dt>
              <dd>{project.source}</dd>
              <dt>Archive</dt>
              <dd>
                {project.location}
                {project.class ? ` (${project.class})` : ""}
              </dd>
              <dt>Size</dt>
              <dd>
                {count(project.objects)} objects, {size(project.bytes)}
              </dd>
              <dt>Date</dt>
              <dd>{project.archived_at ? minute(project.archived_at) : "—"}</dd>
              <dt>Manifest</dt>
              <dd>
                <code>{project.manifest}</code>
              </dd>
            </dl>
            {project.detail && <p className="project-detail">{project.detail}</p>}
            {verified[project.id] && <VerifyNote report={verified[project.id]} />}
            <div className="actions">
              <button type="button" disabled={project.state !== "archived"} onClick={() => void verify(project)}>
                Verify
              </button>
              <button
                type="button"
                disabled={project.state !== "archived" && project.state !== "restored"}
                onClick={() => setRestoring(project)}
              >
                Restore…
              </button>
            </div>
          </li>
        ))}
      </ul>
      {restoring && (
        <RestoreDialog
          api={api}
          project={restoring}
          onStarted={() => {
            setRestoring(null);
            reload();
          }}
          onCancel={() => setRestoring(null)}
        />
      )}
    </section>
  );
}

const PROGRESS_WORDS: Record<string, (done: number, items: number) => string> = {
  archive: (done, items) => `${count(done)} of ${count(items)} copied and verified`,
  restore: (done, items) => `${count(done)} of ${count(items)} readable`,
  copy_back: (done, items) => `${count(done)} of ${count(items)} copied back`,
};

function VerifyNote({ report }: { report: VerifyReport }) {
  const intact = report.missing.length === 0 && report.changed.length === 0;
  return (
    <div className={intact ? "notice" : "banner"} role="status">
      {intact
        ? `Verified: all ${count(report.objects)} objects match the manifest.`
        : `${report.missing.length} missing, ${report.changed.length} changed: ${[
            ...report.missing,
            ...report.changed.map((c) => c.key),
          ]
            .slice(0, 10)
            .join(", ")}`}
    </div>
  );
}

/** Shows what a restore involves (objects, bytes, each tier's usual wait), then starts it. */
function RestoreDialog({
  api,
  project,
  onStarted,
  onCancel,
}: {
  api: ArchiveApi;
  project: Project;
  onStarted(): void;
  onCancel(): void;
}) {
  const [preview, setPreview] = useState<RestorePreview | null>(null);
  const [tier, setTier] = useState<Tier>("standard");
  const [copyBack, setCopyBack] = useState(true);
  const [days, setDays] = useState(7);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    api.restorePreview(project.id).then(setPreview, (thrown) => setError(errorOf(thrown)));
  }, [api, project.id]);
  async function submit(event: FormEvent) {
    event.preventDefault();
    const request: RestoreRequest = { tier, days: copyBack ? 3 : days, copy_back: copyBack };
    try {
      await api.restoreStart(project.id, request);
      onStarted();
    } catch (thrown) {
      setError(errorOf(thrown));
    }
  }
  return (
    <div className="overlay">
      <form className="dialog form" role="dialog" aria-label={`Restore ${project.name}`} onSubmit={submit}>
        <h3>Restore {project.name}</h3>
        {error && <ErrorNote error={error} />}
        {!preview && !error && <p>Counting the archived objects…</p>}
        {preview && (
          <>
            <p className="restore-summary">
              {count(preview.objects)} objects, {size(preview.bytes)}.{" "}
              {preview.archived_objects > 0
                ? `${count(preview.archived_objects)} in ${preview.coldest} need a restore first (${size(preview.archived_bytes)}).`
                : "All of them can be read now."}
            </p>
            {preview.waits.length > 0 && (
              <fieldset>
                <legend>Speed</legend>
                {preview.waits.map((w) => (
                  <label key={w.tier}>
                    <input
                      type="radio"
                      name="tier"
                      value={w.tier}
                      disabled={w.wait === null}
                      checked={tier === w.tier}
                      onChange={() => setTier(w.tier)}
                    />
                    {TIER_WORDS[w.tier]}: {w.wait ?? "not offered for this class"}
                  </label>
                ))}
              </fieldset>
            )}
            <label>
              <input type="checkbox" checked={copyBack} onChange={(e) => setCopyBack(e.target.checked)} />
              Copy back to hot storage at {preview.copy_back_to}
            </label>
            {copyBack && preview.kept_beside.length > 0 && (
              <p className="note note-warning" role="note">
                {preview.kept_beside.length} object{preview.kept_beside.length === 1 ? "" : "s"} there changed since
                the archive ({preview.kept_beside.slice(0, 5).join(", ")}
                {preview.kept_beside.length > 5 ? ", …" : ""}): kept, with the restored copies beside them as
                conflict copies.
              </p>
            )}
            {!copyBack && (
              <label>
                Readable for (days)
                <input type="number" min={1} max={36500} value={days} onChange={(e) => setDays(Number(e.target.value))} />
              </label>
            )}
          </>
        )}
        <div className="actions">
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="button-primary" disabled={!preview}>
            Restore
          </button>
        </div>
      </form>
    </div>
  );
}

/** Asks where a folder goes (another bucket, a colder class, or both) and starts its archive. */
export function ArchiveDialog({
  api,
  source,
  name,
  onStarted,
  onCancel,
}: {
  api: ArchiveApi;
  source: string;
  name: string;
  onStarted(project: Project): void;
  onCancel(): void;
}) {
  const profile = source.split(":")[0];
  const [choices, setChoices] = useState<ArchiveChoices | null>(null);
  const [to, setTo] = useState("");
  const [storageClass, setStorageClass] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    api.archiveChoices(profile).then((found) => {
      setChoices(found);
      setTo(found.last_target?.to ?? "");
      setStorageClass(found.last_target?.class ?? "");
    }, (thrown) => setError(errorOf(thrown)));
  }, [api, profile]);
  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      const started = await api.archiveStart(source, { to: to.trim() || null, class: storageClass || null });
      onStarted(started.project);
    } catch (thrown) {
      setError(errorOf(thrown));
    }
  }
  return (
    <div className="overlay">
      <form className="dialog form" role="dialog" aria-label={`Archive ${name}`} onSubmit={submit}>
        <h3>Archive {name}</h3>
        <p>
          Every object is copied and verified, a manifest is written beside them, and only then is {source} deleted.
        </p>
        {error && <ErrorNote error={error} />}
        <label>
          To another bucket (PROFILE:BUCKET/PREFIX, any profile; empty: this bucket)
          <input value={to} onChange={(e) => setTo(e.target.value)} placeholder="cold:archive" />
        </label>
        <label>
          Storage class
          <select value={storageClass} onChange={(e) => setStorageClass(e.target.value)}>
            <option value="">The bucket's default</option>
            {choices?.classes.map((c) => (
              <option key={c.class} value={c.class}>
                {c.label}
                {c.archival ? " — restore before reading" : ""}
              </option>
            ))}
          </select>
        </label>
        <div className="actions">
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="button-primary" disabled={!choices || (!to.trim() && !storageClass)}>
            Archive
          </button>
        </div>
      </form>
    </div>
  );
}

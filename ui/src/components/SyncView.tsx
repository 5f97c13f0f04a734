import { useCallback, useEffect, useState } from "react";
import {
  errorOf,
  type Activity,
  type ApiError,
  type DesktopApi,
  type Notifications,
  type PlanItem,
  type SyncApi,
  type SyncConflict,
  type SyncPair,
  type SyncPlan,
  type SyncSettings,
  type TransferSettingsApi,
} from "../api";
import { useEngineEvents } from "../events";
import { size } from "../objectListing";
import { second } from "../time";
import { ConfirmDialog } from "./ConfirmDialog";
import { ErrorNote } from "./ErrorNote";
import { SettingsPanel } from "./SettingsPanel";
import { TransferSettingsForm } from "./TransferSettingsForm";

/** Activity lines shown per pair. */
const RECENT = 5;

const STATUS_WORDS: Record<string, string> = {
  new: "Not synced yet",
  syncing: "Syncing…",
  idle: "Up to date",
  waiting: "Waiting for files to settle",
  missing: "Folder missing",
  busy: "Synced by another Strata",
  attention: "Needs attention: some files cannot be read",
  failed: "Needs attention",
};

const ACTION_WORDS: Record<PlanItem["action"], string> = {
  upload: "Upload",
  move: "Move",
  delete: "Delete",
  conflict: "Conflict",
  already_there: "Already there",
  waiting: "Waiting",
  kept: "Keep",
  unreadable: "Cannot read",
};

export function statusWords(pair: SyncPair): string {
  if (!pair.active) return "Paused";
  return STATUS_WORDS[pair.status] ?? pair.status;
}

/** Sync pairs: add, pause, sync now, see the plan and the recent activity, resolve conflicts. */
export function SyncView({
  api,
  place,
  onArchive,
}: {
  api: SyncApi & DesktopApi & TransferSettingsApi;
  place: string;
  /** Archives a pair's uploaded folder (its remote prefix). */
  onArchive?(source: string, name: string): void;
}) {
  const [pairs, setPairs] = useState<SyncPair[] | null>(null);
  const [activity, setActivity] = useState<Activity[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [generation, setGeneration] = useState(0);
  const [progress, setProgress] = useState<Record<number, string>>({});
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  useEffect(() => {
    api.syncList().then(setPairs, (thrown) => setError(errorOf(thrown)));
    api.activity(200).then(setActivity, () => setActivity([]));
  }, [api, generation]);
  useEngineEvents((event) => {
    if (event.kind === "sync_changed" || (event.kind === "job_state" && event.job_kind === "sync")) reload();
    if (event.kind === "job_progress" && event.action === "sync" && event.items !== null) {
      setProgress((p) => ({ ...p, [event.job]: `${event.done} of ${event.items}` }));
    }
  });
  const act = (work: Promise<unknown>) => work.then(reload, (thrown) => setError(errorOf(thrown)));
  return (
    <section className="sync-view" aria-label="Sync">
      <h1>Sync</h1>
      <p className="lead">
        Folders kept uploaded to a bucket: what lands in a folder goes up once it stops changing. Also:{" "}
        <code>strata sync</code>.
      </p>
      {error && <ErrorNote error={error} />}
      <AddPair api={api} place={place} onAdded={reload} onError={setError} />
      {pairs?.length === 0 && <p className="empty-list">No folder is synced yet.</p>}
      <SettingsForm api={api} onError={setError} />
      <TransferSettingsForm api={api} onError={setError} />
      <DesktopSettings api={api} onError={setError} />
      <ul className="pair-list">
        {pairs?.map((pair) => (
          <PairCard
            key={pair.id}
            api={api}
            pair={pair}
            progress={pair.job === null ? undefined : progress[pair.job]}
            recent={activity.filter((a) => a.source.startsWith(pair.local)).slice(0, RECENT)}
            act={act}
            onError={setError}
            onArchive={onArchive && (() => onArchive(pair.remote, pair.local.split("/").pop() ?? pair.local))}
          />
        ))}
      </ul>
    </section>
  );
}

function AddPair({
  api,
  place,
  onAdded,
  onError,
}: {
  api: SyncApi;
  place: string;
  onAdded(): void;
  onError(error: ApiError): void;
}) {
  const [remote, setRemote] = useState(place);
  const [ignore, setIgnore] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  useEffect(() => setRemote(place), [place]);
  useEffect(() => {
    void api.syncDefaultIgnores().then((patterns) => setIgnore(patterns.join("\n")));
  }, [api]);
  async function add() {
    setAdding(true);
    try {
      const patterns = (ignore ?? "").split("\n").map((p) => p.trim()).filter(Boolean);
      const added = await api.syncAddChoose({ remote: remote.trim(), mirror_deletes: false, ignore: patterns });
      if (added) onAdded();
    } catch (thrown) {
      onError(errorOf(thrown));
    } finally {
      setAdding(false);
    }
  }
  return (
    <form
      className="panel add-pair"
      aria-label="Add a synced folder"
      onSubmit={(e) => {
        e.preventDefault();
        void add();
      }}
    >
      <label>
        Upload to
        <input value={remote} onChange={(e) => setRemote(e.target.value)} placeholder="PROFILE:BUCKET/FOLDER" required />
      </label>
      <details>
        <summary>Ignored names</summary>
        <textarea
          aria-label="Ignored names"
          rows={6}
          value={ignore ?? ""}
          onChange={(e) => setIgnore(e.target.value)}
        />
      </details>
      <p className="hint">New pairs only upload; deleting in the folder can be mirrored later, after a preview.</p>
      <button type="submit" className="button-primary" disabled={adding || !remote.includes(":")}>
        Choose a folder to sync…
      </button>
    </form>
  );
}

function PairCard({
  api,
  pair,
  progress,
  recent,
  act,
  onError,
  onArchive,
}: {
  api: SyncApi;
  pair: SyncPair;
  progress: string | undefined;
  recent: Activity[];
  act(work: Promise<unknown>): void;
  onError(error: ApiError): void;
  onArchive?(): void;
}) {
  const [plan, setPlan] = useState<SyncPlan | null>(null);
  const [mirrorPreview, setMirrorPreview] = useState<SyncPlan | null>(null);
  const [conflicts, setConflicts] = useState<SyncConflict[]>([]);
  const [removing, setRemoving] = useState(false);
  useEffect(() => {
    if (pair.conflicts === 0) setConflicts([]);
    else api.syncConflicts(pair.id).then(setConflicts, (thrown) => onError(errorOf(thrown)));
  }, [api, pair.id, pair.conflicts, onError]);
  const run = pair.last_run;
  async function preview(mirror: boolean | null, into: (plan: SyncPlan) => void) {
    try {
      into(await api.syncPlan(pair.id, mirror));
    } catch (thrown) {
      onError(errorOf(thrown));
    }
  }
  const deletes = mirrorPreview?.items.filter((i) => i.action === "delete") ?? [];
  return (
    <li className="panel pair" data-state={pair.active ? pair.status : "paused"} aria-label={`Pair ${pair.local}`}>
      <div className="pair-head">
        <div>
          <p className="pair-path">
            <code>{pair.local}</code> → <code>{pair.remote}</code>
          </p>
          <p className="pair-status">
            <span className="badge">{statusWords(pair)}</span>
            {progress && <span> {progress}</span>}
            {pair.status_detail && <span className="pair-detail"> {pair.status_detail}</span>}
          </p>
          <p className="pair-sub">
            {pair.files} files · {pair.mirror_deletes ? "mirrors deletes" : "upload-only"}
            {pair.synced_at && ` · last synced ${second(pair.synced_at)}`}
            {run && run.requests === 0 && run.uploaded === 0 && " · no request needed"}
          </p>
        </div>
        <div className="actions">
          <button type="button" onClick={() => act(api.syncStart(pair.id, false))} disabled={!pair.active}>
            Sync now
          </button>
          <button type="button" onClick={() => act(api.syncSetActive(pair.id, !pair.active))}>
            {pair.active ? "Pause" : "Resume"}
          </button>
          <button type="button" onClick={() => void preview(null, setPlan)}>
            Show plan
          </button>
          {pair.mirror_deletes ? (
            <button type="button" onClick={() => act(api.syncEdit(pair.id, { mirror_deletes: false, ignore: null }))}>
              Stop mirroring deletes
            </button>
          ) : (
            <button type="button" onClick={() => void preview(true, setMirrorPreview)}>
              Mirror deletes…
            </button>
          )}
          {onArchive && (
            <button type="button" onClick={onArchive}>
              Archive…
            </button>
          )}
          <button type="button" className="button-danger" onClick={() => setRemoving(true)}>
            Remove
          </button>
        </div>
      </div>
      {plan && <PlanList plan={plan} onClose={() => setPlan(null)} />}
      {conflicts.length > 0 && (
        <div className="conflicts" aria-label="Conflicts">
          <h3>Conflicts</h3>
          <p className="hint">These changed here and on the server; the file went up beside the object, and neither was overwritten.</p>
          <ul>
            {conflicts.map((c) => (
              <li key={c.id}>
                <code>{c.path}</code> — yours: <code>{c.copy}</code>
                <button type="button" onClick={() => act(api.syncConflictResolve(c.id, "use_mine"))}>
                  Use mine
                </button>
                <button type="button" onClick={() => act(api.syncConflictResolve(c.id, "keep_both"))}>
                  Keep both
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      {recent.length > 0 && (
        <ul className="pair-activity" aria-label="Recent activity">
          {recent.map((a) => (
            <li key={a.id}>
              {second(a.at)} · {a.action} · {a.source.slice(pair.local.length + 1) || a.target}
              {a.detail ? ` · ${a.detail}` : ""}
            </li>
          ))}
        </ul>
      )}
      {mirrorPreview && (
        <ConfirmDialog
          title="Mirror deletes?"
          body={
            deletes.length === 0
              ? "From now on, a file deleted in the folder is deleted in the bucket too. Nothing would be deleted now."
              : `From now on, a file deleted in the folder is deleted in the bucket too. The next sync deletes ${deletes.length} object(s):`
          }
          confirmLabel="Mirror deletes"
          onCancel={() => setMirrorPreview(null)}
          onConfirm={() => {
            setMirrorPreview(null);
            act(api.syncEdit(pair.id, { mirror_deletes: true, ignore: null }));
          }}
        >
          {deletes.length > 0 && (
            <ul className="doomed">
              {deletes.map((d) => (
                <li key={d.path}>
                  <code>{d.path}</code> ({size(d.size)})
                </li>
              ))}
            </ul>
          )}
        </ConfirmDialog>
      )}
      {removing && (
        <ConfirmDialog
          title="Stop syncing this folder?"
          body="The folder and the objects already uploaded stay as they are; only the pairing is removed."
          confirmLabel="Remove pair"
          onCancel={() => setRemoving(false)}
          onConfirm={() => {
            setRemoving(false);
            act(api.syncRemove(pair.id));
          }}
        />
      )}
    </li>
  );
}

function PlanList({ plan, onClose }: { plan: SyncPlan; onClose(): void }) {
  return (
    <div className="plan" aria-label="Plan">
      <p>
        {plan.items.length === 0 ? "Nothing to do" : `${plan.items.length} to do`} · {plan.unchanged} unchanged ·{" "}
        {plan.requests} request(s) to the server
        <button type="button" className="button-link" onClick={onClose}>
          Close
        </button>
      </p>
      <ul>
        {plan.items.map((item) => (
          <li key={`${item.action}-${item.path}`} data-action={item.action}>
            <strong>{ACTION_WORDS[item.action]}</strong> <code>{item.path}</code>
            {item.other && (
              <>
                {" "}
                (<code>{item.other}</code>)
              </>
            )}{" "}
            · {size(item.size)} · {item.reason}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** How long a file must rest before it goes up, and how often folders and the server are checked. */
function SettingsForm({ api, onError }: { api: SyncApi; onError(error: ApiError): void }) {
  return (
    <SettingsPanel
      title="Settings"
      className="sync-settings"
      load={api.syncSettings}
      save={api.syncSettingsSet}
      onError={onError}
    >
      {(settings, edit) => {
        const field = (label: string, key: keyof SyncSettings, unit: number) => (
          <label>
            {label}
            <input
              type="number"
              min={0}
              step="any"
              value={settings[key] / unit}
              onChange={(e) => edit({ ...settings, [key]: Math.round(Number(e.target.value) * unit) })}
            />
          </label>
        );
        return (
          <>
            {field("A file goes up once unchanged for (seconds)", "settle_ms", 1000)}
            {field("Scan the folders every (minutes)", "rescan_secs", 60)}
            {field("Check the server for changes every (hours)", "reconcile_secs", 3600)}
          </>
        );
      }}
    </SettingsPanel>
  );
}

/** Notifications and starting at login: saved as soon as they are ticked. */
function DesktopSettings({ api, onError }: { api: DesktopApi; onError(error: ApiError): void }) {
  const [wanted, setWanted] = useState<Notifications | null>(null);
  const [atLogin, setAtLogin] = useState<boolean | null>(null);
  useEffect(() => {
    api.notifications().then(setWanted, (thrown) => onError(errorOf(thrown)));
    api.startAtLogin().then(setAtLogin, (thrown) => onError(errorOf(thrown)));
  }, [api, onError]);
  const notify = (next: Notifications) =>
    api.setNotifications(next).then(() => setWanted(next), (thrown) => onError(errorOf(thrown)));
  return (
    <fieldset className="panel desktop-settings">
      <legend>Desktop</legend>
      {wanted && (
        <>
          <label className="checkbox">
            <input type="checkbox" checked={wanted.errors} onChange={(e) => void notify({ ...wanted, errors: e.target.checked })} />
            Notify me when a transfer or a sync fails
          </label>
          <label className="checkbox">
            <input
              type="checkbox"
              checked={wanted.bulk_uploads}
              onChange={(e) => void notify({ ...wanted, bulk_uploads: e.target.checked })}
            />
            Notify me when many uploads have finished
          </label>
        </>
      )}
      {atLogin !== null && (
        <label className="checkbox">
          <input
            type="checkbox"
            checked={atLogin}
            onChange={(e) => {
              const enabled = e.target.checked;
              api.setStartAtLogin(enabled).then(() => setAtLogin(enabled), (thrown) => onError(errorOf(thrown)));
            }}
          />
          Start Strata at login (it keeps syncing from the tray)
        </label>
      )}
    </fieldset>
  );
}

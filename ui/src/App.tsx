import { useCallback, useEffect, useMemo, useState } from "react";
import { errorOf, type Api, type ApiError, type Profile, type ProfileInput, type ProviderPreset } from "./api";
import { ActivityView } from "./components/ActivityView";
import { BucketBrowser } from "./components/BucketBrowser";
import { ObjectBrowser } from "./components/ObjectBrowser";
import { TransfersPanel } from "./components/TransfersPanel";
import { createEventHub, EventsContext } from "./events";
import { useNavigation } from "./navigation";
import { ConfirmDialog } from "./components/ConfirmDialog";
import { ErrorNote } from "./components/ErrorNote";
import { ProfileDetail } from "./components/ProfileDetail";
import { ProfileForm } from "./components/ProfileForm";
import { ProfileList } from "./components/ProfileList";
import { SidebarBuckets } from "./components/SidebarBuckets";
import { SyncView } from "./components/SyncView";
import { ArchiveDialog, ProjectsView } from "./components/ProjectsView";
import { LifecycleDialog } from "./components/LifecycleDialog";

type View =
  | { kind: "profile" }
  | { kind: "add" }
  | { kind: "edit"; profile: Profile }
  | { kind: "activity" }
  | { kind: "sync" }
  | { kind: "projects" };

export function App({ api }: { api: Api }) {
  const [profiles, setProfiles] = useState<Profile[] | null>(null);
  const nav = useNavigation(null);
  const selected = nav.place?.profile ?? null;
  // One subscription to engine events for the whole app, made before any job starts.
  const events = useMemo(() => createEventHub(api.onEvent), [api]);
  useEffect(() => () => events.stop(), [events]);
  const [view, setView] = useState<View>({ kind: "profile" });
  const [confirmDelete, setConfirmDelete] = useState<Profile | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [presets, setPresets] = useState<ProviderPreset[]>([]);
  const [archiving, setArchiving] = useState<{ source: string; name: string } | null>(null);
  const [rulesOf, setRulesOf] = useState<string | null>(null);

  const reload = useCallback(
    async (select?: string | null) => {
      try {
        const list = await api.listProfiles();
        setProfiles(list);
        const wanted = select === undefined ? selected : select;
        const name = list.some((p) => p.name === wanted) ? wanted : (list[0]?.name ?? null);
        if (name !== null && name !== selected) nav.go({ profile: name, bucket: null, prefix: "" });
      } catch (thrown) {
        setError(errorOf(thrown));
      }
    },
    // eslint-style note: `selected` is read at call time; reloading must not re-run on it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api],
  );

  useEffect(() => {
    void reload();
    void api.providerPresets().then(setPresets);
  }, [reload, api]);

  async function save(input: ProfileInput) {
    const saved =
      view.kind === "edit"
        ? await api.editProfile(view.profile.name, input)
        : await api.addProfile(input);
    setView({ kind: "profile" });
    setNotice(null);
    await reload(saved.name);
  }

  async function remove(profile: Profile) {
    setConfirmDelete(null);
    try {
      await api.removeProfile(profile.name);
      setNotice(`Removed profile "${profile.name}" and its secret.`);
      await reload(null);
    } catch (thrown) {
      setError(errorOf(thrown));
    }
  }

  async function importAws() {
    try {
      const report = await api.importAws();
      const skipped = report.skipped.map((s) => `${s.name} (${s.reason})`).join(", ");
      setNotice(
        `Imported ${report.imported.length} profile(s) from the AWS config.` + (skipped ? ` Skipped: ${skipped}.` : ""),
      );
      await reload(report.imported[0]?.name);
    } catch (thrown) {
      setError(errorOf(thrown));
    }
  }

  async function restoreLocal() {
    try {
      const restored = await api.restoreLocal();
      setNotice(null);
      await reload(restored.name);
    } catch (thrown) {
      setError(errorOf(thrown));
    }
  }

  const current = profiles?.find((p) => p.name === selected) ?? null;
  // Where a new synced folder goes by default: the folder open in the browser.
  const syncPlace =
    nav.place?.bucket != null
      ? `${nav.place.profile}:${nav.place.bucket}/${nav.place.prefix}`
      : `${selected ?? "local"}:`;
  const currentName = current?.name ?? null;
  // One object per profile, so the field does not re-read the setting on every render.
  const publicBase = useMemo(
    () =>
      currentName === null
        ? undefined
        : {
            load: () => api.profilePublicBase(currentName),
            save: (base: string | null) => api.setProfilePublicBase(currentName, base),
          },
    [api, currentName],
  );

  return (
    <EventsContext.Provider value={events}>
    <div className="app">
      <ProfileList
        profiles={profiles ?? []}
        selected={selected}
        onSelect={(name) => {
          nav.go({ profile: name, bucket: null, prefix: "" });
          setView({ kind: "profile" });
        }}
        onAdd={() => setView({ kind: "add" })}
        onImport={importAws}
        onRestoreLocal={restoreLocal}
        onActivity={() => setView({ kind: "activity" })}
        onSync={() => setView({ kind: "sync" })}
        onProjects={() => setView({ kind: "projects" })}
      >
        {selected && (
          <SidebarBuckets
            api={api}
            profile={selected}
            current={nav.place?.bucket ?? null}
            onOpen={(bucket) => {
              nav.go({ profile: selected, bucket, prefix: "" });
              setView({ kind: "profile" });
            }}
            onMore={() => {
              nav.go({ profile: selected, bucket: null, prefix: "" });
              setView({ kind: "profile" });
            }}
          />
        )}
      </ProfileList>
      <main className="main">
        {error && (
          <div className="banner">
            <ErrorNote error={error} />
            <button type="button" className="button-link" onClick={() => setError(null)}>
              Dismiss
            </button>
          </div>
        )}
        {notice && <p className="notice">{notice}</p>}
        {view.kind === "activity" && <ActivityView api={api} />}
        {view.kind === "sync" && (
          <SyncView api={api} place={syncPlace} onArchive={(source, name) => setArchiving({ source, name })} />
        )}
        {view.kind === "projects" && <ProjectsView api={api} />}
        {view.kind === "add" && <ProfileForm presets={presets} onSubmit={save} onCancel={() => setView({ kind: "profile" })} />}
        {view.kind === "edit" && (
          <ProfileForm profile={view.profile} presets={presets} onSubmit={save} onCancel={() => setView({ kind: "profile" })} />
        )}
        {view.kind === "profile" && (nav.canBack || nav.canForward) && (
          <div className="history">
            <button type="button" className="button-small" aria-label="Back" onClick={nav.back} disabled={!nav.canBack}>
              ←
            </button>
            <button type="button" className="button-small" aria-label="Forward" onClick={nav.forward} disabled={!nav.canForward}>
              →
            </button>
          </div>
        )}
        {view.kind === "profile" && current && nav.place?.bucket != null && (
          <ObjectBrowser
            key={`objects-${current.id}-${nav.place.bucket}`}
            api={api}
            place={{ ...nav.place, bucket: nav.place.bucket }}
            onNavigate={nav.go}
            onArchive={(source, name) => setArchiving({ source, name })}
            onLifecycle={() => setRulesOf(`${current.name}:${nav.place?.bucket}`)}
          />
        )}
        {view.kind === "profile" && current && nav.place?.bucket == null && (
          <ProfileDetail
            presets={presets}
            key={current.id}
            profile={current}
            onTest={api.testProfile}
            onEdit={() => setView({ kind: "edit", profile: current })}
            onDelete={() => setConfirmDelete(current)}
            publicBase={publicBase}
          />
        )}
        {view.kind === "profile" && current && nav.place?.bucket == null && (
          <BucketBrowser
            key={`buckets-${current.id}`}
            api={api}
            profile={current}
            onOpenBucket={(bucket) => nav.go({ profile: current.name, bucket: bucket.name, prefix: "" })}
          />
        )}
        {view.kind === "profile" && profiles?.length === 0 && (
          <section className="panel welcome">
            <h1>Welcome to Strata</h1>
            <p>Strata manages files in S3-compatible storage. Start by adding the account you want to browse.</p>
          </section>
        )}
        <TransfersPanel api={api} />
      </main>
      {archiving && (
        <ArchiveDialog
          api={api}
          source={archiving.source}
          name={archiving.name}
          onStarted={(project) => {
            setArchiving(null);
            setNotice(`Archiving ${project.name}: follow it under Projects.`);
          }}
          onCancel={() => setArchiving(null)}
        />
      )}
      {rulesOf && <LifecycleDialog api={api} bucket={rulesOf} onClose={() => setRulesOf(null)} />}
      {confirmDelete && (
        <ConfirmDialog
          title={`Delete profile "${confirmDelete.name}"?`}
          body={
            confirmDelete.provider === "local"
              ? "The profile and its key are removed; the files stored on this computer are kept, and the profile can be restored."
              : "Its settings and its secret in the keyring are removed. Nothing in the storage itself is touched."
          }
          confirmLabel="Delete profile"
          onConfirm={() => void remove(confirmDelete)}
          onCancel={() => setConfirmDelete(null)}
        />
      )}
    </div>
    </EventsContext.Provider>
  );
}

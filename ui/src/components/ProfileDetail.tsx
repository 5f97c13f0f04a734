import { useEffect, useState } from "react";
import { errorOf, type ApiError, type ConnectionReport, type Profile } from "../api";
import { presetOf, whereItLives, type ProviderPreset } from "../presets";
import { ErrorNote } from "./ErrorNote";

type TestState =
  | { state: "idle" }
  | { state: "testing" }
  | { state: "done"; report: ConnectionReport }
  | { state: "failed"; error: ApiError };

interface Props {
  profile: Profile;
  presets: ProviderPreset[];
  onTest(name: string): Promise<ConnectionReport>;
  onEdit(): void;
  onDelete(): void;
  /** The profile's public base URL (CDN), read and saved through the engine. */
  publicBase?: { load(): Promise<string | null>; save(base: string | null): Promise<void> };
}

export function ProfileDetail({ profile, presets, onTest, onEdit, onDelete, publicBase }: Props) {
  const [test, setTest] = useState<TestState>({ state: "idle" });

  async function runTest() {
    setTest({ state: "testing" });
    try {
      setTest({ state: "done", report: await onTest(profile.name) });
    } catch (thrown) {
      setTest({ state: "failed", error: errorOf(thrown) });
    }
  }

  const builtIn = profile.provider === "local";
  const rows: [string, string][] = [
    ["Provider", presetOf(presets, profile.provider)?.label ?? profile.provider],
    ["Endpoint", whereItLives(profile)],
    ["Region", profile.region],
    ["Addressing", profile.path_style ? "path-style" : "virtual-hosted"],
    ["Access key id", profile.access_key_id ?? `from AWS profile "${profile.aws_profile}"`],
  ];

  return (
    <section className="profile-head" aria-label={`Profile ${profile.name}`}>
      <div className="profile-title">
        <h1>{profile.name}</h1>
        <span className="profile-where">{whereItLives(profile)}</span>
        <span className="spacer" />
        <button type="button" className="button-primary button-small" onClick={runTest} disabled={test.state === "testing"}>
          {test.state === "testing" ? "Testing…" : "Test connection"}
        </button>
        <button type="button" className="button-small" onClick={onEdit}>
          Edit
        </button>
        <button type="button" className="button-danger button-small" onClick={onDelete}>
          Delete
        </button>
      </div>
      {builtIn && (
        <p className="lead">
          Strata's own storage, on this computer: no account needed. Other S3 tools can use it too with{" "}
          <code>strata serve-local</code>.
        </p>
      )}
      {/* The profile's settings are one click away rather than above every bucket list. */}
      <details className="profile-facts">
        <summary>Profile details</summary>
        <dl className="facts">
          {rows.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
        {publicBase && <PublicBaseField api={publicBase} />}
      </details>
      <div data-testid="test-outcome" aria-live="polite">
        {test.state === "done" && (
          <div className={test.report.warning ? "note note-warning" : "note note-ok"}>
            <p className="note-title">{test.report.summary}</p>
            {test.report.warning && <p>{test.report.warning}</p>}
          </div>
        )}
        {test.state === "failed" && <ErrorNote error={test.error} />}
      </div>
    </section>
  );
}

/** Where public objects are served from (a CDN or custom domain), for their public URLs. */
function PublicBaseField({ api }: { api: NonNullable<Props["publicBase"]> }) {
  const [value, setValue] = useState("");
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    api.load().then((base) => setValue(base ?? ""), () => {});
  }, [api]);
  async function save() {
    setError(null);
    try {
      await api.save(value.trim() || null);
      setSaved(value.trim() ? "Saved: public URLs start with it." : "Cleared: public URLs use the bucket's address.");
    } catch (thrown) {
      setError(errorOf(thrown));
    }
  }
  return (
    <div className="public-base">
      <label htmlFor="public-base">Public base URL (CDN or custom domain, optional)</label>
      <div className="public-base-row">
        <input id="public-base" value={value} placeholder="https://cdn.example.com" onChange={(e) => setValue(e.target.value)} />
        <button type="button" className="button-small" onClick={() => void save()}>
          Save
        </button>
      </div>
      {saved && <p className="field-help">{saved}</p>}
      {error && <ErrorNote error={error} />}
    </div>
  );
}

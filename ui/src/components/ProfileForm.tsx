import { useState, type FormEvent } from "react";
import { errorOf, type ApiError, type Profile, type ProfileInput } from "../api";
import type { Provider } from "../bindings";
import { presetOf, type ProviderPreset } from "../presets";
import { ErrorNote } from "./ErrorNote";

interface Props {
  /** The profile being edited; absent when adding. */
  profile?: Profile;
  /** The engine's provider defaults (`provider_presets`). */
  presets: ProviderPreset[];
  /** Saves; a thrown engine error with a `field` is shown under that field. */
  onSubmit(input: ProfileInput): Promise<void>;
  onCancel(): void;
}

export function ProfileForm({ profile, presets, onSubmit, onCancel }: Props) {
  const editing = profile !== undefined;
  const [provider, setProvider] = useState<Provider>(profile?.provider ?? "other");
  const preset = presetOf(presets, provider);
  const [name, setName] = useState(profile?.name ?? "");
  const [endpoint, setEndpoint] = useState(profile?.endpoint ?? "");
  const [accountId, setAccountId] = useState(profile?.account_id ?? "");
  const [region, setRegion] = useState(profile?.region ?? preset.region);
  const [pathStyle, setPathStyle] = useState(profile?.path_style ?? preset.path_style);
  const [accessKeyId, setAccessKeyId] = useState(profile?.access_key_id ?? "");
  const [secret, setSecret] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);

  function choose(next: Provider) {
    const nextPreset = presetOf(presets, next);
    setProvider(next);
    setRegion(nextPreset.region);
    setPathStyle(nextPreset.path_style);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      // Empty strings clear a field; only the secret uses null, for "keep the stored one".
      await onSubmit({
        name,
        provider,
        endpoint: endpoint.trim(),
        account_id: preset.needs_account_id ? accountId.trim() : "",
        region: region.trim(),
        path_style: pathStyle,
        access_key_id: accessKeyId.trim(),
        secret_access_key: secret === "" ? null : secret,
      });
    } catch (thrown) {
      setError(errorOf(thrown));
    } finally {
      setSaving(false);
    }
  }

  const fieldError = (field: string) =>
    error?.field === field ? (
      <p className="field-error" role="alert" id={`${field}-error`}>
        {error.message} {error.hint}
      </p>
    ) : null;

  return (
    <form className="panel form" onSubmit={submit} aria-label={editing ? "Edit profile" : "Add profile"}>
      <h1>{editing ? `Edit ${profile.name}` : "Add a profile"}</h1>

      <label htmlFor="profile-provider">Provider</label>
      <select id="profile-provider" value={provider} onChange={(e) => choose(e.target.value as Provider)}>
        {presets.filter((p) => p.provider !== "local" || provider === "local").map((p) => (
          <option key={p.provider} value={p.provider}>
            {p.label}
          </option>
        ))}
      </select>

      <label htmlFor="profile-name">Name</label>
      <input id="profile-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Studio archive" autoFocus />
      {fieldError("name")}

      {preset.needs_account_id && (
        <>
          <label htmlFor="profile-account-id">Cloudflare account id</label>
          <input id="profile-account-id" value={accountId} onChange={(e) => setAccountId(e.target.value)} placeholder="32 hexadecimal characters" />
          {fieldError("account_id")}
        </>
      )}

      <label htmlFor="profile-endpoint">Endpoint{preset.endpoint_required ? "" : " (optional)"}</label>
      <input id="profile-endpoint" value={endpoint} onChange={(e) => setEndpoint(e.target.value)} placeholder={preset.endpoint_placeholder} />
      {fieldError("endpoint")}

      <label htmlFor="profile-region">Region</label>
      <input id="profile-region" value={region} onChange={(e) => setRegion(e.target.value)} />
      {fieldError("region")}

      <label className="checkbox">
        <input id="profile-path-style" type="checkbox" checked={pathStyle} onChange={(e) => setPathStyle(e.target.checked)} />
        Path-style addressing (endpoint/bucket)
      </label>

      <label htmlFor="profile-access-key-id">Access key id</label>
      <input id="profile-access-key-id" value={accessKeyId} onChange={(e) => setAccessKeyId(e.target.value)} autoComplete="off" spellCheck={false} />
      {fieldError("access_key_id")}

      <label htmlFor="profile-secret">Secret access key</label>
      <input
        id="profile-secret"
        type="password"
        value={secret}
        onChange={(e) => setSecret(e.target.value)}
        placeholder={editing ? "unchanged" : ""}
        autoComplete="off"
      />
      <p className="field-help">Kept in your system's keyring, never on disk.</p>
      {fieldError("secret_access_key")}

      {error && error.field === null && <ErrorNote error={error} />}

      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="button-primary" disabled={saving}>
          {saving ? "Saving…" : editing ? "Save" : "Add profile"}
        </button>
      </div>
    </form>
  );
}

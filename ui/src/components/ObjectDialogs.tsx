import { useState, type FormEvent } from "react";
import { errorOf, type ApiError, type Link, type ObjectDetails, type ObjectEdit } from "../api";
import { ErrorNote } from "./ErrorNote";

interface AskNameProps {
  title: string;
  label: string;
  initial: string;
  action: string;
  /** Paths may hold "/" (a target folder); names may not. */
  allowSlash?: boolean;
  onSubmit(name: string): void;
  onCancel(): void;
}

/** Asks for one name (a new folder, a new name for a rename) or a target path. */
export function AskNameDialog({ title, label, initial, action, allowSlash, onSubmit, onCancel }: AskNameProps) {
  const [name, setName] = useState(initial);
  function submit(event: FormEvent) {
    event.preventDefault();
    if (name.trim()) onSubmit(name.trim());
  }
  return (
    <div className="overlay">
      <form className="dialog form" role="dialog" aria-label={title} onSubmit={submit}>
        <h3>{title}</h3>
        <label htmlFor="ask-name">{label}</label>
        <input id="ask-name" autoFocus value={name} onChange={(e) => setName(e.target.value)} />
        <div className="actions">
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="button-primary" disabled={!name.trim() || (!allowSlash && name.includes("/"))}>
            {action}
          </button>
        </div>
      </form>
    </div>
  );
}

/** A presigned link, shown in full and copied to the clipboard. */
export function LinkDialog({ link, copied, onClose }: { link: Link; copied: boolean; onClose(): void }) {
  return (
    <div className="overlay">
      <div className="dialog" role="dialog" aria-label="Link">
        <h3>{link.method === "GET" ? "Download link" : "Upload link"}</h3>
        <p>
          Works without a key until {link.expires_at.replace("T", " ").replace("Z", " UTC")}.
          {copied ? " Copied to the clipboard." : " Copy it from the box below."}
        </p>
        <textarea className="link-url" data-testid="link-url" readOnly value={link.url} rows={4} />
        <div className="actions">
          <button type="button" className="button-primary" onClick={onClose}>
            Done
          </button>
        </div>
      </div>
    </div>
  );
}

/** "name: value" lines to pairs (blank lines skipped). */
export function parsePairs(text: string, separator: string): [string, string][] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const at = line.indexOf(separator);
      return at < 0 ? [line, ""] : [line.slice(0, at).trim(), line.slice(at + 1).trim()];
    });
}

interface EditProps {
  details: ObjectDetails;
  tags: [string, string][] | null;
  onSave(edit: ObjectEdit, tags: [string, string][] | null): Promise<void>;
  onCancel(): void;
}

/** Content type, cache-control, metadata and tags of one object; the bytes stay as they are. */
export function EditObjectDialog({ details, tags, onSave, onCancel }: EditProps) {
  const [contentType, setContentType] = useState(details.content_type ?? "");
  const [cacheControl, setCacheControl] = useState(details.cache_control ?? "");
  const [metadata, setMetadata] = useState(details.metadata.map(([k, v]) => `${k}: ${v}`).join("\n"));
  const [tagText, setTagText] = useState((tags ?? []).map(([k, v]) => `${k}=${v}`).join("\n"));
  const [error, setError] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const edit = { content_type: contentType || null, cache_control: cacheControl || null, metadata: parsePairs(metadata, ":") };
      await onSave(edit, tags === null ? null : parsePairs(tagText, "="));
    } catch (thrown) {
      setError(errorOf(thrown));
      setSaving(false);
    }
  }
  return (
    <div className="overlay">
      <form className="dialog form" role="dialog" aria-label="Edit object" onSubmit={submit}>
        <h3>Edit {details.key.split("/").pop()}</h3>
        <label htmlFor="edit-type">Content type</label>
        <input id="edit-type" value={contentType} onChange={(e) => setContentType(e.target.value)} placeholder="image/jpeg" />
        <label htmlFor="edit-cache">Cache-Control</label>
        <input id="edit-cache" value={cacheControl} onChange={(e) => setCacheControl(e.target.value)} placeholder="max-age=3600" />
        <label htmlFor="edit-metadata">Metadata (one "name: value" a line)</label>
        <textarea id="edit-metadata" rows={4} value={metadata} onChange={(e) => setMetadata(e.target.value)} />
        {tags !== null && (
          <>
            <label htmlFor="edit-tags">Tags (one "key=value" a line)</label>
            <textarea id="edit-tags" rows={3} value={tagText} onChange={(e) => setTagText(e.target.value)} />
          </>
        )}
        {error && <ErrorNote error={error} />}
        <div className="actions">
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="button-primary" disabled={saving}>
            Save
          </button>
        </div>
      </form>
    </div>
  );
}

import { useState, type FormEvent } from "react";
import { errorOf, type ApiError, type Bucket } from "../api";
import { ErrorNote } from "./ErrorNote";

interface CreateProps {
  profileRegion: string;
  onCreate(name: string, region: string | null): Promise<void>;
  onCancel(): void;
}

/** Name and region of a new bucket; the engine checks the name against S3's rules. */
export function CreateBucketDialog({ profileRegion, onCreate, onCancel }: CreateProps) {
  const [name, setName] = useState("");
  const [region, setRegion] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    try {
      await onCreate(name, region.trim() || null);
    } catch (thrown) {
      setError(errorOf(thrown));
      setBusy(false);
    }
  }

  return (
    <div className="overlay">
      <form className="dialog form" role="dialog" aria-modal="true" aria-labelledby="create-title" onSubmit={submit}>
        <h3 id="create-title">New bucket</h3>
        <label htmlFor="bucket-name">Name</label>
        <input id="bucket-name" value={name} onChange={(e) => setName(e.target.value)} autoFocus spellCheck={false} />
        <p className="field-help">3–63 characters: lowercase letters, digits, dots and hyphens.</p>
        <label htmlFor="bucket-region">Region</label>
        <input id="bucket-region" value={region} placeholder={profileRegion} onChange={(e) => setRegion(e.target.value)} />
        {error && <ErrorNote error={error} />}
        <div className="actions">
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="button-primary" disabled={busy || name === ""}>
            {busy ? "Creating…" : "Create bucket"}
          </button>
        </div>
      </form>
    </div>
  );
}

interface DeleteProps {
  bucket: Bucket;
  /** Set when a plain delete was refused because the bucket holds objects. */
  notEmpty: ApiError | null;
  onDelete(force: boolean): void;
  onCancel(): void;
}

/**
 * Deleting asks once; a bucket that turns out to hold objects asks again, and emptying it
 * needs the bucket's name typed in full.
 */
export function DeleteBucketDialog({ bucket, notEmpty, onDelete, onCancel }: DeleteProps) {
  const [typed, setTyped] = useState("");
  return (
    <div className="overlay">
      <div className="dialog form" role="alertdialog" aria-modal="true" aria-labelledby="delete-title">
        <h3 id="delete-title">Delete bucket "{bucket.name}"?</h3>
        {notEmpty === null ? (
          <p>An empty bucket is deleted at once. If it holds anything, Strata asks again before emptying it.</p>
        ) : (
          <>
            <p className="note-title">{notEmpty.message}</p>
            <p>
              Emptying deletes every object, every object version and every unfinished upload in it. This cannot be
              undone. Type the bucket's name to go ahead.
            </p>
            <label htmlFor="delete-confirm">Bucket name</label>
            <input
              id="delete-confirm"
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              autoFocus
              spellCheck={false}
              autoComplete="off"
            />
          </>
        )}
        <div className="actions">
          <button type="button" onClick={onCancel} autoFocus={notEmpty === null}>
            Cancel
          </button>
          {notEmpty === null ? (
            <button type="button" className="button-danger" onClick={() => onDelete(false)}>
              Delete bucket
            </button>
          ) : (
            <button type="button" className="button-danger" disabled={typed !== bucket.name} onClick={() => onDelete(true)}>
              Empty and delete
            </button>
          )}
        </div>
      </div>
    </div>
  );
}

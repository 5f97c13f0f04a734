import { useState, type FormEvent } from "react";
import type { Link } from "../api";

interface AskNameProps {
  title: string;
  label: string;
  initial: string;
  action: string;
  onSubmit(name: string): void;
  onCancel(): void;
}

/** Asks for one name (a new folder, a new name for a rename). */
export function AskNameDialog({ title, label, initial, action, onSubmit, onCancel }: AskNameProps) {
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
          <button type="submit" className="button-primary" disabled={!name.trim() || name.includes("/")}>
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

import type { Profile } from "../api";
import { whereItLives } from "../presets";

interface Props {
  profiles: Profile[];
  selected: string | null;
  onSelect(name: string): void;
  onAdd(): void;
  onImport(): void;
  /** Offered when the built-in `local` profile was removed. */
  onRestoreLocal(): void;
  onActivity(): void;
  onSync(): void;
  onProjects(): void;
  /** What to show under the selected profile (its buckets). */
  children?: React.ReactNode;
}

export function ProfileList({ profiles, selected, onSelect, onAdd, onImport, onRestoreLocal, onActivity, onSync, onProjects, children }: Props) {
  const hasLocal = profiles.some((p) => p.provider === "local");
  return (
    <nav className="sidebar" aria-label="Profiles">
      <div className="sidebar-head">
        <h2>Profiles</h2>
        <button type="button" className="button-small" onClick={onAdd}>
          + Add
        </button>
      </div>
      {profiles.length === 0 ? (
        <div className="empty" data-testid="first-run">
          <p className="empty-title">Connect your first storage</p>
          <p>Add a profile for AWS S3, Cloudflare R2, MinIO, SeaweedFS or any S3-compatible server.</p>
          <button type="button" className="button-primary" onClick={onAdd}>
            Add a profile
          </button>
          <button type="button" className="button-link" onClick={onImport}>
            Import from ~/.aws/config
          </button>
        </div>
      ) : (
        <ul className="profile-list">
          {profiles.map((p) => (
            <li key={p.id}>
              <button
                type="button"
                className="profile-item"
                aria-current={p.name === selected ? "true" : undefined}
                onClick={() => onSelect(p.name)}
              >
                <span className="profile-name">{p.name}</span>
                <span className="profile-sub">{whereItLives(p)}</span>
              </button>
              {p.name === selected && children}
            </li>
          ))}
        </ul>
      )}
      <button type="button" className="button-link sidebar-link" onClick={onSync}>
        Sync
      </button>
      <button type="button" className="button-link sidebar-link" onClick={onProjects}>
        Projects
      </button>
      <button type="button" className="button-link sidebar-link" onClick={onActivity}>
        Activity
      </button>
      {!hasLocal && (
        <button type="button" className="button-link restore" onClick={onRestoreLocal}>
          Restore built-in local storage
        </button>
      )}
    </nav>
  );
}

import { useEffect, useState, type ReactNode } from "react";
import { errorOf, type ApiError } from "../api";

/**
 * Settings folded under `title`: loaded once, edited in the fields `children` draw, and saved
 * with the button, which says "Saved." until the next edit. Draws nothing until they load.
 */
export function SettingsPanel<T>({
  title,
  className,
  load,
  save,
  onError,
  children,
}: {
  title: string;
  className: string;
  load(): Promise<T>;
  save(settings: T): Promise<void>;
  onError(error: ApiError): void;
  children(settings: T, edit: (next: T) => void): ReactNode;
}) {
  const [settings, setSettings] = useState<T | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    load().then(setSettings, (thrown) => onError(errorOf(thrown)));
  }, [load, onError]);
  if (settings === null) return null;
  const edit = (next: T) => {
    setSaved(false);
    setSettings(next);
  };
  return (
    <details className={`panel ${className}`}>
      <summary>{title}</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save(settings).then(() => setSaved(true), (thrown) => onError(errorOf(thrown)));
        }}
      >
        {children(settings, edit)}
        <button type="submit">Save</button>
        {saved && <span className="hint"> Saved.</span>}
      </form>
    </details>
  );
}

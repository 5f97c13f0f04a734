import { useEffect, useState } from "react";
import { errorOf, type ApiError, type TransferSettings, type TransferSettingsApi } from "../api";

/** Each field's label, and what Strata does when it is left empty. */
const FIELDS: [keyof TransferSettings, string, string][] = [
  ["at_once", "Files transferred at once", "16"],
  ["part_size_mib", "Part size of large files (MiB)", "8"],
  ["parts_in_flight", "Parts of one file sent at once", "4"],
];

/**
 * How many files upload and download at once, and how a large file goes up; an empty field is
 * Strata's choice (shown in grey). `strata put --jobs`, `--part-size` and `--concurrency`
 * override them for one command.
 */
export function TransferSettingsForm({ api, onError }: { api: TransferSettingsApi; onError(error: ApiError): void }) {
  const [settings, setSettings] = useState<TransferSettings | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    api.transferSettings().then(setSettings, (thrown) => onError(errorOf(thrown)));
  }, [api, onError]);
  if (!settings) return null;
  return (
    <details className="panel transfer-settings">
      <summary>Transfer settings</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          api.transferSettingsSet(settings).then(() => setSaved(true), (thrown) => onError(errorOf(thrown)));
        }}
      >
        {FIELDS.map(([key, label, choice]) => (
          <label key={key}>
            {label}
            <input
              type="number"
              min={1}
              step={1}
              placeholder={choice}
              value={settings[key] ?? ""}
              onChange={(e) => {
                setSaved(false);
                const text = e.target.value.trim();
                setSettings({ ...settings, [key]: text === "" ? null : Math.round(Number(text)) });
              }}
            />
          </label>
        ))}
        <p className="hint">
          Empty: Strata&apos;s choice, in grey (fewer than 16 files at once where large files would hold over 128 MiB of
          buffers). <code>strata put --jobs</code>, <code>--part-size</code> and <code>--concurrency</code> set them for
          one command.
        </p>
        <button type="submit">Save</button>
        {saved && <span className="hint"> Saved.</span>}
      </form>
    </details>
  );
}

import type { ApiError, TransferSettings, TransferSettingsApi } from "../api";
import { SettingsPanel } from "./SettingsPanel";

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
  return (
    <SettingsPanel
      title="Transfer settings"
      className="transfer-settings"
      load={api.transferSettings}
      save={api.transferSettingsSet}
      onError={onError}
    >
      {(settings, edit) => (
        <>
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
                  const text = e.target.value.trim();
                  edit({ ...settings, [key]: text === "" ? null : Math.round(Number(text)) });
                }}
              />
            </label>
          ))}
          <p className="hint">
            Empty: Strata&apos;s choice, in grey (fewer than 16 files at once where large files would hold over 128 MiB
            of buffers). <code>strata put --jobs</code>, <code>--part-size</code> and <code>--concurrency</code> set them
            for one command.
          </p>
        </>
      )}
    </SettingsPanel>
  );
}

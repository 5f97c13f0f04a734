import { useEffect, useState } from "react";
import { errorOf, type Activity, type ApiError, type ObjectApi } from "../api";
import { jobEnd, useEngineEvents } from "../events";
import { size } from "../objectListing";
import { second } from "../time";
import { ErrorNote } from "./ErrorNote";

/** Newest entries shown. */
const LIMIT = 200;

const WORDS: Record<string, string> = {
  delete: "Deleted",
  copy: "Copied",
  move: "Moved",
  rename: "Renamed",
  new_folder: "New folder",
  presign_get: "Download link",
  presign_put: "Upload link",
  edit_metadata: "Edited details",
  edit_tags: "Edited tags",
  upload: "Uploaded",
  download: "Downloaded",
};

/** Every change Strata made to remote data and every link it created, newest first. */
export function ActivityView({ api }: { api: ObjectApi }) {
  const [entries, setEntries] = useState<Activity[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    api.activity(LIMIT).then(setEntries, (thrown) => setError(errorOf(thrown)));
  }, [api, generation]);
  useEngineEvents((event) => {
    if (jobEnd(event) || event.kind === "objects_changed") setGeneration((g) => g + 1);
  });
  return (
    <section className="activity" aria-label="Activity">
      <h1>Activity</h1>
      <p className="lead">
        Every change Strata made to your storage, every link it made, and every transfer with how it was verified. Also:{" "}
        <code>strata log</code>.
      </p>
      {error && <ErrorNote error={error} />}
      {entries?.length === 0 && <p className="empty-list">Nothing yet.</p>}
      {entries && entries.length > 0 && (
        <table className="activity-table">
          <thead>
            <tr>
              <th>When</th>
              <th>What</th>
              <th>Where</th>
              <th>Objects</th>
              <th>Outcome</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((a) => (
              <tr key={a.id} className={`outcome-${a.outcome}`}>
                <td>{second(a.at)}</td>
                <td>{WORDS[a.action] ?? a.action}</td>
                <td>
                  <code>{a.source}</code>
                  {a.target && (
                    <>
                      {" → "}
                      <code>{a.target}</code>
                    </>
                  )}
                </td>
                <td>
                  {a.objects}
                  {a.bytes > 0 ? ` · ${size(a.bytes)}` : ""}
                </td>
                <td>
                  {a.outcome}
                  {a.detail ? ` (${a.detail})` : ""}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

import { useCallback, useEffect, useState } from "react";
import { errorOf, type ApiError, type OpenUpload, type UploadsApi } from "../api";
import { size } from "../objectListing";
import { minute } from "../time";
import { ErrorNote } from "./ErrorNote";

/**
 * The multipart uploads left open in a bucket, by Strata or any other tool: their parts are
 * stored, and billed, until the upload completes or is aborted. Strata's own say which
 * transfer resumes them; any can be aborted here.
 */
export function OpenUploads({ api, profile, bucket, onClose }: {
  api: UploadsApi;
  profile: string;
  bucket: string;
  onClose(): void;
}) {
  const [uploads, setUploads] = useState<OpenUpload[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [aborting, setAborting] = useState<string | null>(null);

  const load = useCallback(() => {
    setError(null);
    api.openUploads(profile, bucket).then(setUploads, (thrown) => setError(errorOf(thrown)));
  }, [api, profile, bucket]);
  useEffect(load, [load]);

  async function abort(upload: OpenUpload) {
    setAborting(upload.upload_id);
    setError(null);
    try {
      await api.abortUpload(profile, bucket, upload.key, upload.upload_id);
      load();
    } catch (thrown) {
      setError(errorOf(thrown));
    } finally {
      setAborting(null);
    }
  }

  return (
    <section className="open-uploads" aria-label="Unfinished uploads">
      <h3>
        Unfinished uploads in {bucket}
        <button type="button" className="button-link" onClick={onClose}>
          Close
        </button>
      </h3>
      {error && <ErrorNote error={error} />}
      {uploads === null && !error && <p>Reading…</p>}
      {uploads?.length === 0 && <p>None: no parts are left behind in this bucket.</p>}
      {uploads && uploads.length > 0 && (
        <ul className="open-upload-list">
          {uploads.map((upload) => (
            <li key={upload.upload_id} className="open-upload">
              <span className="open-upload-key">{upload.key}</span>
              <span>
                {upload.parts} part{upload.parts === 1 ? "" : "s"}, {size(upload.bytes)}
              </span>
              <span>{upload.initiated ? `started ${minute(upload.initiated)}` : ""}</span>
              <span>{upload.job === null ? "not Strata's" : `transfer ${upload.job} resumes it`}</span>
              <button type="button" onClick={() => void abort(upload)} disabled={aborting !== null}>
                Abort
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

import type { ApiError } from "../api";

/** An engine error as the user reads it: what happened, what to do, the code for support. */
export function ErrorNote({ error }: { error: ApiError }) {
  return (
    <div className="note note-error" role="alert">
      <p className="note-title">{error.message}</p>
      {error.hint && <p>{error.hint}</p>}
      <p className="note-code">{error.code}</p>
    </div>
  );
}

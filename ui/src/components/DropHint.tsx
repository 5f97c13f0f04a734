import type { DropPlace } from "../drop";

/** Says, while files are dragged over the window, where a drop would upload them. */
export function DropHint({ profile, place }: { profile: string; place: DropPlace | null | undefined }) {
  if (place === undefined) return null;
  return (
    <p className="drop-hint" role="status">
      {place ? `Drop to upload into ${profile}:${place.bucket}/${place.prefix}` : "Drop on a bucket to upload into it."}
    </p>
  );
}

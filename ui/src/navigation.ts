// Where the user is (profile, bucket, folder) with back and forward, for the whole app.
import { useCallback, useState } from "react";

export interface Place {
  profile: string;
  /** `null`: the profile's page (its buckets). */
  bucket: string | null;
  /** The folder inside the bucket: "" for the root, else ending with "/". */
  prefix: string;
}

interface History {
  entries: Place[];
  at: number;
}

export function samePlace(a: Place, b: Place): boolean {
  return a.profile === b.profile && a.bucket === b.bucket && a.prefix === b.prefix;
}

/** The path users write: `PROFILE:BUCKET/PREFIX`. */
export function remotePath(place: Place, key = place.prefix): string {
  if (place.bucket === null) return `${place.profile}:`;
  return key ? `${place.profile}:${place.bucket}/${key}` : `${place.profile}:${place.bucket}`;
}

export function useNavigation(start: Place | null) {
  const [history, setHistory] = useState<History>({ entries: start ? [start] : [], at: start ? 0 : -1 });
  const go = useCallback((place: Place) => {
    setHistory((h) => {
      const current = h.entries[h.at];
      if (current && samePlace(current, place)) return h;
      const entries = [...h.entries.slice(0, h.at + 1), place];
      return { entries, at: entries.length - 1 };
    });
  }, []);
  const back = useCallback(() => setHistory((h) => (h.at > 0 ? { ...h, at: h.at - 1 } : h)), []);
  const forward = useCallback(
    () => setHistory((h) => (h.at + 1 < h.entries.length ? { ...h, at: h.at + 1 } : h)),
    [],
  );
  return {
    place: history.entries[history.at] ?? null,
    go,
    back,
    forward,
    canBack: history.at > 0,
    canForward: history.at + 1 < history.entries.length,
  };
}

export type Navigation = ReturnType<typeof useNavigation>;

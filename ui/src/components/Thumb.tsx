import { useEffect, useState } from "react";
import type { ObjectApi } from "../api";

/** Files the engine makes previews of. */
const PREVIEWABLE = /\.(jpe?g|png|gif|webp|cr2|cr3|nef|nrw|arw|srf|sr2|dng|raf|orf|rw2|pef|srw|3fr|iiq|x3f)$/i;

export function previewable(key: string): boolean {
  return PREVIEWABLE.test(key);
}

/** Thumbnails asked for at once: a grid of hundreds must not start hundreds of reads. */
const AT_ONCE = 4;
let running = 0;
const waiting: (() => void)[] = [];

async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (running >= AT_ONCE) await new Promise<void>((go) => waiting.push(go));
  running += 1;
  try {
    return await work();
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}

interface Props {
  api: ObjectApi;
  profile: string;
  bucket: string;
  objectKey: string;
  /** Shown until (or unless) the thumbnail arrives. */
  fallback: React.ReactNode;
  className?: string;
}

/** An object's thumbnail, made by the engine from a bounded read; the fallback otherwise. */
export function Thumb({ api, profile, bucket, objectKey, fallback, className }: Props) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    setSrc(null);
    if (!previewable(objectKey)) return;
    let live = true;
    void limited(() => api.thumbnail(profile, bucket, objectKey)).then(
      (t) => live && setSrc(`data:${t.mime};base64,${t.data}`),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [api, profile, bucket, objectKey]);
  return src ? <img className={className} src={src} alt="" /> : <>{fallback}</>;
}

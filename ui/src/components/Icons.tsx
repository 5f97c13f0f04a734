// Small line icons drawn in SVG (no icon font or emoji: they render the same everywhere).

const common = { width: 16, height: 16, viewBox: "0 0 16 16", fill: "none", stroke: "currentColor", strokeWidth: 1.3, "aria-hidden": true } as const;

export function FolderIcon({ size = 16 }: { size?: number }) {
  return (
    <svg {...common} width={size} height={size} className="icon icon-folder">
      <path d="M1.5 4.5v8a1 1 0 0 0 1 1h11a1 1 0 0 0 1-1v-6.5a1 1 0 0 0-1-1H8L6.5 3h-4a1 1 0 0 0-1 1.5z" fill="#bfdbfe" />
    </svg>
  );
}

export function FileIcon({ size = 16, kind = "file" }: { size?: number; kind?: "file" | "image" | "raw" | "video" }) {
  return (
    <svg {...common} width={size} height={size} className={`icon icon-${kind}`}>
      <path d="M3.5 1.5h6l3 3v10h-9z" fill="#f8fafc" />
      <path d="M9.5 1.5v3h3" />
      {kind === "image" && <path d="M5 12l2-2.5 1.5 1.5 1-1 1.5 2z" fill="currentColor" stroke="none" />}
      {kind === "raw" && <circle cx="8" cy="10" r="2" />}
      {kind === "video" && <path d="M6.5 8.5v3l2.5-1.5z" fill="currentColor" stroke="none" />}
    </svg>
  );
}

export function kindOf(name: string): "file" | "image" | "raw" | "video" {
  const extension = name.split(".").pop()?.toLowerCase() ?? "";
  if (["jpg", "jpeg", "png", "gif", "webp", "heic", "tif", "tiff"].includes(extension)) return "image";
  if (["cr2", "cr3", "nef", "arw", "dng", "raf", "orf", "rw2"].includes(extension)) return "raw";
  if (["mp4", "mov", "mkv", "avi"].includes(extension)) return "video";
  return "file";
}

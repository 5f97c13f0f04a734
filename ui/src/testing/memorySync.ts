import {
  CommandError,
  type Activity,
  type DesktopApi,
  type Notifications,
  type SyncApi,
  type SyncConflict,
  type SyncPair,
  type SyncPlan,
  type SyncSettings,
  type TransferSettings,
  type TransferSettingsApi,
} from "../api";

/** A pair as the engine reports it. */
export function syncPair(id: number, local: string, remote: string, extra: Partial<SyncPair> = {}): SyncPair {
  const [profile, rest] = [remote.split(":")[0], remote.split(":").slice(1).join(":")];
  const [bucket, ...prefix] = rest.split("/");
  return {
    id,
    local,
    remote,
    profile,
    bucket,
    prefix: prefix.join("/"),
    mirror_deletes: false,
    ignore: [".DS_Store"],
    active: true,
    status: "idle",
    status_detail: "up to date (2 files)",
    job: null,
    synced_at: "2026-11-23T10:00:00Z",
    files: 2,
    conflicts: 0,
    last_run: null,
    ...extra,
  };
}

/** An in-memory stand-in for the sync commands; `calls` records what the view asked for. */
export function memorySync(pairs: SyncPair[] = [], plans: Record<number, SyncPlan> = {}, conflicts: SyncConflict[] = []) {
  const calls = {
    added: [] as unknown[],
    started: [] as number[],
    active: [] as [number, boolean][],
    edited: [] as unknown[],
    removed: [] as number[],
    resolved: [] as [number, string][],
  };
  let settings: SyncSettings = { settle_ms: 3000, rescan_secs: 600, reconcile_secs: 21600 };
  const activity: Activity[] = [];
  const desktop = {
    notifications: { errors: true, bulk_uploads: true } as Notifications,
    atLogin: false,
  };
  const api: SyncApi &
    DesktopApi &
    TransferSettingsApi & {
      pairs: SyncPair[];
      calls: typeof calls;
      chosenFolder: string | null;
      desktop: typeof desktop;
      transfers: TransferSettings;
    } = {
    desktop,
    transfers: { at_once: null, part_size_mib: null, parts_in_flight: null },
    transferSettings: async () => ({ ...api.transfers }),
    transferSettingsSet: async (next) => {
      if (next.at_once !== null && (next.at_once < 1 || next.at_once > 64)) {
        const message = `${next.at_once} transfers at once is outside 1 to 64.`;
        throw new CommandError({ code: "invalid_input", message, hint: "Give from 1 to 64.", field: "at_once", retry: "never" });
      }
      api.transfers = next;
    },
    notifications: async () => ({ ...desktop.notifications }),
    setNotifications: async (wanted) => {
      desktop.notifications = wanted;
    },
    startAtLogin: async () => desktop.atLogin,
    setStartAtLogin: async (enabled) => {
      desktop.atLogin = enabled;
    },
    pairs,
    calls,
    chosenFolder: "/home/ana/Exports",
    syncList: async () => pairs.map((p) => ({ ...p })),
    syncAddChoose: async (pair) => {
      calls.added.push(pair);
      if (api.chosenFolder === null) return null;
      const added = syncPair(pairs.length + 1, api.chosenFolder, pair.remote, { status: "new", files: 0 });
      pairs.push(added);
      return added;
    },
    syncDefaultIgnores: async () => [".DS_Store", "*.tmp"],
    syncEdit: async (id, patch) => {
      calls.edited.push([id, patch]);
      const pair = pairs.find((p) => p.id === id)!;
      if (patch.mirror_deletes !== null) pair.mirror_deletes = patch.mirror_deletes;
      return { ...pair };
    },
    syncRemove: async (id) => {
      calls.removed.push(id);
      pairs.splice(pairs.findIndex((p) => p.id === id), 1);
    },
    syncSetActive: async (id, active) => {
      calls.active.push([id, active]);
      pairs.find((p) => p.id === id)!.active = active;
    },
    syncPlan: async (id) => plans[id] ?? { pair: id, items: [], unchanged: 2, requests: 0, full: false, settles_in_ms: 0 },
    syncStart: async (id) => {
      calls.started.push(id);
      return 100 + id;
    },
    syncConflicts: async (id) => conflicts.filter((c) => c.pair === id),
    syncConflictResolve: async (id, resolution) => {
      calls.resolved.push([id, resolution]);
    },
    syncSettings: async () => settings,
    syncSettingsSet: async (next) => {
      settings = next;
    },
    activity: async () => activity,
  };
  return api;
}

// The one place the UI talks to the shell: typed commands from bindings.ts, with results
// unwrapped so components see values or a thrown CommandError carrying the engine's error.
import { listen } from "@tauri-apps/api/event";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import {
  commands,
  type ApiError,
  type Bucket,
  type BucketFilter,
  type BucketIndex,
  type ConnectionReport,
  type Event as EngineEvent,
  type ImportReport,
  type Profile,
  type ProfileInput,
  type ProfilePatch,
  type ProviderPreset,
  type Activity,
  type ArchiveChoices,
  type ArchiveStarted,
  type ArchiveTarget,
  type LifecycleRule,
  type LifecycleRules,
  type Project,
  type RestorePreview,
  type RestoreRequest,
  type VerifyReport,
  type DownloadStarted,
  type Entry,
  type Job,
  type Link,
  type NewPair,
  type Notifications,
  type PlanItem,
  type Resolution,
  type SyncConflict,
  type SyncPair,
  type SyncPairPatch,
  type SyncPlan,
  type SyncSettings,
  type TransferSettings,
  type ObjectDetails,
  type ObjectEdit,
  type ObjectPage,
  type OpenUpload,
  type Thumbnail,
  type UploadFolder,
  type Usage,
} from "./bindings";

export type {
  ApiError,
  ArchiveChoices,
  ArchiveStarted,
  ArchiveTarget,
  LifecycleRule,
  LifecycleRules,
  Project,
  RestorePreview,
  RestoreRequest,
  VerifyReport,
  OpenUpload,
  DownloadStarted,
  Bucket,
  BucketFilter,
  BucketIndex,
  ConnectionReport,
  EngineEvent,
  ImportReport,
  Profile,
  ProfileInput,
  ProfilePatch,
  ProviderPreset,
  Activity,
  Entry,
  Job,
  Link,
  NewPair,
  Notifications,
  PlanItem,
  Resolution,
  SyncConflict,
  SyncPair,
  SyncPairPatch,
  SyncPlan,
  SyncSettings,
  TransferSettings,
  ObjectDetails,
  ObjectEdit,
  ObjectPage,
  Thumbnail,
  UploadFolder,
  Usage,
};

/** The bucket catalog of one profile, and its long work (refresh, delete) as jobs. */
export interface BucketApi {
  bucketIndex(profile: string, filter: BucketFilter): Promise<BucketIndex>;
  bucketList(profile: string, filter: BucketFilter, offset: number, limit: number): Promise<Bucket[]>;
  /** Starts a refresh; returns its job id. */
  refreshBuckets(profile: string): Promise<number>;
  createBucket(profile: string, bucket: string, region: string | null): Promise<Bucket>;
  /** Starts a delete (emptying first with `force`); returns its job id. */
  deleteBucket(profile: string, bucket: string, force: boolean): Promise<number>;
  cancelJob(job: number): Promise<void>;
  /** Calls `handler` with every engine event until the returned function is called. */
  onEvent(handler: (event: EngineEvent) => void): () => void;
}

/** Folders and objects inside buckets; long work (download, delete, copy) as jobs. */
export interface ObjectApi extends DropApi {
  listObjects(profile: string, bucket: string, prefix: string, token: string | null): Promise<ObjectPage>;
  /** The folder's first page as last listed, from the catalog (no request). */
  listRecent(profile: string, bucket: string, prefix: string): Promise<ObjectPage | null>;
  headObject(profile: string, bucket: string, key: string): Promise<ObjectDetails>;
  editObject(profile: string, bucket: string, key: string, edit: ObjectEdit): Promise<ObjectDetails>;
  objectTags(profile: string, bucket: string, key: string): Promise<[string, string][]>;
  setObjectTags(profile: string, bucket: string, key: string, tags: [string, string][]): Promise<void>;
  /** The plain URL of an object: works for anyone when it is public. */
  publicUrl(profile: string, bucket: string, key: string): Promise<string>;
  /** A thumbnail of an image or camera RAW file. */
  thumbnail(profile: string, bucket: string, key: string): Promise<Thumbnail>;
  /** Starts downloads into the download folder, one job per object. */
  downloadObjects(profile: string, bucket: string, keys: string[]): Promise<DownloadStarted>;
  /** Starts dragging an object or folder out of the window: dropped on a file manager, it downloads there. */
  dragOut(profile: string, bucket: string, key: string): Promise<void>;
  /** Asks for a download folder with the system's picker and remembers it; null if cancelled. */
  chooseDownloadFolder(): Promise<string | null>;
  /** Starts deleting objects and folders (keys ending in "/"); returns the job. */
  deleteObjects(profile: string, bucket: string, keys: string[]): Promise<number>;
  /** Starts a copy, or a move with `removeSource`, between remote paths; returns the job. */
  copyObjects(source: string, target: string, removeSource: boolean): Promise<number>;
  createFolder(profile: string, bucket: string, key: string): Promise<string>;
  presign(profile: string, bucket: string, key: string, seconds: number): Promise<Link>;
  usage(profile: string, bucket: string, prefix: string): Promise<Usage>;
  activity(limit: number | null): Promise<Activity[]>;
  cancelJob(job: number): Promise<void>;
  /** Asks for files with the system's picker and uploads them into the folder; the jobs. */
  uploadChoose(folder: UploadFolder): Promise<number[]>;
}

/** Files dragged over the window: where the pointer is (CSS pixels), and what is dropped. */
export type Drag = { kind: "over"; x: number; y: number } | { kind: "drop"; paths: string[]; x: number; y: number } | { kind: "leave" };

/** Files and folders dragged from the desktop onto the window. */
export interface DropApi {
  /** Uploads files and folders dropped on the window into the folder; the jobs. */
  uploadDropped(paths: string[], folder: UploadFolder): Promise<number[]>;
  /** Calls `handler` as files are dragged over and dropped on the window, until the returned function is called. */
  onDragDrop(handler: (drag: Drag) => void): () => void;
}

/** Multipart uploads left open in a bucket, by any tool. */
export interface UploadsApi {
  openUploads(profile: string, bucket: string): Promise<OpenUpload[]>;
  abortUpload(profile: string, bucket: string, key: string, uploadId: string): Promise<void>;
}

/** Uploads and downloads as the catalog holds them, for the transfers panel. */
export interface TransferApi {
  listJobs(limit: number): Promise<Job[]>;
  pauseJob(job: number): Promise<void>;
  resumeJob(job: number): Promise<void>;
  cancelJob(job: number): Promise<void>;
  /** Makes a queued job the next of its kind to start. */
  toFrontJob(job: number): Promise<void>;
}

/** How transfers run where a command does not say: how many at once, and how large files go up. */
export interface TransferSettingsApi {
  transferSettings(): Promise<TransferSettings>;
  transferSettingsSet(settings: TransferSettings): Promise<void>;
}

/** Sync pairs: a local folder kept uploaded to a bucket prefix. */
export interface SyncApi {
  syncList(): Promise<SyncPair[]>;
  /** Asks for the folder with the system's picker, pairs it and starts its first sync; null if cancelled. */
  syncAddChoose(pair: NewPair): Promise<SyncPair | null>;
  syncDefaultIgnores(): Promise<string[]>;
  syncEdit(id: number, patch: SyncPairPatch): Promise<SyncPair>;
  syncRemove(id: number): Promise<void>;
  syncSetActive(id: number, active: boolean): Promise<void>;
  /** What a sync would do now; `mirrorDeletes` as if the pair did (not) mirror deletes. */
  syncPlan(id: number, mirrorDeletes: boolean | null): Promise<SyncPlan>;
  syncStart(id: number, full: boolean): Promise<number>;
  syncConflicts(id: number): Promise<SyncConflict[]>;
  syncConflictResolve(id: number, resolution: Resolution): Promise<void>;
  syncSettings(): Promise<SyncSettings>;
  syncSettingsSet(settings: SyncSettings): Promise<void>;
  activity(limit: number | null): Promise<Activity[]>;
}

/** Archived projects: archive a folder, verify, restore. */
export interface ArchiveApi {
  /** The classes the profile's provider offers, and where its last project went. */
  archiveChoices(profile: string): Promise<ArchiveChoices>;
  archiveStart(source: string, target: ArchiveTarget): Promise<ArchiveStarted>;
  archiveList(): Promise<Project[]>;
  archiveVerify(id: number): Promise<VerifyReport>;
  restorePreview(project: number): Promise<RestorePreview>;
  restoreStart(project: number, request: RestoreRequest): Promise<number>;
  /** The rules of `bucket` (`PROFILE:BUCKET`): Strata's, and the others, kept as they are. */
  lifecycleGet(bucket: string): Promise<LifecycleRules>;
  /** Replaces Strata's rules of `bucket`; returns the rules the server then holds. */
  lifecycleSet(bucket: string, rules: LifecycleRule[]): Promise<LifecycleRules>;
}

/** What the desktop announces, and whether Strata starts at login. */
export interface DesktopApi {
  notifications(): Promise<Notifications>;
  setNotifications(wanted: Notifications): Promise<void>;
  startAtLogin(): Promise<boolean>;
  setStartAtLogin(enabled: boolean): Promise<void>;
}

export interface Api
  extends BucketApi, ObjectApi, TransferApi, TransferSettingsApi, UploadsApi, SyncApi, DesktopApi, ArchiveApi {
  /** The base URL public objects are served from (a CDN), per profile. */
  profilePublicBase(profile: string): Promise<string | null>;
  setProfilePublicBase(profile: string, base: string | null): Promise<void>;
  /** The engine's defaults per provider, for the add form. */
  providerPresets(): Promise<ProviderPreset[]>;
  listProfiles(): Promise<Profile[]>;
  addProfile(input: ProfileInput): Promise<Profile>;
  editProfile(name: string, patch: ProfilePatch): Promise<Profile>;
  removeProfile(name: string): Promise<void>;
  testProfile(name: string): Promise<ConnectionReport>;
  importAws(): Promise<ImportReport>;
  restoreLocal(): Promise<Profile>;
}

/** A failed command: the engine's error, or a shell failure dressed in the same shape. */
export class CommandError extends Error {
  readonly error: ApiError;
  constructor(error: ApiError) {
    super(error.message);
    this.error = error;
  }
}

type Outcome<T> = { status: "ok"; data: T } | { status: "error"; error: ApiError };

async function unwrap<T>(pending: Promise<Outcome<T>>): Promise<T> {
  const result = await pending;
  if (result.status === "ok") return result.data;
  // Framework failures (a denied or unknown command) arrive as plain strings.
  const error: unknown = result.error;
  if (typeof error === "string") {
    throw new CommandError({ code: "io", message: error, hint: "Restart Strata; if it persists, report it.", field: null, retry: "never" });
  }
  throw new CommandError(result.error);
}

export const tauriApi: Api = {
  providerPresets: () => commands.providerPresets(),
  listProfiles: () => unwrap(commands.profileList()),
  addProfile: (input) => unwrap(commands.profileAdd(input)),
  editProfile: (name, patch) => unwrap(commands.profileEdit(name, patch)),
  removeProfile: (name) => unwrap(commands.profileRemove(name)).then(() => undefined),
  testProfile: (name) => unwrap(commands.profileTest(name)),
  importAws: () => unwrap(commands.profileImportAws()),
  restoreLocal: () => unwrap(commands.profileRestoreLocal()),
  bucketIndex: (profile, filter) => unwrap(commands.bucketIndex(profile, filter)),
  bucketList: (profile, filter, offset, limit) => unwrap(commands.bucketList(profile, filter, offset, limit)),
  refreshBuckets: (profile) => unwrap(commands.bucketRefresh(profile)),
  createBucket: (profile, bucket, region) => unwrap(commands.bucketCreate(profile, bucket, region)),
  deleteBucket: (profile, bucket, force) => unwrap(commands.bucketDelete(profile, bucket, force)),
  cancelJob: (job) => unwrap(commands.jobCancel(job)).then(() => undefined),
  listObjects: (profile, bucket, prefix, token) => unwrap(commands.objectList(profile, bucket, prefix, token)),
  listRecent: (profile, bucket, prefix) => unwrap(commands.objectListRecent(profile, bucket, prefix)),
  headObject: (profile, bucket, key) => unwrap(commands.objectHead(profile, bucket, key)),
  editObject: (profile, bucket, key, edit) => unwrap(commands.objectEdit(profile, bucket, key, edit)),
  publicUrl: (profile, bucket, key) => unwrap(commands.objectPublicUrl(profile, bucket, key)),
  profilePublicBase: (profile) => unwrap(commands.profilePublicBase(profile)),
  setProfilePublicBase: (profile, base) => unwrap(commands.profilePublicBaseSet(profile, base)).then(() => undefined),
  thumbnail: (profile, bucket, key) => unwrap(commands.objectThumbnail(profile, bucket, key)),
  objectTags: (profile, bucket, key) => unwrap(commands.objectTags(profile, bucket, key)),
  setObjectTags: (profile, bucket, key, tags) => unwrap(commands.objectTagsSet(profile, bucket, key, tags)).then(() => undefined),
  downloadObjects: (profile, bucket, keys) => unwrap(commands.objectsDownload(profile, bucket, keys)),
  dragOut: (profile, bucket, key) => unwrap(commands.objectDragOut(profile, bucket, key)).then(() => undefined),
  chooseDownloadFolder: () => unwrap(commands.downloadFolderChoose()),
  deleteObjects: (profile, bucket, keys) => unwrap(commands.objectsDelete(profile, bucket, keys)),
  copyObjects: (source, target, removeSource) => unwrap(commands.objectsCopy(source, target, removeSource)),
  createFolder: (profile, bucket, key) => unwrap(commands.folderCreate(profile, bucket, key)),
  presign: (profile, bucket, key, seconds) => unwrap(commands.objectPresign(profile, bucket, key, seconds)),
  usage: (profile, bucket, prefix) => unwrap(commands.objectUsage(profile, bucket, prefix)),
  activity: (limit) => unwrap(commands.activityList(limit)),
  uploadChoose: (folder) => unwrap(commands.uploadChoose(folder)),
  uploadDropped: (paths, folder) => unwrap(commands.uploadDropped(paths, folder)),
  onDragDrop: (handler) => {
    const stop = getCurrentWebview().onDragDropEvent(({ payload }) => {
      if (payload.type === "leave") return handler({ kind: "leave" });
      // The shell gives physical pixels; the page lays out in CSS pixels.
      const { x, y } = payload.position.toLogical(window.devicePixelRatio);
      handler(payload.type === "drop" ? { kind: "drop", paths: payload.paths, x, y } : { kind: "over", x, y });
    });
    return () => void stop.then((unlisten) => unlisten());
  },
  listJobs: (limit) => unwrap(commands.jobList(limit)),
  openUploads: (profile, bucket) => unwrap(commands.uploadsOpen(profile, bucket)),
  abortUpload: (profile, bucket, key, uploadId) =>
    unwrap(commands.uploadAbort(profile, bucket, key, uploadId)).then(() => undefined),
  pauseJob: (job) => unwrap(commands.jobPause(job)).then(() => undefined),
  resumeJob: (job) => unwrap(commands.jobResume(job)).then(() => undefined),
  toFrontJob: (job) => unwrap(commands.jobToFront(job)).then(() => undefined),
  syncList: () => unwrap(commands.syncList()),
  syncAddChoose: (pair) => unwrap(commands.syncAddChoose(pair)),
  syncDefaultIgnores: () => commands.syncDefaultIgnores(),
  syncEdit: (id, patch) => unwrap(commands.syncEdit(id, patch)),
  syncRemove: (id) => unwrap(commands.syncRemove(id)).then(() => undefined),
  syncSetActive: (id, active) => unwrap(commands.syncSetActive(id, active)).then(() => undefined),
  syncPlan: (id, mirrorDeletes) => unwrap(commands.syncPlan(id, mirrorDeletes)),
  syncStart: (id, full) => unwrap(commands.syncStart(id, full)),
  syncConflicts: (id) => unwrap(commands.syncConflicts(id)),
  syncConflictResolve: (id, resolution) => unwrap(commands.syncConflictResolve(id, resolution)).then(() => undefined),
  syncSettings: () => unwrap(commands.syncSettings()),
  syncSettingsSet: (settings) => unwrap(commands.syncSettingsSet(settings)).then(() => undefined),
  transferSettings: () => unwrap(commands.transferSettings()),
  transferSettingsSet: (settings) => unwrap(commands.transferSettingsSet(settings)).then(() => undefined),
  archiveChoices: (profile) => unwrap(commands.archiveChoices(profile)),
  archiveStart: (source, target) => unwrap(commands.archiveStart(source, target)),
  archiveList: () => unwrap(commands.archiveList()),
  archiveVerify: (id) => unwrap(commands.archiveVerify(id)),
  restorePreview: (project) => unwrap(commands.restorePreview(project)),
  restoreStart: (project, request) => unwrap(commands.restoreStart(project, request)),
  lifecycleGet: (bucket) => unwrap(commands.lifecycleGet(bucket)),
  lifecycleSet: (bucket, rules) => unwrap(commands.lifecycleSet(bucket, rules)),
  notifications: () => unwrap(commands.notifications()),
  setNotifications: (wanted) => unwrap(commands.notificationsSet(wanted)).then(() => undefined),
  startAtLogin: () => unwrap(commands.startAtLogin()),
  setStartAtLogin: (enabled) => unwrap(commands.startAtLoginSet(enabled)).then(() => undefined),
  onEvent: (handler) => {
    const stop = listen<EngineEvent>("engine-event", (e) => handler(e.payload));
    return () => void stop.then((unlisten) => unlisten());
  },
};

/** The engine error behind any thrown value. */
export function errorOf(thrown: unknown): ApiError {
  if (thrown instanceof CommandError) return thrown.error;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return { code: "io", message, hint: "Try again.", field: null, retry: "transient" };
}

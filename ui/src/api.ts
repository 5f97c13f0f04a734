// The one place the UI talks to the shell: typed commands from bindings.ts, with results
// unwrapped so components see values or a thrown CommandError carrying the engine's error.
import {
  commands,
  type ApiError,
  type ConnectionReport,
  type ImportReport,
  type Profile,
  type ProfileInput,
  type ProfilePatch,
} from "./bindings";

export type { ApiError, ConnectionReport, ImportReport, Profile, ProfileInput, ProfilePatch };

export interface Api {
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
    throw new CommandError({ code: "io", message: error, hint: "Restart Strata; if it persists, report it.", field: null, retryable: false });
  }
  throw new CommandError(result.error);
}

export const tauriApi: Api = {
  listProfiles: () => unwrap(commands.profileList()),
  addProfile: (input) => unwrap(commands.profileAdd(input)),
  editProfile: (name, patch) => unwrap(commands.profileEdit(name, patch)),
  removeProfile: (name) => unwrap(commands.profileRemove(name)).then(() => undefined),
  testProfile: (name) => unwrap(commands.profileTest(name)),
  importAws: () => unwrap(commands.profileImportAws(null)),
  restoreLocal: () => unwrap(commands.profileRestoreLocal()),
};

/** The engine error behind any thrown value. */
export function errorOf(thrown: unknown): ApiError {
  if (thrown instanceof CommandError) return thrown.error;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return { code: "io", message, hint: "Try again.", field: null, retryable: true };
}

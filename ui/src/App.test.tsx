import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Api, Profile, ProfileInput } from "./api";
import { App } from "./App";
import { memoryArchive } from "./testing/memoryArchive";
import { memoryBuckets } from "./testing/memoryBuckets";
import { memoryObjects } from "./testing/memoryObjects";
import { memorySync } from "./testing/memorySync";
import { memoryTransfers } from "./testing/memoryTransfers";
import { TEST_PRESETS } from "./testing/presets";

/** An in-memory stand-in for the shell's commands, enough to drive the screens. */
function memoryApi(buckets: string[] = []): Api & { profiles: Profile[] } {
  const profiles: Profile[] = [];
  const toProfile = (input: ProfileInput, id: number): Profile => ({
    name: input.name, id, provider: input.provider ?? "other", endpoint: input.endpoint || null,
    account_id: null, region: input.region || "us-east-1", path_style: input.path_style ?? true,
    access_key_id: input.access_key_id ?? null, aws_profile: null,
  });
  return {
    ...memoryObjects({}),
    ...memoryTransfers(),
    ...memoryBuckets(buckets),
    ...memorySync(),
    ...memoryArchive(),
    profiles,
    providerPresets: async () => TEST_PRESETS,
    profilePublicBase: async () => null,
    setProfilePublicBase: async () => {},
    listProfiles: async () => [...profiles],
    addProfile: async (input) => {
      const p = toProfile(input, profiles.length + 1);
      profiles.push(p);
      return p;
    },
    editProfile: async () => { throw new Error("not used"); },
    removeProfile: async (name) => { profiles.splice(profiles.findIndex((p) => p.name === name), 1); },
    testProfile: async () => { throw new Error("not used"); },
    importAws: async () => ({ imported: [], skipped: [] }),
    restoreLocal: async () => {
      const local = toProfile({ name: "local", provider: "local", endpoint: null, account_id: null, region: null, path_style: true, access_key_id: "AK", secret_access_key: null }, 99);
      profiles.push(local);
      return local;
    },
  };
}

describe("App", () => {
  it("invites a first-time user to add a profile, then shows it", async () => {
    const user = userEvent.setup();
    const api = memoryApi();
    render(<App api={api} />);
    const firstRun = await screen.findByTestId("first-run");
    await user.click(within(firstRun).getByRole("button", { name: "Add a profile" }));
    await user.type(screen.getByLabelText("Name"), "studio");
    await user.type(screen.getByLabelText(/Endpoint/), "http://127.0.0.1:9000");
    await user.type(screen.getByLabelText("Access key id"), "AK");
    await user.type(screen.getByLabelText("Secret access key"), "s");
    await user.click(screen.getByRole("button", { name: "Add profile" }));

    expect(await screen.findByRole("heading", { name: "studio" })).toBeTruthy();
    expect(screen.queryByTestId("first-run")).toBeNull();
    expect(api.profiles.map((p) => p.name)).toEqual(["studio"]);
  });

  it("deletes only after confirmation", async () => {
    const user = userEvent.setup();
    const api = memoryApi();
    await api.addProfile({ name: "old", provider: "other", endpoint: "http://h", account_id: null, region: null, path_style: true, access_key_id: "A", secret_access_key: "s" });
    render(<App api={api} />);
    await user.click(await screen.findByRole("button", { name: "Delete" }));
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(api.profiles).toHaveLength(1);
    await user.click(screen.getByRole("button", { name: "Delete" }));
    await user.click(screen.getByRole("button", { name: "Delete profile" }));
    expect(await screen.findByText('Removed profile "old" and its secret.')).toBeTruthy();
    expect(api.profiles).toHaveLength(0);
  });
});

describe("navigation", () => {
  it("lists the profile's buckets in the sidebar, opens one in the browser, and comes back", async () => {
    const user = userEvent.setup();
    const api = memoryApi(["alpha", "beta"]);
    await api.addProfile({ name: "studio", provider: "other", endpoint: "http://h", account_id: null, region: null, path_style: true, access_key_id: "A", secret_access_key: "s" });
    render(<App api={api} />);
    const sidebar = await screen.findByRole("list", { name: "Buckets of studio" });
    await user.click(within(sidebar).getByRole("button", { name: "beta" }));
    expect((await screen.findByTestId("object-path")).textContent).toBe("studio:beta");
    await user.click(screen.getByRole("button", { name: "Back" }));
    expect(await screen.findByRole("heading", { name: "studio" })).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Forward" }));
    expect((await screen.findByTestId("object-path")).textContent).toBe("studio:beta");
  });
});

describe("the built-in local profile", () => {
  it("can be restored after it was removed", async () => {
    const user = userEvent.setup();
    const api = memoryApi();
    render(<App api={api} />);
    await user.click(await screen.findByRole("button", { name: "Restore built-in local storage" }));
    expect(await screen.findByRole("heading", { name: "local" })).toBeTruthy();
    expect(screen.getByText(/no account needed/)).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Restore built-in local storage" })).toBeNull();
  });
});

import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Profile } from "../api";
import { memoryBuckets } from "../testing/memoryBuckets";
import { BucketBrowser } from "./BucketBrowser";
import { createEventHub, EventsContext } from "../events";
import type { Bucket } from "../api";
import type { MemoryBuckets } from "../testing/memoryBuckets";

const opened: Bucket[] = [];

/** The browser as the app mounts it: inside the app's one event subscription. */
function Browser({ api, profile }: { api: MemoryBuckets; profile: Profile }) {
  return (
    <EventsContext.Provider value={createEventHub(api.onEvent)}>
      <BucketBrowser api={api} profile={profile} onOpenBucket={(b) => opened.push(b)} />
    </EventsContext.Provider>
  );
}

const profile: Profile = {
  name: "studio", id: 1, provider: "other", endpoint: "http://127.0.0.1:9000", account_id: null,
  region: "eu-west-1", path_style: true, access_key_id: "AK", aws_profile: null,
};

/** `n` names across digits and letters, every tenth with "photo" in it. */
function names(n: number): string[] {
  const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
  return Array.from({ length: n }, (_, i) => `${alphabet[i % 36]}${i % 10 === 0 ? "photo" : "bkt"}-${String(i).padStart(6, "0")}`);
}

const options = () => within(screen.getByRole("listbox")).queryAllByRole("option");
const selectedName = () => within(screen.getByRole("listbox")).getByRole("option", { selected: true }).querySelector(".cell-name")?.textContent;

describe("BucketBrowser", () => {
  it("keeps only the visible rows of 100,000 buckets in the page", async () => {
    const api = memoryBuckets(names(100_000));
    render(<Browser api={api} profile={profile} />);
    expect(await screen.findByText(/^100,000 buckets · refreshed/)).toBeTruthy();
    await waitFor(() => expect((options()[0]).textContent).toContain("0bkt-000036"));
    expect(options().length).toBeLessThan(60);
    expect(Math.max(...api.pageCalls.map((c) => c.limit))).toBeLessThanOrEqual(100);
  });

  it("searches in the catalog and narrows the list", async () => {
    const user = userEvent.setup();
    const api = memoryBuckets(names(2_000));
    render(<Browser api={api} profile={profile} />);
    await screen.findByText(/^2,000 buckets/);
    await user.type(screen.getByRole("searchbox", { name: "Search buckets" }), "PHOTO");
    expect(await screen.findByText(/^200 buckets match/)).toBeTruthy();
    await waitFor(() => expect(options().every((o) => o.textContent?.includes("photo"))).toBe(true));
    expect(api.pageCalls.at(-1)?.filter.search).toBe("PHOTO");
  });

  it("jumps to a letter from the A–Z rail", async () => {
    const user = userEvent.setup();
    render(<Browser api={memoryBuckets(names(3_600))} profile={profile} />);
    await screen.findByText(/^3,600 buckets/);
    const rail = screen.getByRole("navigation", { name: "Jump to letter" });
    expect((within(rail).getByRole("button", { name: "#: 1,000" }) as HTMLButtonElement).disabled).toBe(false);
    await user.click(within(rail).getByRole("button", { name: "Q: 100" }));
    await waitFor(() => expect(selectedName()).toMatch(/^q/));
    expect(selectedName()).toBe("qbkt-000026");
  });

  it("moves with the arrows, opens with Enter, and starts a search when typed into", async () => {
    const user = userEvent.setup();
    render(<Browser api={memoryBuckets(["alpha", "beta", "gamma"])} profile={profile} />);
    await waitFor(() => expect(options()).toHaveLength(3));
    screen.getByRole("listbox").focus();
    await user.keyboard("{ArrowDown}{ArrowDown}{ArrowUp}");
    expect(selectedName()).toBe("beta");
    await user.keyboard("{Enter}");
    expect(opened.at(-1)?.name).toBe("beta");
    await user.keyboard("ga");
    expect((screen.getByRole("searchbox") as HTMLInputElement).value).toBe("ga");
    await waitFor(() => expect(options()).toHaveLength(1));
  });

  it("uploads files dropped on a bucket into it, and says where else to drop them", async () => {
    const api = memoryBuckets(["archive", "shoot"]);
    render(<Browser api={api} profile={profile} />);
    await waitFor(() => expect(options()).toHaveLength(2));
    const under = { element: null as Element | null };
    document.elementFromPoint = () => under.element;
    under.element = options()[1].querySelector(".cell-name");
    act(() => api.drag({ kind: "over", x: 40, y: 80 }));
    expect(options()[1].classList.contains("drop-target")).toBe(true);
    expect(screen.getByRole("status").textContent).toBe("Drop to upload into studio:shoot/");
    act(() => api.drag({ kind: "drop", paths: ["/home/me/export"], x: 40, y: 80 }));
    expect(await screen.findByText("Uploading 1 file to studio:shoot/…")).toBeTruthy();

    under.element = null;
    act(() => api.drag({ kind: "over", x: 600, y: 500 }));
    expect(screen.getByRole("status").textContent).toBe("Drop on a bucket to upload into it.");
    act(() => api.drag({ kind: "drop", paths: ["/home/me/more"], x: 600, y: 500 }));
    expect(await screen.findByText("To upload, drop the files on a bucket, or open the bucket first.")).toBeTruthy();
    expect(api.uploaded).toEqual([[["/home/me/export"], "shoot/", []]]);
  });

  it("reads a never-refreshed list at once and shows the refresh's progress", async () => {
    const api = memoryBuckets([], null);
    const refresh = vi.spyOn(api, "refreshBuckets");
    render(<Browser api={api} profile={profile} />);
    await waitFor(() => expect(refresh).toHaveBeenCalledWith("studio"));
    const job = await refresh.mock.results[0].value;
    act(() => api.emit({ kind: "job_progress", job, profile: "studio", action: "listing", done: 2400, items: null, bytes: 0, total: null }));
    expect((screen.getByTestId("bucket-progress")).textContent).toContain("Listing… 2,400 buckets");
    api.buckets.push({ name: "new-one", region: "us-east-1", created_at: null, public: null });
    api.refreshedAt = new Date().toISOString();
    act(() => {
      api.emit({ kind: "buckets_changed", profile: "studio" });
      api.emit({ kind: "job_state", job, profile: "studio", job_kind: "bucket_refresh", state: "done", error: null });
    });
    expect(await screen.findByText("1 bucket · refreshed just now")).toBeTruthy();
  });

  it("asks for the typed name before emptying a bucket that holds objects", async () => {
    const user = userEvent.setup();
    const api = memoryBuckets(["full-bucket", "other"]);
    render(<Browser api={api} profile={profile} />);
    await waitFor(() => expect(options()).toHaveLength(2));
    await user.click(options()[0]);
    await user.click(screen.getByRole("button", { name: "Delete bucket…" }));
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete bucket" }));
    const dialog = await screen.findByRole("alertdialog");
    expect((dialog).textContent).toContain("it holds 3 objects");
    const go = within(dialog).getByRole("button", { name: "Empty and delete" });
    expect((go as HTMLButtonElement).disabled).toBe(true);
    await user.type(within(dialog).getByLabelText("Bucket name"), "full-bucket");
    await user.click(go);
    expect(api.deleteCalls).toEqual([{ bucket: "full-bucket", force: false }, { bucket: "full-bucket", force: true }]);
    expect(await screen.findByText('Deleted bucket "full-bucket".')).toBeTruthy();
    await waitFor(() => expect(options()).toHaveLength(1));
  });

  it("shows the engine's reason when a name breaks S3's rules", async () => {
    const user = userEvent.setup();
    render(<Browser api={memoryBuckets([])} profile={profile} />);
    await user.click(await screen.findByRole("button", { name: "New bucket" }));
    await user.type(screen.getByLabelText("Name"), "Bad_Name");
    await user.click(screen.getByRole("button", { name: "Create bucket" }));
    expect((await screen.findByRole("alert")).textContent).toContain("may contain only lowercase letters");
  });
});

import { TEST_PRESETS } from "../testing/presets";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { CommandError, type Profile } from "../api";
import { ProfileDetail } from "./ProfileDetail";

const profile: Profile = {
  name: "studio", id: 7, provider: "other", endpoint: "http://127.0.0.1:9000", account_id: null,
  region: "us-east-1", path_style: true, access_key_id: "AK", aws_profile: null,
};

function renderWith(onTest: (name: string) => Promise<never> | Promise<import("../api").ConnectionReport>) {
  render(<ProfileDetail presets={TEST_PRESETS} profile={profile} onTest={onTest} onEdit={() => {}} onDelete={() => {}} />);
  return userEvent.setup();
}

describe("ProfileDetail", () => {
  it("says in words that the connection works", async () => {
    const user = renderWith(async (name) => ({
      profile: name, endpoint: "http://127.0.0.1:9000", bucket_count: 2, more_buckets: false, warning: null,
      summary: "Connected to http://127.0.0.1:9000: 2 buckets.",
    }));
    await user.click(screen.getByRole("button", { name: "Test connection" }));
    const outcome = await screen.findByText("Connected to http://127.0.0.1:9000: 2 buckets.");
    expect(outcome.closest(".note")?.className).toContain("note-ok");
  });

  it("shows a limited key as a warning, not a failure", async () => {
    const user = renderWith(async (name) => ({
      profile: name, endpoint: "e", bucket_count: null, more_buckets: false,
      warning: "The key is valid but is not allowed to do this (AccessDenied).",
      summary: "Connected to e, with limited rights.",
    }));
    await user.click(screen.getByRole("button", { name: "Test connection" }));
    const outcome = await screen.findByText("Connected to e, with limited rights.");
    expect(outcome.closest(".note")?.className).toContain("note-warning");
  });

  it("explains a failure with what to do and the code", async () => {
    const user = renderWith(async () => {
      throw new CommandError({
        code: "signature_mismatch", message: "The secret access key does not match the access key id (SignatureDoesNotMatch).",
        hint: "Paste the secret access key again.", field: null, retry: "never",
      });
    });
    await user.click(screen.getByRole("button", { name: "Test connection" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("does not match");
    expect(alert.textContent).toContain("Paste the secret access key again.");
    expect(alert.textContent).toContain("signature_mismatch");
  });
});

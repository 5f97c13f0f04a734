import { TEST_PRESETS } from "../testing/presets";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { CommandError, type ProfileInput } from "../api";
import { ProfileForm } from "./ProfileForm";

describe("ProfileForm", () => {
  it("fills provider presets and submits what the user typed", async () => {
    const user = userEvent.setup();
    const submitted: ProfileInput[] = [];
    render(<ProfileForm presets={TEST_PRESETS} onSubmit={async (input) => void submitted.push(input)} onCancel={() => {}} />);

    expect(screen.queryByLabelText("Cloudflare account id")).toBeNull();
    await user.selectOptions(screen.getByLabelText("Provider"), "r2");
    expect(screen.getByLabelText("Region")).toHaveProperty("value", "auto");
    expect(screen.getByLabelText(/Path-style/)).toHaveProperty("checked", false);

    await user.type(screen.getByLabelText("Name"), "Fotos Köln");
    await user.type(screen.getByLabelText("Cloudflare account id"), "0123456789abcdef0123456789abcdef");
    await user.type(screen.getByLabelText("Access key id"), "AK1");
    await user.type(screen.getByLabelText("Secret access key"), "s3cret");
    await user.click(screen.getByRole("button", { name: "Add profile" }));

    expect(submitted).toEqual([
      {
        name: "Fotos Köln",
        provider: "r2",
        endpoint: "",
        account_id: "0123456789abcdef0123456789abcdef",
        region: "auto",
        path_style: false,
        access_key_id: "AK1",
        secret_access_key: "s3cret",
      },
    ]);
  });

  it("shows a field error under the field the engine named", async () => {
    const user = userEvent.setup();
    const refuse = async () => {
      throw new CommandError({
        code: "invalid_input",
        message: "The endpoint must start with http:// or https://, not ftp://.",
        hint: "Enter the server's base URL.",
        field: "endpoint",
        retry: "never",
      });
    };
    render(<ProfileForm presets={TEST_PRESETS} onSubmit={refuse} onCancel={() => {}} />);
    await user.click(screen.getByRole("button", { name: "Add profile" }));
    const error = await screen.findByRole("alert");
    expect(error.id).toBe("endpoint-error");
    expect(error.textContent).toContain("must start with http://");
  });

  it("keeps the stored secret when editing with the secret left empty", async () => {
    const user = userEvent.setup();
    const submitted: ProfileInput[] = [];
    const profile = {
      name: "minio", id: 1, provider: "minio" as const, endpoint: "http://127.0.0.1:9000", account_id: null,
      region: "us-east-1", path_style: true, access_key_id: "AK", aws_profile: null,
    };
    render(<ProfileForm presets={TEST_PRESETS} profile={profile} onSubmit={async (i) => void submitted.push(i)} onCancel={() => {}} />);
    expect(screen.getByLabelText("Secret access key")).toHaveProperty("placeholder", "unchanged");
    await user.clear(screen.getByLabelText(/Endpoint/));
    await user.type(screen.getByLabelText(/Endpoint/), "http://10.0.0.5:9000");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(submitted[0]).toMatchObject({ endpoint: "http://10.0.0.5:9000", secret_access_key: null, name: "minio" });
  });
});

import type { ProviderPreset } from "../bindings";

/** Test data in the shape of the engine's `provider_presets` answer. */
export const TEST_PRESETS: ProviderPreset[] = [
  { provider: "aws", label: "Amazon S3", endpoint_placeholder: "leave empty for AWS", endpoint_required: false, region: "us-east-1", path_style: false, needs_account_id: false },
  { provider: "r2", label: "Cloudflare R2", endpoint_placeholder: "derived from the account id", endpoint_required: false, region: "auto", path_style: false, needs_account_id: true },
  { provider: "minio", label: "MinIO", endpoint_placeholder: "http://127.0.0.1:9000", endpoint_required: true, region: "us-east-1", path_style: true, needs_account_id: false },
  { provider: "local", label: "Built-in (this computer)", endpoint_placeholder: "", endpoint_required: false, region: "us-east-1", path_style: true, needs_account_id: false },
  { provider: "other", label: "Other S3-compatible", endpoint_placeholder: "https://s3.example.com", endpoint_required: true, region: "us-east-1", path_style: true, needs_account_id: false },
];

//! `strata profile ...`

use std::io::{IsTerminal, Read};

use serde_json::json;
use strata_core::profile::{ProfileInput, ProfilePatch, Provider};
use strata_core::{Engine, Error, Result};

use crate::args::{ProfileCommand, ProfileFields};
use crate::output;

pub async fn run(engine: &Engine, command: ProfileCommand, json_mode: bool) -> Result<()> {
    match command {
        ProfileCommand::Add(fields) => {
            if !fields.secret_stdin {
                return Err(Error::invalid(
                    "secret_access_key",
                    "The secret access key is missing.",
                    "Pipe it into --secret-stdin, e.g. `printf %s \"$SECRET\" | strata profile add NAME ... --secret-stdin`.",
                ));
            }
            let secret = read_secret(true)?;
            let input = ProfileInput {
                name: fields.name,
                provider: fields.provider.as_deref().map(str::parse).transpose()?,
                endpoint: fields.endpoint,
                account_id: fields.account_id,
                region: fields.region,
                path_style: fields.path_style.then_some(true),
                access_key_id: fields.access_key_id,
                secret_access_key: secret,
            };
            let profile = engine.profile_add(input).await?;
            output::result(json_mode, &profile, || {
                format!(
                    "Added profile \"{}\" ({}).",
                    profile.name,
                    describe(&profile)
                )
            });
        }
        ProfileCommand::Edit(fields) => {
            let name = fields.name.clone();
            let patch = patch_from(fields)?;
            let profile = engine.profile_edit(&name, patch).await?;
            output::result(json_mode, &profile, || {
                format!(
                    "Saved profile \"{}\" ({}).",
                    profile.name,
                    describe(&profile)
                )
            });
        }
        ProfileCommand::List => {
            let profiles = engine.profile_list().await?;
            output::result(json_mode, &profiles, || {
                if profiles.is_empty() {
                    return "No profiles yet. Add one with `strata profile add NAME --endpoint URL \
                            --access-key-id ID --secret-stdin`."
                        .into();
                }
                let rows = profiles
                    .iter()
                    .map(|p| {
                        vec![
                            p.name.clone(),
                            p.provider.to_string(),
                            p.endpoint.clone().unwrap_or_else(|| "(AWS)".into()),
                            p.region.clone(),
                        ]
                    })
                    .collect();
                output::table(&["NAME", "PROVIDER", "ENDPOINT", "REGION"], rows)
            });
        }
        ProfileCommand::Test { name } => {
            let report = engine.profile_test(&name).await?;
            if let Some(warning) = &report.warning {
                output::warning(json_mode, warning);
            }
            output::result(json_mode, &report, || report.summary.clone());
        }
        ProfileCommand::Rm { name } => {
            engine.profile_remove(&name).await?;
            output::result(json_mode, &json!({"name": name, "removed": true}), || {
                format!("Removed profile \"{name}\" and its secret.")
            });
        }
        ProfileCommand::RestoreLocal => {
            let profile = engine.profile_restore_local().await?;
            output::result(json_mode, &profile, || {
                format!("The built-in profile \"{}\" is back.", profile.name)
            });
        }
        ProfileCommand::ImportAws { file } => {
            let report = engine.profile_import_aws(file).await?;
            output::result(json_mode, &report, || {
                let mut lines: Vec<String> = report
                    .imported
                    .iter()
                    .map(|p| format!("imported  {} (credentials: {})", p.name, p.credentials))
                    .collect();
                lines.extend(
                    report
                        .skipped
                        .iter()
                        .map(|s| format!("skipped   {}: {}", s.name, s.reason)),
                );
                if lines.is_empty() {
                    lines.push("No profiles found in the AWS config.".into());
                }
                lines.join("\n")
            });
        }
    }
    Ok(())
}

fn describe(p: &strata_core::profile::Profile) -> String {
    let endpoint = p.endpoint.as_deref().unwrap_or("AWS");
    format!("{}, {endpoint}, {}", p.provider, p.region)
}

fn patch_from(fields: ProfileFields) -> Result<ProfilePatch> {
    Ok(ProfilePatch {
        name: None,
        provider: fields
            .provider
            .as_deref()
            .map(str::parse::<Provider>)
            .transpose()?,
        endpoint: fields.endpoint,
        account_id: fields.account_id,
        region: fields.region,
        path_style: fields.path_style.then_some(true),
        access_key_id: fields.access_key_id,
        secret_access_key: read_secret(fields.secret_stdin)?,
    })
}

/// The secret from standard input, without its line ending; `None` without `--secret-stdin`.
fn read_secret(from_stdin: bool) -> Result<Option<String>> {
    if !from_stdin {
        return Ok(None);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("Paste the secret access key, then press Enter and Ctrl-D:");
    }
    let mut secret = String::new();
    stdin
        .lock()
        .read_to_string(&mut secret)
        .map_err(|e| Error::io("The secret could not be read from standard input", &e))?;
    Ok(Some(secret.trim_end_matches(['\r', '\n']).to_string()))
}

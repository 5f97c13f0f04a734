//! Which servers check a body's CRC64NVME before they keep it: S3 and the built-in endpoint
//! by their provider, any other endpoint once a multipart upload's first part, sent with its
//! CRC alone, came back with that CRC named. Single PUTs to them carry the CRC in place of an
//! MD5. Endpoints are remembered in the catalog by URL (a profile pointed elsewhere starts
//! over) and forgotten when an answer stops naming the CRC.

use crate::engine::Engine;
use crate::error::Result;
use crate::profile::Profile;

const SETTINGS_KEY: &str = "crc64nvme_checked";

impl Engine {
    /// Whether `profile`'s server is known to check a claimed CRC64NVME.
    pub(crate) async fn checks_crc64nvme(&self, profile: &Profile) -> Result<bool> {
        if profile.provider.checks_crc64nvme() {
            return Ok(true);
        }
        let Some(endpoint) = profile.endpoint.clone() else {
            return Ok(false);
        };
        let known: Vec<String> = self
            .reading(|conn| crate::catalog::json_setting(conn, SETTINGS_KEY))
            .await?;
        Ok(known.contains(&endpoint))
    }

    /// Remembers whether `profile`'s server showed it checks a claimed CRC64NVME.
    pub(crate) async fn learned_crc64nvme(&self, profile: &Profile, checks: bool) -> Result<()> {
        let Some(endpoint) = profile.endpoint.clone() else {
            return Ok(());
        };
        if profile.provider.checks_crc64nvme() || self.checks_crc64nvme(profile).await? == checks {
            return Ok(());
        }
        self.blocking(move |conn, _| {
            let tx = crate::catalog::write(conn)?;
            let mut known: Vec<String> = crate::catalog::json_setting(&tx, SETTINGS_KEY)?;
            known.retain(|e| *e != endpoint);
            if checks {
                known.push(endpoint.clone());
            }
            crate::catalog::set_json_setting(&tx, SETTINGS_KEY, &known)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }
}

//! Where the master key comes from: `master_key` (best from the environment,
//! `OAUTH2U_MASTER_KEY`), a `master_key_file`, or — for SQLite only — a file beside the
//! database, created with mode 0600 on first start. Never from the database itself.

use std::io::Write;
use std::path::{Path, PathBuf};

use oauth2u_core::keys::MasterKey;

use crate::config::Settings;

/// The master key of these settings, creating the default key file if needed.
pub(crate) fn load(settings: &Settings) -> Result<MasterKey, String> {
    if let Some(text) = &settings.master_key {
        return MasterKey::from_base64(text);
    }
    let path = match &settings.master_key_file {
        Some(path) => path.clone(),
        None => beside_database(&settings.database_url)?,
    };
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        return MasterKey::from_base64(&text).map_err(|error| format!("{}: {error}", path.display()));
    }
    create(&path)
}

fn beside_database(url: &str) -> Result<PathBuf, String> {
    if !url.starts_with("sqlite:") {
        // Every instance on a shared database needs the same key: the operator gives it.
        return Err("a PostgreSQL database needs master_key (best as OAUTH2U_MASTER_KEY) or master_key_file, \
                    the same for every instance: 32 random bytes in base64, e.g. from `openssl rand -base64 32`"
            .into());
    }
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path.contains(":memory:") {
        return Err("an in-memory database needs master_key or master_key_file".into());
    }
    Ok(PathBuf::from(format!("{path}.key")))
}

fn create(path: &Path) -> Result<MasterKey, String> {
    let key = MasterKey::generate().map_err(|error| error.description.into_owned())?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file =
        options.open(path).map_err(|error| format!("cannot create {}: {error}", path.display()))?;
    file.write_all(key.to_base64().as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    tracing::info!(file = %path.display(), "created the master key file; back it up with the database");
    Ok(key)
}

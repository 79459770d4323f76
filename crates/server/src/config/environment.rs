//! Settings from `OAUTH2U_*` environment variables, mapped explicitly.
//!
//! The prefix is shared with the client commands (`OAUTH2U_CLIENT_SECRET`, …) and with
//! whatever a wrapper script sets, so only the keys that are settings are read. The known
//! keys are derived from the settings themselves (every leaf of [`Settings::default`]), so
//! the list cannot drift from the struct. Anything else under the prefix that is not the
//! client's earns a warning, and start-up goes on.

use std::collections::BTreeSet;

use figment::providers::Serialized;
use figment::value::Value;

use super::Settings;

/// The prefix of every variable the server reads.
pub const PREFIX: &str = "OAUTH2U_";

/// Variables under the prefix that belong to the command line, not to the settings:
/// `OAUTH2U_CONFIG` (the server's `--config`), `OAUTH2U_ADMIN_TOKEN` (the admin API's bearer
/// token, read as it is rather than as a setting) and the client commands' own.
pub const COMMAND_LINE_VARIABLES: &[&str] = &["CONFIG", "ADMIN_TOKEN", "CLIENT_SECRET", "CLIENT_PROFILES"];

/// Nested keys are joined with a double underscore: `OAUTH2U_GRANTS__PASSWORD`.
const NESTING: &str = "__";

/// The settings found in `environment`, one figment provider each (a dotted key path),
/// and one warning for each variable under the prefix that is neither a setting nor the
/// command line's.
pub(super) fn server_variables(
    environment: impl IntoIterator<Item = (String, String)>,
) -> (Vec<Serialized<Value>>, Vec<String>) {
    let known = setting_keys();
    let mut settings = Vec::new();
    let mut warnings = Vec::new();
    for (name, value) in environment {
        let Some(key) = name.strip_prefix(PREFIX) else { continue };
        if COMMAND_LINE_VARIABLES.contains(&key) {
            continue;
        }
        let key = key.to_ascii_lowercase();
        if !known.contains(&key) {
            warnings.push(format!("ignoring environment variable {name}: it is not a setting of oauth2u"));
            continue;
        }
        let path = key.replace(NESTING, ".");
        // Values read as figment's own environment provider reads them ("true", "8", "[a, b]").
        let parsed: Value = value.parse().unwrap_or_else(|never| match never {});
        settings.push(Serialized::default(&path, parsed));
    }
    (settings, warnings)
}

/// Every setting's environment key, lower-case: `port`, `grants__password`, …
pub fn setting_keys() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    if let Ok(defaults) = serde_json::to_value(Settings::default()) {
        collect_leaves(&defaults, "", &mut keys);
    }
    keys
}

fn collect_leaves(value: &serde_json::Value, path: &str, keys: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(fields) => {
            for (name, field) in fields {
                let nested = if path.is_empty() { name.clone() } else { format!("{path}{NESTING}{name}") };
                collect_leaves(field, &nested, keys);
            }
        }
        _ => {
            keys.insert(path.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(variables: &[(&str, &str)]) -> Result<(Settings, Vec<String>), String> {
        let environment = variables.iter().map(|(name, value)| (name.to_string(), value.to_string()));
        Settings::load_from(None, super::super::Overrides::default(), environment)
    }

    #[test]
    fn keys_cover_top_level_and_nested_settings() {
        let keys = setting_keys();
        for key in [
            "port",
            "database_url",
            "master_key",
            "templates_dir",
            "grants__password",
            "limits__max_parameters",
        ] {
            assert!(keys.contains(key), "{key} missing from {keys:?}");
        }
        assert!(!keys.contains("grants"), "a section is not a leaf");
    }

    #[test]
    fn known_variables_are_read_nested_ones_too() {
        let (settings, warnings) =
            load(&[("OAUTH2U_PORT", "9123"), ("OAUTH2U_GRANTS__PASSWORD", "true")]).unwrap();
        assert_eq!(settings.port, 9123);
        assert!(settings.grants.password);
        assert!(warnings.is_empty());
    }

    #[test]
    fn the_client_commands_variables_are_not_settings_and_not_warned_about() {
        let (settings, warnings) = load(&[
            ("OAUTH2U_CLIENT_SECRET", "s3cret"),
            ("OAUTH2U_CLIENT_PROFILES", "/tmp/profiles.toml"),
            ("OAUTH2U_CONFIG", "/nowhere.toml"),
        ])
        .unwrap();
        assert_eq!(settings.port, 8000);
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn an_unknown_variable_under_the_prefix_is_one_warning_and_loading_goes_on() {
        let (settings, warnings) = load(&[("OAUTH2U_WRAPPER_MODE", "1"), ("OTHER", "x")]).unwrap();
        assert_eq!(settings.port, 8000);
        assert_eq!(
            warnings,
            ["ignoring environment variable OAUTH2U_WRAPPER_MODE: it is not a setting of oauth2u"]
        );
    }

    #[test]
    fn a_bad_value_for_a_known_variable_is_still_an_error() {
        assert!(load(&[("OAUTH2U_PORT", "many")]).is_err());
    }
}

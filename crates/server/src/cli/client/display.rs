//! What the client commands print: tokens and JSON on standard output (for pipes and
//! `$(...)`), everything meant for a person on standard error.

use std::io::IsTerminal;

use oauth2u_client::{ClientError, DeviceAuthorization, Tokens};
use serde::Serialize;
use url::Url;

/// The token response as pretty JSON, or with `raw` only the access token.
pub(super) fn tokens(tokens: &Tokens, raw: bool) -> Result<(), ClientError> {
    if raw {
        println!("{}", tokens.access_token());
        return Ok(());
    }
    json(&tokens.response)
}

/// After an OpenID sign-in: whose ID token was verified, for the person (standard error).
pub(super) fn signed_in(tokens: &Tokens) {
    if let Some(claims) = &tokens.id_token_claims {
        let text = |name: &str| claims.get(name).and_then(|value| value.as_str()).unwrap_or("?");
        eprintln!("ID token verified: sub {} from {}", text("sub"), text("iss"));
    }
}

pub(super) fn json(value: &impl Serialize) -> Result<(), ClientError> {
    let text = serde_json::to_string_pretty(value).map_err(|error| ClientError::Local(error.to_string()))?;
    println!("{text}");
    Ok(())
}

/// RFC 8628 §3.5: the device flow's two endings, in words a person acts on.
pub(super) fn device_ending(error: ClientError) -> ClientError {
    let description = if error.is_oauth("access_denied") {
        "the request was denied on the verification page"
    } else if error.is_oauth("expired_token") {
        "the code expired before it was approved; run the command again"
    } else {
        return error;
    };
    match error {
        ClientError::OAuth { error, .. } => {
            ClientError::OAuth { error, description: Some(description.into()) }
        }
        other => other,
    }
}

/// Shows the authorization URL and, unless told not to, opens it in the default browser.
pub(super) fn open_browser(url: &Url, no_browser: bool) {
    eprintln!("Open this URL to sign in:\n{url}");
    if no_browser {
        return;
    }
    if let Err(error) = launch(url.as_str()) {
        eprintln!("(could not start a browser: {error}; open the URL yourself)");
    }
}

/// `$BROWSER`, else the platform's opener. The child is not waited for.
fn launch(url: &str) -> std::io::Result<()> {
    let program = std::env::var("BROWSER")
        .ok()
        .filter(|browser| !browser.is_empty())
        .unwrap_or_else(|| if cfg!(target_os = "macos") { "open" } else { "xdg-open" }.to_owned());
    std::process::Command::new(program)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(drop)
}

/// RFC 8628 §3.3: the user code and where to enter it; a QR code of the complete URI
/// (§3.3.1) when a person is looking at a terminal.
pub(super) fn device_prompt(device: &DeviceAuthorization) {
    let uri = device.verification_uri().as_str();
    eprintln!("To sign in, open {uri} and enter the code: {}", device.user_code().secret());
    let complete = device.verification_uri_complete().map(|complete| complete.secret().as_str());
    if let Some(complete) = complete {
        eprintln!("Or open: {complete}");
    }
    if std::io::stderr().is_terminal()
        && let Some(code) = qr_code(complete.unwrap_or(uri))
    {
        eprintln!("{code}");
    }
    eprintln!("Waiting for approval…");
}

/// `text` as a QR code in half-block characters, two modules per character cell.
fn qr_code(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text).ok()?;
    Some(code.render::<qrcode::render::unicode::Dense1x2>().quiet_zone(true).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_a_square_of_half_blocks() {
        let uri = "https://auth.example/device?user_code=WDJB-MJHT";
        let code = qr_code(uri).unwrap();
        let modules = qrcode::QrCode::new(uri).unwrap().width();
        // Each module a character wide, two modules a line high, a 4-module quiet zone around.
        let lines: Vec<&str> = code.lines().collect();
        assert_eq!(lines.len(), (modules + 8).div_ceil(2));
        assert!(lines.iter().all(|line| line.chars().count() == modules + 8));
        assert!(code.chars().all(|c| matches!(c, ' ' | '█' | '▀' | '▄' | '\n')));
    }
}

//! What scripts can call: decisions (the seed's helpers) and a narrow, read-only view of
//! users. Nothing here returns a secret: no password hash, token or client secret.
//!
//! | function | returns |
//! | --- | --- |
//! | `grant(subject)` | approve the authorization request for `subject` |
//! | `deny()`, `deny(description)` | `access_denied` to the client |
//! | `redirect_error(code, description)` | `unauthorized_client`, `invalid_scope`, `server_error` or `temporarily_unavailable` to the client |
//! | `render(html)`, `render(status, html)` | answer with this page |
//! | `reject(code, description)` | refuse a token request (`access_token_validation`) |
//! | `find_user(username)` | `#{subject, username, disabled}` or `()` |
//! | `check_password(username, password)` | the user's subject if the password is right and the user enabled, else `()` (also while the login throttle holds the username) |

use std::sync::Arc;

use oauth2u_core::Store;
use oauth2u_core::throttle::{PasswordCheck, SignIn};
use rhai::{Dynamic, Engine, Map};
use tokio::runtime::Handle;

fn decision(kind: &str, fields: &[(&str, Dynamic)]) -> Map {
    let mut map = Map::new();
    map.insert("decision".into(), kind.into());
    for (name, value) in fields {
        map.insert((*name).into(), value.clone());
    }
    map
}

pub(super) fn register(engine: &mut Engine, store: Arc<dyn Store>, passwords: PasswordCheck) {
    engine.register_fn("grant", |subject: &str| decision("grant", &[("subject", subject.into())]));
    engine.register_fn("deny", || decision("error", &[("error", "access_denied".into())]));
    engine.register_fn("deny", |description: &str| {
        decision("error", &[("error", "access_denied".into()), ("description", description.into())])
    });
    engine.register_fn("redirect_error", |code: &str, description: &str| {
        decision("error", &[("error", code.into()), ("description", description.into())])
    });
    engine.register_fn("render", |html: &str| {
        decision("render", &[("status", Dynamic::from(200_i64)), ("html", html.into())])
    });
    engine.register_fn("render", |status: i64, html: &str| {
        decision("render", &[("status", Dynamic::from(status)), ("html", html.into())])
    });
    engine.register_fn("reject", |code: &str, description: &str| {
        decision("error", &[("error", code.into()), ("description", description.into())])
    });
    // client_registration: go ahead with this metadata instead of what was asked.
    engine.register_fn("adjust", |metadata: Map| decision("adjust", &[("metadata", metadata.into())]));

    // Scripts run on blocking threads, where waiting for the async store is allowed.
    let runtime = Handle::current();
    let (users, handle) = (store.clone(), runtime.clone());
    engine.register_fn("find_user", move |username: &str| -> Dynamic {
        match handle.block_on(users.user(username)) {
            Ok(Some(user)) => {
                let mut map = Map::new();
                map.insert("subject".into(), user.subject.into());
                map.insert("username".into(), user.username.into());
                map.insert("disabled".into(), user.disabled.into());
                map.into()
            }
            _ => Dynamic::UNIT,
        }
    });
    // The login throttle counts here too (by username: a script sees no address); a
    // throttled attempt looks like a wrong password.
    engine.register_fn("check_password", move |username: &str, password: &str| -> Dynamic {
        match runtime.block_on(passwords.sign_in(username, password, None)) {
            Ok(SignIn::User(user)) => user.subject.into(),
            _ => Dynamic::UNIT,
        }
    });
}

//! Page templates: built in, each replaceable by a file of the same name in `templates_dir`
//! (branding without rebuilding). minijinja escapes everything it inserts into `.html`.

use std::path::{Path, PathBuf};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::Environment;
use serde::Serialize;

/// The built-in templates and stylesheet.
const BUILT_IN: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("consent.html", include_str!("../templates/consent.html")),
    ("logout.html", include_str!("../templates/logout.html")),
    ("message.html", include_str!("../templates/message.html")),
    ("device.html", include_str!("../templates/device.html")),
    ("form_post.html", include_str!("../templates/form_post.html")),
    ("select_account.html", include_str!("../templates/select_account.html")),
    ("style.css", include_str!("../templates/style.css")),
];

/// The page templates of one server.
pub(crate) struct Templates {
    env: Environment<'static>,
    stylesheet: String,
}

impl Templates {
    /// Loads the templates; a file in `dir` replaces the built-in one of the same name.
    pub(crate) fn load(dir: Option<&Path>) -> Result<Self, String> {
        let mut env = Environment::new();
        let mut stylesheet = String::new();
        for (name, built_in) in BUILT_IN {
            let source = match dir.map(|dir| dir.join(name)).filter(|path| path.is_file()) {
                Some(path) => read(&path)?,
                None => (*built_in).to_owned(),
            };
            if *name == "style.css" {
                stylesheet = source;
                continue;
            }
            env.add_template_owned(*name, source).map_err(|error| format!("template {name}: {error}"))?;
        }
        Ok(Self { env, stylesheet })
    }

    /// A page with the headers every page carries.
    pub(crate) fn page(&self, status: StatusCode, name: &str, context: impl Serialize) -> Response {
        match self.env.get_template(name).and_then(|template| template.render(context)) {
            Ok(html) => (status, page_headers(), Html(html)).into_response(),
            Err(error) => {
                tracing::error!(%error, template = name, "template failed to render");
                (StatusCode::INTERNAL_SERVER_ERROR, page_headers(), Html("Internal server error"))
                    .into_response()
            }
        }
    }

    /// The stylesheet at `/assets/style.css`.
    pub(crate) fn stylesheet(&self) -> Response {
        let headers = [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
        ];
        (headers, self.stylesheet.clone()).into_response()
    }
}

fn read(path: &PathBuf) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|error| format!("cannot read template {}: {error}", path.display()))
}

/// Headers for every page: no framing (clickjacking), no script at all, no caching, no referrer.
pub(crate) fn page_headers() -> [(header::HeaderName, HeaderValue); 4] {
    [
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        ),
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ]
}

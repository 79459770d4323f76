//! The seed's plugins and handlers as Rhai scripts.
//!
//! Every `*.rhai` file in a plugins directory may define functions named after the
//! hooks (`authorization_GET`, `authorization_POST`, `access_token_validation`,
//! `access_token_response`); every `*.rhai` file in a handlers directory registers extra
//! URLs. Other files are ignored. A script that does not compile stops the start with its
//! file and line. Scripts are sandboxed — no file, network or module access — and bounded
//! in operations, depth and sizes, so a runaway script fails its own request only.

mod api;
pub(crate) mod handlers;
pub(crate) mod plugins;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use oauth2u_core::throttle::PasswordCheck;
use oauth2u_core::{OAuthError, Store};
use rhai::{AST, CallFnOptions, Dynamic, Engine, Scope};

/// One compiled script.
pub(crate) struct Script {
    pub path: PathBuf,
    pub ast: Arc<AST>,
}

impl Script {
    /// Whether the script defines `name` with `arity` parameters.
    pub fn defines(&self, name: &str, arity: usize) -> bool {
        self.ast.iter_functions().any(|function| function.name == name && function.params.len() == arity)
    }
}

/// A sandboxed engine with the scripts' API.
pub(crate) fn engine(store: Arc<dyn Store>, passwords: PasswordCheck) -> Arc<Engine> {
    let mut engine = Engine::new();
    engine.set_max_operations(500_000);
    engine.set_max_call_levels(32);
    engine.set_max_expr_depths(64, 32);
    engine.set_max_string_size(1 << 20);
    engine.set_max_array_size(10_000);
    engine.set_max_map_size(10_000);
    // No `import` of other files.
    engine.set_module_resolver(rhai::module_resolvers::DummyModuleResolver::new());
    engine.disable_symbol("eval");
    engine.on_print(|text| tracing::info!(target: "oauth2u::script", "{text}"));
    engine.on_debug(|text, _, position| tracing::debug!(target: "oauth2u::script", %position, "{text}"));
    api::register(&mut engine, store, passwords);
    Arc::new(engine)
}

/// Compiles every `*.rhai` file of the directories, in name order.
pub(crate) fn load(engine: &Engine, directories: &[PathBuf]) -> Result<Vec<Script>, String> {
    let mut scripts = Vec::new();
    for directory in directories {
        let mut paths = script_paths(directory)?;
        paths.sort();
        for path in paths {
            let source = std::fs::read_to_string(&path)
                .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
            let ast = engine.compile(&source).map_err(|error| {
                let position = error.position();
                format!(
                    "{}:{}:{}: {}",
                    path.display(),
                    position.line().unwrap_or(0),
                    position.position().unwrap_or(0),
                    error.err_type()
                )
            })?;
            scripts.push(Script { path, ast: Arc::new(ast) });
        }
    }
    Ok(scripts)
}

fn script_paths(directory: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(directory)
        .map_err(|error| format!("cannot read script directory {}: {error}", directory.display()))?;
    Ok(entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|extension| extension == "rhai"))
        .collect())
}

/// Calls `name(argument)` in a script on a blocking thread; any failure — a runtime error,
/// the operation limit — is `server_error` for this request only.
pub(crate) async fn call(
    engine: &Arc<Engine>,
    script: &Script,
    name: &'static str,
    argument: Dynamic,
) -> Result<Dynamic, OAuthError> {
    let (engine, ast) = (engine.clone(), script.ast.clone());
    let result = tokio::task::spawn_blocking(move || {
        let options = CallFnOptions::new().eval_ast(false);
        engine.call_fn_with_options::<Dynamic>(options, &mut Scope::new(), &ast, name, (argument,))
    })
    .await
    .map_err(OAuthError::server_error)?;
    result.map_err(|error| OAuthError::server_error(format!("{}: {name}: {error}", script.path.display())))
}

//! The seed's plugins and handlers as Rhai scripts.
//!
//! Every `*.rhai` file in a plugins directory may define functions named after the
//! hooks (`authorization_GET`, `authorization_POST`, `access_token_validation`,
//! `access_token_response`, and `claims` for OpenID Connect); every `*.rhai` file in a handlers directory registers extra
//! URLs. Other files are ignored. A script that does not compile stops the start with its
//! file and line. Scripts are sandboxed — no file, network or module access — and bounded
//! in operations, depth and sizes, so a runaway script fails its own request only.

mod api;
pub(crate) mod handlers;
pub(crate) mod plugins;

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// The engine with the scripts' API, and how long one call may take.
pub(crate) struct Sandbox {
    pub(crate) engine: Engine,
    timeout: Duration,
}

thread_local! {
    /// When the script running on this thread must stop; read by the engine's progress check.
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// A sandboxed engine with the scripts' API; each call stops after `timeout` (`plugins.timeout`).
pub(crate) fn engine(store: Arc<dyn Store>, passwords: PasswordCheck, timeout: Duration) -> Arc<Sandbox> {
    let mut engine = Engine::new();
    engine.set_max_operations(500_000);
    engine.set_max_call_levels(32);
    engine.set_max_expr_depths(64, 32);
    engine.set_max_string_size(1 << 20);
    engine.set_max_array_size(10_000);
    engine.set_max_map_size(10_000);
    // A wall-clock deadline beside the operation limit: a script that waits (on the
    // store, say) uses few operations. Checked every 256 operations, which costs nothing.
    engine.on_progress(|operations| {
        let past = operations % 256 == 0
            && DEADLINE.with(|deadline| deadline.get().is_some_and(|deadline| Instant::now() >= deadline));
        past.then(|| Dynamic::from("the script ran past its deadline (plugins.timeout)"))
    });
    // No `import` of other files.
    engine.set_module_resolver(rhai::module_resolvers::DummyModuleResolver::new());
    engine.disable_symbol("eval");
    engine.on_print(|text| tracing::info!(target: "oauth2u::script", "{text}"));
    engine.on_debug(|text, _, position| tracing::debug!(target: "oauth2u::script", %position, "{text}"));
    api::register(&mut engine, store, passwords);
    Arc::new(Sandbox { engine, timeout })
}

impl Sandbox {
    /// Runs `name(argument)` of `ast` on a blocking thread, stopped at the deadline. A call
    /// blocked outside the engine (in a store call) is answered at the deadline all the
    /// same; its thread stops at its next operation.
    pub(crate) async fn run(
        self: &Arc<Self>,
        ast: Arc<AST>,
        name: String,
        argument: Dynamic,
    ) -> Result<Dynamic, String> {
        let sandbox = self.clone();
        let deadline = Instant::now() + self.timeout;
        let task = tokio::task::spawn_blocking(move || {
            DEADLINE.with(|cell| cell.set(Some(deadline)));
            let options = CallFnOptions::new().eval_ast(false);
            let result = sandbox.engine.call_fn_with_options::<Dynamic>(
                options,
                &mut Scope::new(),
                &ast,
                &name,
                (argument,),
            );
            DEADLINE.with(|cell| cell.set(None));
            result.map_err(|error| error.to_string())
        });
        match tokio::time::timeout_at(deadline.into(), task).await {
            Ok(Ok(result)) => result,
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err("the script ran past its deadline (plugins.timeout)".into()),
        }
    }
}

/// Compiles every `*.rhai` file of the directories, in name order.
pub(crate) fn load(sandbox: &Sandbox, directories: &[PathBuf]) -> Result<Vec<Script>, String> {
    let mut scripts = Vec::new();
    for directory in directories {
        let mut paths = script_paths(directory)?;
        paths.sort();
        for path in paths {
            let source = std::fs::read_to_string(&path)
                .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
            let ast = sandbox.engine.compile(&source).map_err(|error| {
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

/// Calls `name(argument)` in a script; any failure — a runtime error, the operation limit,
/// the deadline — is `server_error` for this request only.
pub(crate) async fn call(
    sandbox: &Arc<Sandbox>,
    script: &Script,
    name: &'static str,
    argument: Dynamic,
) -> Result<Dynamic, OAuthError> {
    sandbox
        .run(script.ast.clone(), name.to_owned(), argument)
        .await
        .map_err(|error| OAuthError::server_error(format!("{}: {name}: {error}", script.path.display())))
}

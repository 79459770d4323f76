//! OpenID Connect Core §3.1.2.1 and §3.1.2.3 — whether the browser's session may answer
//! an OpenID request, or the user must sign in (again) or choose an account first.

use crate::authorization_request::AuthorizationRequest;
use crate::clock::UnixTime;
use crate::model::Session;

/// What the authorization endpoint does next with a request and the browser's session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInStep {
    /// The signed-in session answers the request.
    UseSession,
    /// Show who is signed in, with a way to switch (`prompt=select_account`).
    SelectAccount,
    /// The user must sign in: nobody is, `prompt=login`, the sign-in is older than
    /// `max_age`, or the session's user is not the one `id_token_hint` names. With
    /// `prompt=none` each is `login_required`.
    SignIn,
}

/// The next step for `request` given the signed-in `session` (if any) at `now`. `seen_as`
/// is the session's user as the request's client knows them (their pairwise `sub`, for a
/// pairwise client), to compare with the `sub` the client expects.
pub fn sign_in_step(
    request: &AuthorizationRequest,
    session: Option<&Session>,
    seen_as: Option<&str>,
    now: UnixTime,
) -> SignInStep {
    let Some((session, subject)) = session.and_then(|session| Some((session, session.subject.as_deref()?)))
    else {
        return SignInStep::SignIn;
    };
    let Some(openid) = &request.openid else {
        return SignInStep::UseSession;
    };
    // `max_age`: "the End-User MUST be actively re-authenticated" when the last sign-in is
    // older; `max_age=0` is "equivalent to prompt=login", however fresh the sign-in.
    let too_old = openid.max_age.is_some_and(|max_age| max_age == 0 || now - session.auth_time > max_age);
    // A pushed request (RFC 9126) cannot be rewritten on its way back from the login page,
    // as a plain one is (`answered_by_sign_in`): a sign-in after it was pushed answers it.
    let answered = request.pushed.as_ref().is_some_and(|pushed| session.auth_time >= pushed.pushed_at);
    let seen_as = seen_as.unwrap_or(subject);
    let other_user = openid.expected_subject.as_deref().is_some_and(|expected| expected != seen_as);
    if ((openid.prompt.login || too_old) && !answered) || other_user {
        return SignInStep::SignIn;
    }
    if openid.prompt.select_account {
        return SignInStep::SelectAccount;
    }
    SignInStep::UseSession
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Client;
    use crate::openid::{OpenIdRequest, Prompt};
    use crate::secret::Secret;

    fn request(openid: OpenIdRequest) -> AuthorizationRequest {
        let client = Client::example(false, "https://rp.example/cb");
        AuthorizationRequest { openid: Some(openid), ..AuthorizationRequest::example(client, "openid") }
    }

    fn session(auth_time: UnixTime) -> Session {
        Session {
            hash: Secret::from_client("s").hash(),
            subject: Some("alice".into()),
            sid: "sid".into(),
            auth_time,
            amr: vec!["pwd".into()],
            created_at: auth_time,
            last_seen_at: auth_time,
            expires_at: auth_time + 3600,
        }
    }

    #[test]
    fn max_age_compares_the_time_since_sign_in() {
        let asking = |max_age| request(OpenIdRequest { max_age: Some(max_age), ..OpenIdRequest::default() });
        let signed_in = session(1000);
        assert_eq!(
            sign_in_step(&asking(60), Some(&signed_in), None, 1060),
            SignInStep::UseSession,
            "exactly max_age"
        );
        assert_eq!(sign_in_step(&asking(60), Some(&signed_in), None, 1061), SignInStep::SignIn);
        assert_eq!(
            sign_in_step(&asking(0), Some(&signed_in), None, 1000),
            SignInStep::SignIn,
            "0: like prompt=login"
        );
    }

    #[test]
    fn a_hint_for_another_user_needs_a_sign_in_and_select_account_a_choice() {
        let hinted = |subject: &str| {
            request(OpenIdRequest { expected_subject: Some(subject.into()), ..OpenIdRequest::default() })
        };
        assert_eq!(sign_in_step(&hinted("alice"), Some(&session(0)), None, 5), SignInStep::UseSession);
        assert_eq!(sign_in_step(&hinted("bob"), Some(&session(0)), None, 5), SignInStep::SignIn);
        // A pairwise client expects its own sub for the user.
        assert_eq!(
            sign_in_step(&hinted("pw-alice"), Some(&session(0)), Some("pw-alice"), 5),
            SignInStep::UseSession
        );
        assert_eq!(
            sign_in_step(&hinted("alice"), Some(&session(0)), Some("pw-alice"), 5),
            SignInStep::SignIn
        );
        let select = Prompt { select_account: true, ..Prompt::default() };
        let choose = request(OpenIdRequest { prompt: select, ..OpenIdRequest::default() });
        assert_eq!(sign_in_step(&choose, Some(&session(0)), None, 5), SignInStep::SelectAccount);
        assert_eq!(sign_in_step(&choose, None, None, 5), SignInStep::SignIn, "nobody to choose yet");
    }
}

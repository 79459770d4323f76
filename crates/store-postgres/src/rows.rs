//! PostgreSQL rows to records, through the decoding every SQL store shares.

use oauth2u_core::keys::SigningKeyRecord;
use oauth2u_core::model::{
    AuthorizationCode, Client, Consent, DeviceAuthorization, LoginFailures, Session, TokenRecord, User,
};
use oauth2u_core::records::{self, Columns};
use oauth2u_core::store::StoreError;
use sqlx::Row;
use sqlx::postgres::PgRow;

type Result<T> = std::result::Result<T, StoreError>;

struct Cells<'r>(&'r PgRow);

impl Columns for Cells<'_> {
    fn int(&self, column: &str) -> Result<Option<i64>> {
        self.0.try_get(column).map_err(crate::map_error)
    }

    fn flag(&self, column: &str) -> Result<bool> {
        self.0.try_get(column).map_err(crate::map_error)
    }

    fn text(&self, column: &str) -> Result<Option<String>> {
        self.0.try_get(column).map_err(crate::map_error)
    }

    fn blob(&self, column: &str) -> Result<Option<Vec<u8>>> {
        self.0.try_get(column).map_err(crate::map_error)
    }
}

pub(crate) fn client(row: &PgRow) -> Result<Client> {
    records::client(&Cells(row))
}

pub(crate) fn user(row: &PgRow) -> Result<User> {
    records::user(&Cells(row))
}

pub(crate) fn code(row: &PgRow) -> Result<AuthorizationCode> {
    records::code(&Cells(row))
}

pub(crate) fn token(row: &PgRow) -> Result<TokenRecord> {
    records::token(&Cells(row))
}

pub(crate) fn session(row: &PgRow) -> Result<Session> {
    records::session(&Cells(row))
}

pub(crate) fn consent(row: &PgRow) -> Result<Consent> {
    records::consent(&Cells(row))
}

pub(crate) fn signing_key(row: &PgRow) -> Result<SigningKeyRecord> {
    records::signing_key(&Cells(row))
}

pub(crate) fn device_authorization(row: &PgRow) -> Result<DeviceAuthorization> {
    records::device_authorization(&Cells(row))
}

pub(crate) fn login_failures(row: &PgRow) -> Result<LoginFailures> {
    records::login_failures(&Cells(row))
}

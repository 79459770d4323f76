//! Rows to records, through the decoding every SQL store shares (`records.rs` beside this).

use crate::shared::records::{self, Columns};
use oauth2u_core::keys::SigningKeyRecord;
use oauth2u_core::model::{
    AuthorizationCode, Client, Consent, DeviceAuthorization, LogoutDelivery, Session, TokenRecord, User,
};
use oauth2u_core::store::StoreError;
use sqlx::Row as _;

use crate::engine::Row;

type Result<T> = std::result::Result<T, StoreError>;

struct Cells<'r>(&'r Row);

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

pub(crate) fn client(row: &Row) -> Result<Client> {
    records::client(&Cells(row))
}

pub(crate) fn user(row: &Row) -> Result<User> {
    records::user(&Cells(row))
}

pub(crate) fn code(row: &Row) -> Result<AuthorizationCode> {
    records::code(&Cells(row))
}

pub(crate) fn token(row: &Row) -> Result<TokenRecord> {
    records::token(&Cells(row))
}

pub(crate) fn session(row: &Row) -> Result<Session> {
    records::session(&Cells(row))
}

pub(crate) fn consent(row: &Row) -> Result<Consent> {
    records::consent(&Cells(row))
}

pub(crate) fn signing_key(row: &Row) -> Result<SigningKeyRecord> {
    records::signing_key(&Cells(row))
}

pub(crate) fn device_authorization(row: &Row) -> Result<DeviceAuthorization> {
    records::device_authorization(&Cells(row))
}

pub(crate) fn logout_delivery(row: &Row) -> Result<LogoutDelivery> {
    records::logout_delivery(&Cells(row))
}

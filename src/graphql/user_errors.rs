//! `userErrors`: problems in a mutation's input that the caller can fix, returned in the
//! payload instead of as GraphQL errors (nothing is written when there are any).

use async_graphql::{Enum, SimpleObject};

use crate::error::AppError;

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum UserErrorCode {
    /// The value is malformed or out of range.
    Invalid,
    /// A referenced record does not exist or is not visible to the caller.
    NotFound,
    /// The change collides with existing data (a duplicate, a profile that already exists).
    Conflict,
    /// The record changed since the version the caller based its update on; reload and retry.
    StaleVersion,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct UserError {
    /// Path to the input field at fault, e.g. `["input", "goals", "0", "targetDate"]`.
    pub field: Vec<String>,
    pub message: String,
    pub code: UserErrorCode,
}

impl UserError {
    pub fn new(field: &[&str], message: impl Into<String>, code: UserErrorCode) -> Self {
        UserError { field: field.iter().map(|s| (*s).to_owned()).collect(), message: message.into(), code }
    }
}

/// The user error an input problem is, or the error back when it is not one (auth failures
/// and server errors are not the caller's input).
pub fn user_error(e: AppError) -> Result<UserError, AppError> {
    let path = |field: &str| field.split('.').map(str::to_owned).collect();
    Ok(match e {
        AppError::Validation { field, message } => {
            UserError { field: path(&field), message, code: UserErrorCode::Invalid }
        }
        AppError::NotFoundAt { field, message } => {
            UserError { field: path(&field), message, code: UserErrorCode::NotFound }
        }
        AppError::NotFound(what) => UserError::new(&["input"], format!("{what} not found"), UserErrorCode::NotFound),
        AppError::Conflict(message) => UserError::new(&["input"], message, UserErrorCode::Conflict),
        stale @ AppError::StaleVersion { .. } => {
            UserError::new(&["input", "expectedVersion"], stale.to_string(), UserErrorCode::StaleVersion)
        }
        other => return Err(other),
    })
}

/// Splits a store result into caller-fixable user errors and everything else (which stays an
/// error: auth failures and server errors are not the caller's input).
pub fn into_user_errors<T>(r: Result<T, AppError>) -> async_graphql::Result<Result<T, Vec<UserError>>> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(e) => Ok(Err(vec![user_error(e)?])),
    }
}

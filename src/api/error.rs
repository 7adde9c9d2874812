//! The one error envelope, `{"error_code": int, "message": str}`, and the single mapping from
//! domain errors to CSR's status codes and error codes.

use crate::domain::DomainError;
use crate::registry::RegistryError;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: u32,
    pub message: String,
    /// The database connection failed under this request: `retry` may run it again.
    pub connection_lost: bool,
}

/// Marks a response whose request failed because its database connection was lost.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLost;

impl ApiError {
    pub fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            connection_lost: false,
        }
    }

    /// Framework-level errors carry the HTTP status as their code.
    pub fn http(status: StatusCode) -> Self {
        let reason = status.canonical_reason().unwrap_or("Error");
        ApiError::new(
            status,
            u32::from(status.as_u16()),
            format!("HTTP {} {reason}", status.as_u16()),
        )
    }

    pub fn not_found() -> Self {
        ApiError::http(StatusCode::NOT_FOUND)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, 400, message)
    }

    pub fn unprocessable(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, 422, message)
    }
}

impl From<RegistryError> for ApiError {
    fn from(err: RegistryError) -> Self {
        use RegistryError::*;
        let (status, code) = match &err {
            SubjectNotFound(_) => (StatusCode::NOT_FOUND, 40401),
            VersionNotFound(_) => (StatusCode::NOT_FOUND, 40402),
            SchemaIdNotFound(_) | SchemaNotFound => (StatusCode::NOT_FOUND, 40403),
            SubjectSoftDeleted(_) => (StatusCode::NOT_FOUND, 40404),
            SubjectNotSoftDeleted(_) => (StatusCode::NOT_FOUND, 40405),
            VersionSoftDeleted(..) => (StatusCode::NOT_FOUND, 40406),
            VersionNotSoftDeleted(..) => (StatusCode::NOT_FOUND, 40407),
            SubjectCompatibilityNotConfigured(_) => (StatusCode::NOT_FOUND, 40408),
            SubjectModeNotConfigured(_) => (StatusCode::NOT_FOUND, 40409),
            // CSR 7.x and Karapace use 409; every client keys on the HTTP status.
            Incompatible { .. } => (StatusCode::CONFLICT, 409),
            InvalidSchema(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42201),
            Invalid(DomainError::InvalidVersion(_)) => (StatusCode::UNPROCESSABLE_ENTITY, 42202),
            InvalidCompatibilityLevel => (StatusCode::UNPROCESSABLE_ENTITY, 42203),
            InvalidMode(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42204),
            OperationNotPermitted(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42205),
            ReferenceExists(..) => (StatusCode::UNPROCESSABLE_ENTITY, 42206),
            IdDoesNotMatch(..) => (StatusCode::UNPROCESSABLE_ENTITY, 42207),
            Invalid(DomainError::InvalidSubject(_)) => (StatusCode::UNPROCESSABLE_ENTITY, 42208),
            SchemaTooLarge => (StatusCode::UNPROCESSABLE_ENTITY, 42209),
            Invalid(DomainError::InvalidRuleSet(_)) => (StatusCode::UNPROCESSABLE_ENTITY, 42210),
            Invalid(DomainError::InvalidMetadata(_)) => (StatusCode::BAD_REQUEST, 400),
            ContextNotEmpty(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42211),
            // Confluent's clients retry 429 with back-off.
            Overloaded => (StatusCode::TOO_MANY_REQUESTS, 42901),
            // Full or read-only storage is the server's condition, not the request's, and it
            // passes once the operator makes room: 503, which clients retry with back-off.
            Store(e) if e.is_unwritable() => (StatusCode::SERVICE_UNAVAILABLE, 50001),
            Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, 50001),
        };
        let connection_lost = matches!(&err, Store(e) if e.is_connection_lost());
        let message = match &err {
            // The database's own words name hosts, users, tables: they go to the log, under
            // an id the client can quote.
            Store(e) => {
                let request_id = super::request_id::log_with_request_id("store error", e);
                if e.is_unwritable() {
                    format!(
                        "The backend data store cannot store anything: its disk is full, \
                         read-only or failing (request id {request_id})"
                    )
                } else {
                    format!("Error in the backend data store (request id {request_id})")
                }
            }
            _ => err.to_string(),
        };
        ApiError {
            connection_lost,
            ..ApiError::new(status, code, message)
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        ApiError::from(RegistryError::from(err))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error_code": self.code, "message": self.message });
        let mut response = super::render::json_response(self.status, &body);
        if self.status == StatusCode::TOO_MANY_REQUESTS
            || self.status == StatusCode::SERVICE_UNAVAILABLE
        {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                HeaderValue::from_static("1"),
            );
        }
        if self.connection_lost {
            response.extensions_mut().insert(ConnectionLost);
        }
        response
    }
}

pub type ApiResult<T = Response> = Result<T, ApiError>;

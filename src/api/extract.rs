//! Extractors that turn a request into checked values or a problem: JSON bodies (size limit,
//! syntax, unknown fields, every validation rule), query strings, and the authenticated caller.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::{Either, LocalBoxFuture, Ready, ready};
use serde::de::DeserializeOwned;
use validator::Validate;

use crate::auth::{Caller, api_key};
use crate::error::{AppError, AppResult, FieldError};
use crate::server::AppState;

/// The largest JSON body a route takes, in bytes; set per app (and per scope where it differs).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON body that parsed and passed its validation rules.
#[derive(Debug)]
pub struct ValidJson<T>(pub T);

impl<T> ValidJson<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidJson<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, AppResult<Self>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<BodyLimit>()
            .map_or(crate::config::Config::default().max_body_bytes, |l| l.0);
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let declared_length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if let Some(ct) = content_type {
                let essence = ct.split(';').next().unwrap_or_default().trim();
                if essence != "application/json" && !essence.ends_with("+json") {
                    return Err(AppError::unsupported_media_type(format!(
                        "send the body as application/json, not {essence}"
                    )));
                }
            }
            if declared_length.is_some_and(|n| n > limit) {
                return Err(AppError::payload_too_large(limit));
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    AppError::bad_request(
                        "body_unreadable",
                        format!("the body could not be read: {e}"),
                    )
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(AppError::payload_too_large(limit));
                }
                body.extend_from_slice(&chunk);
            }
            let value: T = parse_json(&body)?;
            value.validate()?;
            Ok(ValidJson(value))
        })
    }
}

/// Parses JSON, naming the wrong field when the JSON is well-formed but does not fit.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> AppResult<T> {
    if body.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        return Err(AppError::nul_character());
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    let value = result.map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => data_error(&path, &inner),
            serde_json::error::Category::Eof if body.iter().all(u8::is_ascii_whitespace) => {
                AppError::bad_request("malformed_json", "the request body is empty; send JSON")
            }
            _ => AppError::bad_request(
                "malformed_json",
                format!("the request body is not valid JSON: {inner}"),
            ),
        }
    })?;
    de.end().map_err(|e| {
        AppError::bad_request(
            "malformed_json",
            format!("the request body is not valid JSON: {e}"),
        )
    })?;
    Ok(value)
}

/// A field error from serde's message, e.g. "unknown field `foo`, expected one of …".
fn data_error(path: &str, err: &serde_json::Error) -> AppError {
    let full = err.to_string();
    let message = full
        .rsplit_once(" at line ")
        .map_or(full.as_str(), |(m, _)| m)
        .to_owned();
    let named = message.split('`').nth(1).unwrap_or_default();
    let join = |parent: &str, name: &str| match (parent, name) {
        (".", n) | ("", n) => n.to_owned(),
        (p, "") => p.to_owned(),
        (p, n) => format!("{p}.{n}"),
    };
    // serde_path_to_error's path ends at the unknown key itself, but at the parent of a missing one.
    let (field, code) = if message.starts_with("unknown field") {
        (path.to_owned(), "unknown_field")
    } else if message.starts_with("missing field") {
        (join(path, named), "missing_field")
    } else if message.starts_with("invalid type") {
        (path.to_owned(), "invalid_type")
    } else {
        (path.to_owned(), "invalid_value")
    };
    let field = if field.is_empty() || field == "." {
        "body".to_owned()
    } else {
        field
    };
    AppError::validation(vec![FieldError::new(field, code, message)])
}

/// A query string that parsed and passed its validation rules.
#[derive(Debug)]
pub struct ValidQuery<T>(pub T);

impl<T: DeserializeOwned + Validate> FromRequest for ValidQuery<T> {
    type Error = AppError;
    type Future = Ready<AppResult<Self>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_query::<T>(req.query_string()).and_then(|value| {
            value.validate()?;
            Ok(ValidQuery(value))
        }))
    }
}

/// Parses a query string, naming the parameter that does not fit.
fn parse_query<T: DeserializeOwned>(query: &str) -> AppResult<T> {
    let pairs = form_urlencoded::parse(query.as_bytes());
    if pairs
        .clone()
        .any(|(name, value)| name.contains('\0') || value.contains('\0'))
    {
        return Err(AppError::nul_character());
    }
    let de = serde_urlencoded::Deserializer::new(pairs);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let field = match err.path().to_string() {
            path if path.is_empty() || path == "." => "query".to_owned(),
            path => path,
        };
        let message = err.into_inner().to_string();
        AppError::validation(vec![FieldError::new(field, "invalid_query", message)])
    })
}

fn query_error(message: &str) -> AppError {
    let message = message
        .strip_prefix("Query deserialize error: ")
        .unwrap_or(message);
    AppError::validation(vec![FieldError::new("query", "invalid_query", message)])
}

/// The caller must be authenticated: by a login token (`Authorization: Bearer …`) or an
/// agency API key (`X-Api-Key: fk_…`).
impl FromRequest for Caller {
    type Error = AppError;
    type Future = Either<Ready<AppResult<Caller>>, LocalBoxFuture<'static, AppResult<Caller>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<AppState>>() else {
            return Either::Left(ready(Err(AppError::internal(anyhow::anyhow!(
                "application state missing"
            )))));
        };
        if let Some(auth) = req.headers().get(header::AUTHORIZATION) {
            let token = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim);
            return Either::Left(ready(match token {
                Some(token) => state.tokens.verify(token),
                None => Err(AppError::unauthenticated(
                    "invalid_token",
                    "the Authorization header must be 'Bearer <token>'",
                )),
            }));
        }
        if let Some(key) = req.headers().get("x-api-key") {
            let key = key.to_str().unwrap_or_default().trim().to_owned();
            let db = state.db.clone();
            return Either::Right(Box::pin(async move {
                db.read(move |conn| api_key::authenticate(conn, &key)).await
            }));
        }
        Either::Left(ready(Err(AppError::unauthenticated(
            "authentication_required",
            "log in and send 'Authorization: Bearer <token>', or send an agency API key as 'X-Api-Key'",
        ))))
    }
}

/// A multipart form read whole: its text fields, and its files (field name, bytes).
#[derive(Debug, Default)]
pub struct Form {
    pub texts: std::collections::BTreeMap<String, String>,
    pub files: Vec<(String, Vec<u8>)>,
}

impl Form {
    pub fn text(&self, name: &str) -> Option<&str> {
        self.texts.get(name).map(String::as_str)
    }
}

/// Reads a `multipart/form-data` body of at most `limit` bytes in all. A part with a file name
/// is a file; any other part is text.
pub async fn read_form(mut multipart: actix_multipart::Multipart, limit: usize) -> AppResult<Form> {
    use actix_multipart::MultipartError;
    let mut form = Form::default();
    let mut total = 0usize;
    let broken = |e: MultipartError| match e {
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible => {
            AppError::unsupported_media_type("send the file as multipart/form-data")
        }
        other => AppError::bad_request(
            "malformed_multipart",
            format!("the form could not be read: {other}"),
        ),
    };
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(broken)?;
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = field
            .content_disposition()
            .is_some_and(|d| d.get_filename().is_some());
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(broken)?;
            total += chunk.len();
            if total > limit {
                return Err(AppError::payload_too_large(limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        if is_file {
            form.files.push((name, bytes));
        } else {
            let text = String::from_utf8(bytes).map_err(|_| {
                AppError::invalid_field(&name, "not_text", "this form field must be text (UTF-8)")
            })?;
            form.texts.insert(name, text);
        }
    }
    Ok(form)
}

/// Problem responses for actix's own extractors (path segments, plain `web::Json`).
pub fn path_error(err: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    AppError::bad_request("invalid_path", err.to_string()).into()
}

pub fn json_error(err: actix_web::error::JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    AppError::bad_request("malformed_json", err.to_string()).into()
}

pub fn query_config_error(
    err: actix_web::error::QueryPayloadError,
    _: &HttpRequest,
) -> actix_web::Error {
    query_error(&err.to_string()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        postcode: String,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        count: u32,
        address: Inner,
    }

    fn field_of(body: &str) -> (String, String) {
        let err = parse_json::<Outer>(body.as_bytes()).unwrap_err();
        let p = err.problem();
        assert_eq!(p.status, 422, "{p:?}");
        (p.errors[0].field.clone(), p.errors[0].code.clone())
    }

    #[test]
    fn names_the_wrong_field() {
        assert_eq!(
            field_of(r#"{"name":"a","count":1,"address":{"postcode":"x","extra":1}}"#),
            ("address.extra".into(), "unknown_field".into())
        );
        assert_eq!(
            field_of(r#"{"name":"a","count":1,"address":{}}"#),
            ("address.postcode".into(), "missing_field".into())
        );
        assert_eq!(
            field_of(r#"{"name":"a","count":-1,"address":{"postcode":"x"}}"#),
            ("count".into(), "invalid_value".into())
        );
        assert_eq!(
            field_of(r#"{"name":5,"count":1,"address":{"postcode":"x"}}"#),
            ("name".into(), "invalid_type".into())
        );
        assert_eq!(
            field_of(r#"{"count":1,"address":{"postcode":"x"}}"#),
            ("name".into(), "missing_field".into())
        );
    }

    #[test]
    fn malformed_and_empty_bodies_are_bad_requests() {
        for body in [
            "",
            "   ",
            "{",
            "{\"name\":",
            "{\"name\" \"a\"}",
            r#"{"name":"a","count":1,"address":{"postcode":"x"}} x"#,
        ] {
            let err = parse_json::<Outer>(body.as_bytes()).unwrap_err();
            assert_eq!(err.problem().status, 400, "{body:?}");
            assert_eq!(err.code(), "malformed_json");
        }
    }

    mod never_panics {
        use proptest::prelude::*;
        use validator::Validate;

        use crate::api::extract::parse_json;
        use crate::register::{NewLocation, NewProvider};

        fn check<T: serde::de::DeserializeOwned + Validate>(body: &[u8]) {
            if let Ok(value) = parse_json::<T>(body) {
                let _ = value.validate();
            }
        }

        proptest! {
            #[test]
            fn any_bytes(body in proptest::collection::vec(any::<u8>(), 0..600)) {
                check::<NewLocation>(&body);
                check::<NewProvider>(&body);
            }

            #[test]
            fn any_field_text(street in "\\PC*", number in "\\PC*", postcode in "\\PC*", bag in "\\PC*", kvk in "\\PC*") {
                let location = serde_json::json!({
                    "address": {"street": street, "house_number": number, "postcode": postcode, "city": "C"},
                    "bag_id": bag, "housing_form": "holiday_park", "max_beds": 3
                });
                check::<NewLocation>(location.to_string().as_bytes());
                let provider = serde_json::json!({"kvk_number": kvk, "name": number, "contact_email": street});
                check::<NewProvider>(provider.to_string().as_bytes());
            }
        }
    }
}

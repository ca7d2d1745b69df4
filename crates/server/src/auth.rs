//! Sign-in: argon2 password hashes, random bearer tokens stored only as SHA-256 hashes,
//! sessions that expire and can be revoked.

use crate::error::{ApiError, ApiResult};
use crate::AppState;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use domain::case::Actor;
use domain::role::{Permission, Role};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use store::User;

/// How long a sign-in lasts: one duty shift plus handover.
pub const SESSION_HOURS: i64 = 14;
/// Shortest password accepted for a new account.
pub const PASSWORD_CHARS_MIN: usize = 8;
/// Longest password accepted (argon2 cost grows with the input).
pub const PASSWORD_CHARS_MAX: usize = 256;

/// Shortest password a staff account may be given.
pub const STAFF_PASSWORD_CHARS_MIN: usize = 10;
/// Shortest password for the accounts that can do the most (admins, dispatchers, leaders).
pub const PRIVILEGED_PASSWORD_CHARS_MIN: usize = 12;

/// Whether a new password is good enough for an account: long enough for its role, and not
/// guessable — zxcvbn's estimate (dictionaries, keyboard walks, sequences, dates, the
/// username itself) must reach 3 of 4 ("safely unguessable") for privileged roles and 2 for
/// the others. "12345678" or "linjiang2024" fail.
pub fn password_policy(password: &str, username: &str, role: Role) -> Result<(), String> {
    let privileged = matches!(role, Role::Admin | Role::Dispatcher | Role::Leader);
    let min = if privileged { PRIVILEGED_PASSWORD_CHARS_MIN } else { STAFF_PASSWORD_CHARS_MIN };
    let n = password.chars().count();
    if n < min || n > PASSWORD_CHARS_MAX {
        return Err(format!("a {} password needs {min} to {PASSWORD_CHARS_MAX} characters", role.as_str()));
    }
    let needed = if privileged { zxcvbn::Score::Three } else { zxcvbn::Score::Two };
    let estimate = zxcvbn::zxcvbn(password, &[username, "linjiang", "civicgrid", "临江"]);
    if estimate.score() < needed {
        let hint = estimate.feedback().and_then(|f| f.warning()).map(|w| format!(" ({w})")).unwrap_or_default();
        return Err(format!("this password is too easy to guess{hint}; use a longer phrase of unrelated words"));
    }
    Ok(())
}

pub fn hash_password(password: &str) -> Result<String, String> {
    let n = password.chars().count();
    if !(PASSWORD_CHARS_MIN..=PASSWORD_CHARS_MAX).contains(&n) {
        return Err(format!("a password needs {PASSWORD_CHARS_MIN} to {PASSWORD_CHARS_MAX} characters"));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A new random secret (256 bits), URL-safe.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored of a token or API key: its SHA-256, so a copy of the database gives no
/// working credentials.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// How long a checked session is trusted without asking the database again. A session
/// revoked on another node (or a user disabled) stops working here within this time; one
/// revoked on this node stops at once.
const SESSION_CACHE_SECONDS: u64 = 5;
/// Sessions remembered at most; the cache is cleared when full (it refills on demand).
const SESSION_CACHE_ENTRIES_MAX: usize = 10_000;

/// Checked sessions by token hash, with when they were checked.
#[derive(Default)]
pub struct SessionCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, (User, std::time::Instant)>>,
}

impl SessionCache {
    fn get(&self, token_hash: &str) -> Option<User> {
        let entries = self.entries.lock().expect("session cache lock");
        entries
            .get(token_hash)
            .filter(|(_, at)| at.elapsed() < std::time::Duration::from_secs(SESSION_CACHE_SECONDS))
            .map(|(u, _)| u.clone())
    }
    fn put(&self, token_hash: String, user: User) {
        let mut entries = self.entries.lock().expect("session cache lock");
        if entries.len() >= SESSION_CACHE_ENTRIES_MAX {
            entries.clear();
        }
        entries.insert(token_hash, (user, std::time::Instant::now()));
    }
    pub fn forget(&self, token_hash: &str) {
        self.entries.lock().expect("session cache lock").remove(token_hash);
    }
    /// Forgets every session of a user (revoked, disabled, password changed).
    pub fn forget_user(&self, user_id: i64) {
        self.entries.lock().expect("session cache lock").retain(|_, (u, _)| u.id != user_id);
    }
}

/// The signed-in user of a request.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub token_hash: String,
}

impl Session {
    pub fn actor(&self) -> Actor {
        Actor { user_id: self.user.id, username: self.user.username.clone(), role: self.user.role }
    }
    pub fn label(&self) -> String {
        format!("{}:{}", self.user.id, self.user.username)
    }
    pub fn role(&self) -> Role {
        self.user.role
    }
    pub fn require(&self, p: Permission) -> ApiResult<()> {
        if self.user.role.may(p) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("the role {} may not do this", self.user.role.as_str())))
        }
    }
}

impl FromRequestParts<Arc<AppState>> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        // Browsers' EventSource cannot send headers, so the stream alone also takes the token
        // from its query string.
        // (Nested under /api/v1, the path seen here is the part after the prefix.)
        let from_query = (parts.uri.path() == "/stream" || parts.uri.path() == "/api/v1/stream")
            .then(|| parts.uri.query().and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("access_token="))))
            .flatten();
        let token =
            header.and_then(|h| h.strip_prefix("Bearer ")).or(from_query).map(str::trim).filter(|t| !t.is_empty());
        let Some(token) = token else {
            return Err(ApiError::unauthorized());
        };
        let token_hash = secret_hash(token);
        if let Some(user) = state.sessions.get(&token_hash) {
            return Ok(Session { user, token_hash });
        }
        match state.store.session_user(&token_hash, state.clock.now()).await {
            Ok(user) => {
                state.sessions.put(token_hash.clone(), user.clone());
                Ok(Session { user, token_hash })
            }
            Err(store::StoreError::NotFound) => Err(ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "unauthorized",
                "the token is unknown, expired or revoked: sign in again",
            )),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords() {
        let h = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(hash_password("short").is_err());
    }

    #[test]
    fn guessable_passwords_are_refused() {
        for (p, role) in [
            ("12345678", Role::Admin),
            ("123456789012", Role::Admin),
            ("linjiang2024", Role::Dispatcher),
            ("password1234", Role::Leader),
            ("dispatcher01", Role::Dispatcher),
            ("qwertyuiop", Role::GridWorker),
            ("aaaaaaaaaaaa", Role::StationOfficer),
            ("Zx9!kQ", Role::GridWorker),
        ] {
            let username = if p.starts_with("dispatcher") { "dispatcher01" } else { "someone" };
            assert!(password_policy(p, username, role).is_err(), "{p:?} passed for {role:?}");
        }
        for (p, role) in [("river-lamp-orchid-42", Role::Admin), ("钱塘江边的路灯坏了三天", Role::GridWorker)]
        {
            password_policy(p, "someone", role).unwrap_or_else(|e| panic!("{p:?}: {e}"));
        }
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(secret_hash(&a).len(), 64);
        assert_ne!(secret_hash(&a), a);
    }
}

pub use app::access::{covers, sees_responder};

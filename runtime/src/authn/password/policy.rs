//! A password policy after NIST SP 800-63B §3.1.1.2: length limits counted in Unicode code
//! points after NFKC normalisation, any character allowed, a blocklist of common passwords,
//! and no composition rules (no "one digit, one symbol").

use crate::http::problem::{FieldError, Problem};
use std::collections::HashSet;
use std::sync::LazyLock;
use unicode_normalization::UnicodeNormalization;

/// The shipped blocklist: 19,640 common passwords (Django's `common-passwords.txt`, after
/// Royce Williams' list of the 20,000 most common breached passwords; see
/// `common-passwords.LICENSE` beside it), lowercase, one a line.
const COMMON_PASSWORDS: &str = include_str!("common-passwords.txt");

static BLOCKLIST: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| COMMON_PASSWORDS.lines().filter(|l| !l.is_empty()).collect());

/// The number of passwords in the shipped blocklist.
///
/// ```
/// use portcullis::authn::password::blocklist_len;
/// assert!(blocklist_len() > 10_000);
/// ```
pub fn blocklist_len() -> usize {
    BLOCKLIST.len()
}

/// Why a password is refused; each has a stable code and a message a user can act on.
///
/// ```
/// use portcullis::authn::password::{PasswordPolicy, PolicyViolation};
/// let v = PasswordPolicy::default().check("qwerty").unwrap_err();
/// assert_eq!(v, [PolicyViolation::TooShort { min: 8 }, PolicyViolation::Common]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyViolation {
    /// Fewer characters than the minimum.
    TooShort {
        /// The minimum length.
        min: usize,
    },
    /// More characters than the maximum.
    TooLong {
        /// The maximum length.
        max: usize,
    },
    /// On the list of commonly used or breached passwords.
    Common,
    /// Contains the user name, e-mail or another identifier of the account.
    ContainsIdentifier,
}

impl PolicyViolation {
    /// A stable machine-readable code.
    ///
    /// ```
    /// use portcullis::authn::password::PolicyViolation;
    /// assert_eq!(PolicyViolation::Common.code(), "too_common");
    /// assert_eq!(PolicyViolation::TooShort { min: 8 }.code(), "too_short");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            PolicyViolation::TooShort { .. } => "too_short",
            PolicyViolation::TooLong { .. } => "too_long",
            PolicyViolation::Common => "too_common",
            PolicyViolation::ContainsIdentifier => "contains_identifier",
        }
    }

    /// A sentence to show the user.
    ///
    /// ```
    /// use portcullis::authn::password::PolicyViolation;
    /// assert!(PolicyViolation::TooShort { min: 12 }.message().contains("12 characters"));
    /// ```
    pub fn message(&self) -> String {
        match self {
            PolicyViolation::TooShort { min } => {
                format!("Use at least {min} characters; a longer passphrase is easier to remember.")
            }
            PolicyViolation::TooLong { max } => format!("Use at most {max} characters."),
            PolicyViolation::Common => {
                "This password is commonly used and easy to guess; choose another.".to_owned()
            }
            PolicyViolation::ContainsIdentifier => {
                "Do not use your user name or e-mail address in the password.".to_owned()
            }
        }
    }

    /// The violation as a field error on `field`.
    ///
    /// ```
    /// use portcullis::authn::password::PolicyViolation;
    /// let e = PolicyViolation::Common.to_field_error("new_password");
    /// assert_eq!(e.field, "new_password");
    /// assert_eq!(e.code, "too_common");
    /// ```
    pub fn to_field_error(&self, field: &'static str) -> FieldError {
        FieldError::new(field, self.code(), self.message())
    }
}

/// Converts violations into a 422 problem on the `password` field.
///
/// ```
/// use portcullis::authn::password::{PasswordPolicy, violations_problem};
/// let violations = PasswordPolicy::default().check("abc").unwrap_err();
/// let problem = violations_problem(&violations);
/// assert_eq!(problem.status(), http::StatusCode::UNPROCESSABLE_ENTITY);
/// ```
pub fn violations_problem(violations: &[PolicyViolation]) -> Problem {
    Problem::unprocessable(
        violations
            .iter()
            .map(|v| v.to_field_error("password"))
            .collect(),
    )
}

/// The password policy. Defaults: at least 8 characters (NIST's floor; 15 is recommended when
/// the password is the only factor), at most 128, blocklist on.
///
/// ```
/// use portcullis::authn::password::{PasswordPolicy, PolicyViolation};
/// let policy = PasswordPolicy::default();
/// assert_eq!(policy.check("password1"), Err(vec![PolicyViolation::Common]));
/// assert!(policy.check("correct horse battery staple").is_ok());
/// assert!(policy.check("pässwörd-ÿ-über-lang").is_ok());
/// ```
#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    min_len: usize,
    max_len: usize,
    blocklist: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_len: 8,
            max_len: 128,
            blocklist: true,
        }
    }
}

static WEAK_WARNED: std::sync::Once = std::sync::Once::new();
static NO_BLOCKLIST_WARNED: std::sync::Once = std::sync::Once::new();

impl PasswordPolicy {
    /// The minimum length in characters. Below 8 is allowed but logged once at WARN.
    ///
    /// ```
    /// use portcullis::authn::password::{PasswordPolicy, PolicyViolation};
    /// let policy = PasswordPolicy::default().min_len(15); // password is the only factor
    /// assert_eq!(policy.check("violet-otter-9"), Err(vec![PolicyViolation::TooShort { min: 15 }]));
    /// assert!(policy.check("violet-otter-92").is_ok());
    /// ```
    pub fn min_len(mut self, n: usize) -> Self {
        if n < 8 {
            WEAK_WARNED.call_once(|| {
                tracing::warn!(target: "portcullis::authn", min_len = n, reason = "short_min_length", "password policy minimum below NIST SP 800-63B's 8 characters");
            });
        }
        self.min_len = n.max(1);
        self
    }

    /// The maximum length in characters; raised to 64 if lower (NIST requires at least 64).
    ///
    /// ```
    /// use portcullis::authn::password::{PasswordPolicy, PolicyViolation};
    /// let policy = PasswordPolicy::default().max_len(64);
    /// let long = "correct horse ".repeat(5); // 70 characters
    /// assert_eq!(policy.check(&long), Err(vec![PolicyViolation::TooLong { max: 64 }]));
    /// ```
    pub fn max_len(mut self, n: usize) -> Self {
        self.max_len = n.max(64);
        self
    }

    /// Turns the common-password blocklist off (logged once at WARN).
    ///
    /// ```
    /// use portcullis::authn::password::PasswordPolicy;
    /// assert!(PasswordPolicy::default().check("password").is_err());
    /// assert!(PasswordPolicy::default().without_blocklist().check("password").is_ok());
    /// ```
    pub fn without_blocklist(mut self) -> Self {
        NO_BLOCKLIST_WARNED.call_once(|| {
            tracing::warn!(target: "portcullis::authn", reason = "blocklist_disabled", "password blocklist disabled");
        });
        self.blocklist = false;
        self
    }

    /// Checks `password`; every violation is returned, not only the first.
    ///
    /// ```
    /// use portcullis::authn::password::{PasswordPolicy, PolicyViolation};
    /// let policy = PasswordPolicy::default();
    /// assert!(policy.check("correct horse battery staple").is_ok());
    /// assert_eq!(policy.check("short"), Err(vec![PolicyViolation::TooShort { min: 8 }]));
    /// ```
    pub fn check(&self, password: &str) -> Result<(), Vec<PolicyViolation>> {
        self.check_with_context(password, &[])
    }

    /// Checks `password`, also refusing one that contains any of `identifiers` (user name,
    /// e-mail; compared case-insensitively, identifiers shorter than 3 characters ignored).
    ///
    /// ```
    /// use portcullis::authn::password::{PasswordPolicy, PolicyViolation};
    /// let policy = PasswordPolicy::default();
    /// let result = policy.check_with_context("Alice-rocks-2024", &["alice", "alice@example.com"]);
    /// assert_eq!(result, Err(vec![PolicyViolation::ContainsIdentifier]));
    /// ```
    pub fn check_with_context(
        &self,
        password: &str,
        identifiers: &[&str],
    ) -> Result<(), Vec<PolicyViolation>> {
        let normalized: String = password.nfkc().collect();
        let len = normalized.chars().count();
        let mut out = Vec::new();
        if len < self.min_len {
            out.push(PolicyViolation::TooShort { min: self.min_len });
        }
        if len > self.max_len {
            out.push(PolicyViolation::TooLong { max: self.max_len });
        }
        let lower = normalized.to_lowercase();
        if self.blocklist && BLOCKLIST.contains(lower.as_str()) {
            out.push(PolicyViolation::Common);
        }
        if identifiers.iter().any(|id| {
            let id: String = id.nfkc().collect::<String>().to_lowercase();
            id.chars().count() >= 3 && lower.contains(&id)
        }) {
            out.push(PolicyViolation::ContainsIdentifier);
        }
        if out.is_empty() { Ok(()) } else { Err(out) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocklist_has_at_least_10000_entries() {
        assert!(blocklist_len() >= 10_000, "{}", blocklist_len());
    }

    #[test]
    fn length_counts_code_points_after_nfkc() {
        let p = PasswordPolicy::default();
        // 8 code points of 2+ bytes each.
        assert!(p.check("ñøßüéçàö").is_ok());
        // "ﬃ" (one code point) becomes "ffi" under NFKC: 6 → 8 characters.
        assert!(p.check("ﬃabcde").is_ok());
        assert!(p.check("ﬃabcd").is_err());
        assert_eq!(
            p.check("short"),
            Err(vec![PolicyViolation::TooShort { min: 8 }])
        );
    }

    #[test]
    fn all_violations_are_listed_and_messages_are_specific() {
        let p = PasswordPolicy::default().min_len(15);
        let v = p.check("iloveyou").unwrap_err();
        assert_eq!(
            v,
            vec![
                PolicyViolation::TooShort { min: 15 },
                PolicyViolation::Common
            ]
        );
        assert!(v[0].message().contains("15"));
        let long = "x".repeat(129);
        assert_eq!(
            p.check(&long),
            Err(vec![PolicyViolation::TooLong { max: 128 }])
        );
        assert_eq!(PasswordPolicy::default().max_len(10).max_len, 64);
        assert_eq!(
            p.check_with_context("alice-in-wonderland-2024", &["Alice"]),
            Err(vec![PolicyViolation::ContainsIdentifier])
        );
        assert_eq!(
            violations_problem(&v).status(),
            http::StatusCode::UNPROCESSABLE_ENTITY
        );
    }

    #[test]
    fn blocklist_is_case_insensitive() {
        assert_eq!(
            PasswordPolicy::default().check("PassWord123"),
            Err(vec![PolicyViolation::Common])
        );
    }
}

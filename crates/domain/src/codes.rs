//! Codes and identifiers that are parsed once where input enters.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a code did not parse; the message is shown to the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CodeError(pub String);

/// A grid (网格) code in the 15-digit scheme: 6 digits administrative division, 3 street,
/// 3 community (村社), 3 grid.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GridCode(String);

impl GridCode {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        if s.len() == 15 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(CodeError(format!("grid code must be 15 digits, got {s:?}")))
        }
    }
    /// A city's own grid code, for a scenario with `[scheme] codes = "local"`: see
    /// [`local_code`]. The server reads only the national scheme.
    pub fn local(s: &str) -> Result<Self, CodeError> {
        local_code(s, "grid").map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The first 12 digits: division + street + community (a local code whole).
    pub fn community(&self) -> &str {
        self.0.get(..12).unwrap_or(&self.0)
    }
}

/// A category code following the national digital-city-management scheme: `SJ` for events
/// (事件) or `BJ` for components (部件), then a 2-digit major class and a 2-digit minor class.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CategoryCode(String);

impl CategoryCode {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let b = s.as_bytes();
        let ok = b.len() == 6 && (s.starts_with("SJ") || s.starts_with("BJ")) && b[2..].iter().all(u8::is_ascii_digit);
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(CodeError(format!("category code must look like SJ0101 or BJ0103, got {s:?}")))
        }
    }
    /// A city's own category code, for a scenario with `[scheme] codes = "local"`: see
    /// [`local_code`]. The server reads only the national scheme.
    pub fn local(s: &str) -> Result<Self, CodeError> {
        local_code(s, "category").map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The major class, e.g. `SJ10` for social governance (a local code whole).
    pub fn major(&self) -> &str {
        self.0.get(..4).unwrap_or(&self.0)
    }
}

/// A code in a city's own scheme: 1 to 32 ASCII letters, digits, `-`, `_` or `.`.
fn local_code(s: &str, what: &str) -> Result<String, CodeError> {
    let ok = (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if ok {
        Ok(s.to_owned())
    } else {
        Err(CodeError(format!("a local {what} code is 1 to 32 letters, digits, -, _ or ., got {s:?}")))
    }
}

/// A mainland Chinese phone number: an 11-digit mobile number, or a landline with area code
/// (for example 0571-86001234). Stored without separators.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let digits: String = s.trim().trim_start_matches("+86").chars().filter(|c| *c != '-' && *c != ' ').collect();
        let all_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
        let mobile = digits.len() == 11 && digits.starts_with('1') && digits.as_bytes()[1] >= b'3';
        let landline = digits.starts_with('0') && (10..=12).contains(&digits.len());
        if all_digits && (mobile || landline) {
            Ok(Self(digits))
        } else {
            Err(CodeError(format!("not a valid phone number: {s:?}")))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The number with its middle hidden, as lists show it: 138****5678.
    pub fn masked(&self) -> String {
        let n = self.0.len();
        format!("{}****{}", &self.0[..3], &self.0[n - 4..])
    }
}

impl fmt::Debug for PhoneNumber {
    // Personal data stays out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

/// A person's name with all but the first character hidden: 张**.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        None => String::new(),
        Some(first) => {
            let rest = chars.count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
    }
}

macro_rules! string_code {
    ($($t:ty),*) => {$(
        impl TryFrom<String> for $t {
            type Error = CodeError;
            fn try_from(s: String) -> Result<Self, CodeError> { Self::parse(&s) }
        }
        impl From<$t> for String {
            fn from(c: $t) -> String { c.0 }
        }
        impl std::str::FromStr for $t {
            type Err = CodeError;
            fn from_str(s: &str) -> Result<Self, CodeError> { Self::parse(s) }
        }
    )*};
}
string_code!(GridCode, CategoryCode, PhoneNumber);

impl fmt::Display for GridCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Display for CategoryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_codes() {
        assert!(GridCode::parse("330114004001001").is_ok());
        assert_eq!(GridCode::parse("330114004001001").unwrap().community(), "330114004001");
        for bad in ["", "33011400400100", "3301140040010011", "33011400400100x"] {
            assert!(GridCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn category_codes() {
        assert_eq!(CategoryCode::parse("SJ1002").unwrap().major(), "SJ10");
        assert!(CategoryCode::parse("BJ0103").is_ok());
        for bad in ["SJ102", "XX1002", "sj1002", "SJ10020", "SJ10a2"] {
            assert!(CategoryCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones() {
        assert_eq!(PhoneNumber::parse("+86 138-0013-8000").unwrap().as_str(), "13800138000");
        assert_eq!(PhoneNumber::parse("0571-86001234").unwrap().as_str(), "057186001234");
        assert_eq!(PhoneNumber::parse("13800138000").unwrap().masked(), "138****8000");
        for bad in ["", "12345", "12800138000", "1380013800a", "23800138000"] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad}");
        }
        assert!(!format!("{:?}", PhoneNumber::parse("13800138000").unwrap()).contains("0013"));
    }

    #[test]
    fn names() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("李"), "李*");
        assert_eq!(mask_name(""), "");
    }
}

//! `POST /api/v1/cases` bodies: the JSON edge (syntax, control characters, shape) and every
//! field check that needs no database. Nothing may panic, and what is accepted holds only
//! clean, bounded text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = server::error::parse_json_body::<server::wire::CreateCaseRequest>(data)
        .and_then(|req| server::api::cases::intake(&req));
    if let Ok(c) = parsed {
        let n = c.description.chars().count();
        assert!(n > 0 && n <= domain::case::DESCRIPTION_CHARS_MAX);
        assert_eq!(domain::text::forbidden_char(&c.description), None);
        assert!(c.address.iter().all(|a| domain::text::forbidden_char(a).is_none()));
        assert!(c.location.lat().is_finite() && c.location.lng().is_finite());
    }
});

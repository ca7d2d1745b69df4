//! Open311 `POST /requests` form bodies: URL decoding, control characters, every field
//! check that needs no database. Nothing may panic; what is accepted holds only clean text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = server::open311::parse_form(data) {
        assert!(!f.api_key.is_empty());
        for text in [&f.description, &f.name, &f.api_key] {
            assert_eq!(domain::text::forbidden_char(text), None);
        }
        assert!(f.address.iter().chain(f.media_url.iter()).all(|t| domain::text::forbidden_char(t).is_none()));
        assert!(f.attributes.iter().all(|(_, v)| v.chars().count() <= 200));
        assert!(f.name.chars().count() <= 50);
    }
});

//! Reading one cookie from a request with the `cookie` crate, refusing ambiguity: when the
//! name appears more than once (a sibling subdomain or a plain-HTTP response can plant a
//! second cookie of the same name, and which one comes first is up to the browser), no value
//! is picked.

/// Longest `Cookie` header value read; longer ones are ignored.
const MAX_COOKIE_HEADER: usize = 8 * 1024;

/// What the request's `Cookie` headers say about one name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup<'h> {
    /// Not sent.
    Absent,
    /// Sent once, with this value (surrounding double quotes removed, RFC 6265 §4.1.1).
    One(&'h str),
    /// Sent more than once (in one header or across several).
    Duplicate,
}

/// Looks `name` up in every `Cookie` header (RFC 6265 §5.4: several pairs per header, and
/// HTTP/2 may split them over several headers).
pub(crate) fn lookup<'h>(headers: &'h http::HeaderMap, name: &str) -> Lookup<'h> {
    let mut found = Lookup::Absent;
    let pairs = headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter(|v| v.len() <= MAX_COOKIE_HEADER)
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok);
    for c in pairs {
        if c.name_raw() != Some(name) {
            continue;
        }
        if found != Lookup::Absent {
            return Lookup::Duplicate;
        }
        found = Lookup::One(c.value_raw().unwrap_or_default().trim_matches('"'));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for v in values {
            h.append(http::header::COOKIE, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn one_absent_and_duplicates() {
        let h = headers(&["theme=dark; id=abc; x=1"]);
        assert_eq!(lookup(&h, "id"), Lookup::One("abc"));
        assert_eq!(lookup(&h, "sid"), Lookup::Absent);
        assert_eq!(lookup(&h, "theme"), Lookup::One("dark"));
        assert_eq!(lookup(&headers(&["id=\"q\""]), "id"), Lookup::One("q"));
        assert_eq!(lookup(&headers(&["id=a; id=b"]), "id"), Lookup::Duplicate);
        assert_eq!(lookup(&headers(&["id=a", "id=a"]), "id"), Lookup::Duplicate);
        // A prefix or a suffix of the name is another cookie.
        assert_eq!(lookup(&headers(&["xid=a; idx=b"]), "id"), Lookup::Absent);
        // Malformed pairs are skipped, not fatal.
        assert_eq!(
            lookup(&headers(&["junk; id=v; =x"]), "id"),
            Lookup::One("v")
        );
        let huge = format!("id={}", "a".repeat(MAX_COOKIE_HEADER));
        assert_eq!(lookup(&headers(&[&huge]), "id"), Lookup::Absent);
    }
}

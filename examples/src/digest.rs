//! HTTP Digest access authentication (RFC 7616, `MD5` with `qop=auth`), as
//! far as the On-Demand example needs it: the client answers a challenge,
//! the emulator checks the answer. MD5 is written out here (RFC 1321)
//! rather than pulled in as a dependency; it is the algorithm Digest
//! defaults to, not a choice of ours for anything else.
//!
//! The On-Demand page says only "digest auth"; the realm, the nonce the
//! emulator hands out (one per emulator, never stale) and the demo
//! credentials are ours.

use std::fmt::Write as _;

/// The MD5 digest of `data` (RFC 1321), as 32 lowercase hex digits.
///
/// ```
/// use apifault_examples::digest::md5_hex;
/// assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
/// assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
/// ```
#[must_use]
pub fn md5_hex(data: &[u8]) -> String {
    const S: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5,
        9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10,
        15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];
    // K[i] = floor(abs(sin(i + 1)) * 2^32), as RFC 1321 tabulates it.
    let k: Vec<u32> = (0..64)
        .map(|i| ((f64::from(i + 1)).sin().abs() * 4_294_967_296.0) as u32)
        .collect();
    let mut message = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bits.to_le_bytes());
    let mut state: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
    for chunk in message.chunks_exact(64) {
        let m: Vec<u32> = chunk
            .chunks_exact(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .collect();
        let [mut a, mut b, mut c, mut d] = state;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let rotated = a
                .wrapping_add(f)
                .wrapping_add(k[i])
                .wrapping_add(m[g])
                .rotate_left(S[i]);
            (a, d, c) = (d, c, b);
            b = b.wrapping_add(rotated);
        }
        for (word, add) in state.iter_mut().zip([a, b, c, d]) {
            *word = word.wrapping_add(add);
        }
    }
    let mut hex = String::with_capacity(32);
    for byte in state.iter().flat_map(|w| w.to_le_bytes()) {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// A server's `WWW-Authenticate: Digest …` challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    /// `realm`.
    pub realm: String,
    /// `nonce`.
    pub nonce: String,
}

impl Challenge {
    /// Reads a `WWW-Authenticate` value; `None` unless it is a Digest
    /// challenge with a realm and a nonce.
    ///
    /// ```
    /// use apifault_examples::digest::Challenge;
    /// let c = Challenge::parse(r#"Digest realm="On-Demand", qop="auth", nonce="abc""#).unwrap();
    /// assert_eq!((c.realm.as_str(), c.nonce.as_str()), ("On-Demand", "abc"));
    /// ```
    #[must_use]
    pub fn parse(value: &str) -> Option<Self> {
        let params = value.trim().strip_prefix("Digest ")?;
        let fields = parse_params(params);
        Some(Challenge {
            realm: fields.iter().find(|(k, _)| k == "realm")?.1.clone(),
            nonce: fields.iter().find(|(k, _)| k == "nonce")?.1.clone(),
        })
    }

    /// The `WWW-Authenticate` value that states this challenge.
    #[must_use]
    pub fn header(&self) -> String {
        format!(
            r#"Digest realm="{}", qop="auth", algorithm=MD5, nonce="{}""#,
            self.realm, self.nonce
        )
    }

    /// The `Authorization` value that answers this challenge for a request
    /// of `method` to `uri` (path and query), as request number `nc` under
    /// this nonce.
    #[must_use]
    pub fn authorize(
        &self,
        username: &str,
        password: &str,
        method: &str,
        uri: &str,
        nc: u32,
    ) -> String {
        let nc = format!("{nc:08x}");
        let cnonce = md5_hex(format!("{nc}:{uri}:{}", self.nonce).as_bytes());
        let response = response(
            username,
            password,
            &self.realm,
            &self.nonce,
            &nc,
            &cnonce,
            method,
            uri,
        );
        format!(
            r#"Digest username="{username}", realm="{}", nonce="{}", uri="{uri}", qop=auth, nc={nc}, cnonce="{cnonce}", response="{response}", algorithm=MD5"#,
            self.realm, self.nonce
        )
    }
}

/// `response = MD5(HA1:nonce:nc:cnonce:qop:HA2)` (RFC 7616, section 3.4.1).
#[allow(clippy::too_many_arguments)]
fn response(
    username: &str,
    password: &str,
    realm: &str,
    nonce: &str,
    nc: &str,
    cnonce: &str,
    method: &str,
    uri: &str,
) -> String {
    let ha1 = md5_hex(format!("{username}:{realm}:{password}").as_bytes());
    let ha2 = md5_hex(format!("{method}:{uri}").as_bytes());
    md5_hex(format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}").as_bytes())
}

/// `key=value` and `key="value"` pairs, comma separated.
fn parse_params(params: &str) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    let mut rest = params.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let after = after.trim_start();
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            match quoted.split_once('"') {
                Some((value, next)) => (value, next),
                None => (quoted, ""),
            }
        } else {
            match after.split_once(',') {
                Some((value, next)) => (value.trim(), next),
                None => (after.trim(), ""),
            }
        };
        fields.push((key, value.to_owned()));
        rest = next.trim_start().trim_start_matches(',').trim_start();
    }
    fields
}

/// Whether `authorization` (an `Authorization` header value) answers
/// `challenge` with the password of `username` for a `method` request to
/// `uri`.
#[must_use]
pub fn verify(
    authorization: &str,
    challenge: &Challenge,
    username: &str,
    password: &str,
    method: &str,
    uri: &str,
) -> bool {
    let Some(params) = authorization.trim().strip_prefix("Digest ") else {
        return false;
    };
    let fields = parse_params(params);
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (Some(user), Some(nonce), Some(their_uri), Some(nc), Some(cnonce), Some(given)) = (
        field("username"),
        field("nonce"),
        field("uri"),
        field("nc"),
        field("cnonce"),
        field("response"),
    ) else {
        return false;
    };
    user == username
        && nonce == challenge.nonce
        && their_uri == uri
        && field("qop") == Some("auth")
        && response(
            username,
            password,
            &challenge.realm,
            nonce,
            nc,
            cnonce,
            method,
            uri,
        ) == given
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_matches_rfc_1321() {
        let cases = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ];
        for (input, digest) in cases {
            assert_eq!(md5_hex(input.as_bytes()), digest, "{input:?}");
        }
    }

    #[test]
    fn an_answer_verifies_and_a_wrong_password_does_not() {
        let challenge = Challenge {
            realm: "On-Demand".into(),
            nonce: "n0nce".into(),
        };
        let header = challenge.authorize("demo", "secret", "GET", "/titles/1", 1);
        assert!(verify(
            &header,
            &challenge,
            "demo",
            "secret",
            "GET",
            "/titles/1"
        ));
        assert!(!verify(
            &header,
            &challenge,
            "demo",
            "other",
            "GET",
            "/titles/1"
        ));
        assert!(!verify(
            &header,
            &challenge,
            "demo",
            "secret",
            "POST",
            "/titles/1"
        ));
        assert!(!verify(
            &header,
            &challenge,
            "demo",
            "secret",
            "GET",
            "/titles/2"
        ));
        assert!(!verify(
            "Basic ZGVtbzpzZWNyZXQ=",
            &challenge,
            "demo",
            "secret",
            "GET",
            "/"
        ));
    }
}

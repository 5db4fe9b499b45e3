//! The cryptography of the original's login hardening and request signing
//! (`AuthServiceUtils`, the clients' `AES`/`MAC`/`RSA`/`LoginPassword`), on the
//! RustCrypto crates:
//! - AES-128-CBC, PKCS#7, IV = bytes 1..=16, payloads base64;
//! - HMAC-MD5, base64;
//! - RSA PKCS#1 v1.5 with the user's uploaded X.509 public key;
//! - the stored password form `loginPassword = hex(md5(aes(md5(p), key md5(p))))`.

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};

type HmacMd5 = Hmac<Md5>;

const IV: [u8; 16] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];

pub fn md5(data: &[u8]) -> [u8; 16] {
    Md5::digest(data).into()
}

pub fn md5_hex(data: &[u8]) -> String {
    hex::encode(md5(data))
}

pub fn b64(data: &[u8]) -> String {
    B64.encode(data)
}

pub fn unb64(s: &str) -> Option<Vec<u8>> {
    B64.decode(s.trim()).ok()
}

/// A fresh random 16-byte key (login codes, `httpKey`, `loginKey`, …).
pub fn random_key() -> [u8; 16] {
    rand::random()
}

/// AES-128-CBC/PKCS#7 with the original's fixed IV. `None` for a key that is not 16 bytes.
pub fn aes_encrypt(key: &[u8], plain: &[u8]) -> Option<Vec<u8>> {
    let enc = cbc::Encryptor::<aes::Aes128>::new_from_slices(key, &IV).ok()?;
    Some(enc.encrypt_padded_vec_mut::<Pkcs7>(plain))
}

/// The inverse of [`aes_encrypt`]; `None` for a wrong key, length or padding.
pub fn aes_decrypt(key: &[u8], cipher: &[u8]) -> Option<Vec<u8>> {
    let dec = cbc::Decryptor::<aes::Aes128>::new_from_slices(key, &IV).ok()?;
    dec.decrypt_padded_vec_mut::<Pkcs7>(cipher).ok()
}

/// base64(HMAC-MD5(key, message)).
pub fn hmac_b64(key: &[u8], message: &str) -> String {
    let mut m = HmacMd5::new_from_slice(key).expect("HMAC takes any key length");
    m.update(message.as_bytes());
    b64(&m.finalize().into_bytes())
}

/// Whether `mac` (base64, as the client sent it) is HMAC-MD5(key, message),
/// compared in constant time.
pub fn mac_matches(mac: &str, key: &[u8], message: &str) -> bool {
    let Some(sent) = unb64(mac) else { return false };
    let mut m = HmacMd5::new_from_slice(key).expect("HMAC takes any key length");
    m.update(message.as_bytes());
    m.verify_slice(&sent).is_ok()
}

/// `LoginPassword.encodeFromOldPassword`: the newer stored form computed from the
/// older one (`md5(p)` as hex). `None` when the input is not 32 hex digits.
pub fn login_password_from_md5(md5_hex_input: &str) -> Option<String> {
    let key = hex::decode(md5_hex_input.trim()).ok()?;
    if key.len() != 16 {
        return None;
    }
    Some(md5_hex(&aes_encrypt(&key, &key)?))
}

/// `LoginPassword.encodeMd5`: the stored form of a plain password.
pub fn login_password(plain: &str) -> String {
    login_password_from_md5(&md5_hex(plain.as_bytes())).expect("md5 hex is 32 digits")
}

/// RSA-PKCS#1 v1.5 encryption with a public key uploaded as base64 X.509
/// SubjectPublicKeyInfo DER (what every client uploads). `None` for a key that
/// does not parse.
pub fn rsa_encrypt(public_key_b64: &str, plain: &[u8]) -> Option<Vec<u8>> {
    use rsa::pkcs8::DecodePublicKey;
    let der = unb64(public_key_b64)?;
    let key = rsa::RsaPublicKey::from_public_key_der(&der).ok()?;
    key.encrypt(&mut rand::thread_rng(), rsa::Pkcs1v15Encrypt, plain)
        .ok()
}

/// Whether `public_key_b64` is a usable RSA public key.
pub fn is_rsa_public_key(public_key_b64: &str) -> bool {
    use rsa::pkcs8::DecodePublicKey;
    unb64(public_key_b64).is_some_and(|der| rsa::RsaPublicKey::from_public_key_der(&der).is_ok())
}

/// The clients' `joinValues`/`paramKeySort`: the values of `pairs` ordered by
/// name, concatenated without separators.
pub fn joined_values<'a, I>(pairs: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut v: Vec<(&str, &str)> = pairs.into_iter().collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v.into_iter().map(|(_, v)| v).collect()
}

/// The values of a decrypted JSON object as the clients join them: numbers as
/// their plain text, strings as they are, `null` left out; `mac` excluded.
pub fn joined_json_values(obj: &serde_json::Map<String, serde_json::Value>) -> String {
    use serde_json::Value;
    let texts: Vec<(&str, String)> = obj
        .iter()
        .filter(|(k, _)| k.as_str() != "mac")
        .filter_map(|(k, v)| {
            let t = match v {
                Value::Null => return None,
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                other => other.to_string(),
            };
            Some((k.as_str(), t))
        })
        .collect();
    joined_values(texts.iter().map(|(k, v)| (*k, v.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_of_the_clients_unit_tests() {
        // Android `LoginPasswordTest`, `AESTest`, `MACTest`.
        assert_eq!(login_password("123456"), "7ba1bd982b33ac731c2c3bca90e77be9");
        assert_eq!(
            b64(&aes_encrypt(&md5(b"123456"), b"10005154").unwrap()),
            "v8dUhK9k1+uBnFJjlNtcGg=="
        );
        assert_eq!(hmac_b64(b"123456", "hello"), "nGmdevc6SSR6I5yw3S+BOQ==");
        assert!(mac_matches("nGmdevc6SSR6I5yw3S+BOQ==", b"123456", "hello"));
        assert!(!mac_matches("nGmdevc6SSR6I5yw3S+BOQ=", b"123456", "hello"));
        assert!(!mac_matches("not base64!", b"123456", "hello"));
    }

    #[test]
    fn aes_round_trip_and_refusals() {
        let k = random_key();
        let c = aes_encrypt(&k, b"{\"a\":1}").unwrap();
        assert_eq!(aes_decrypt(&k, &c).unwrap(), b"{\"a\":1}");
        assert!(aes_decrypt(&random_key(), &c).is_none_or(|p| p != b"{\"a\":1}"));
        assert!(aes_encrypt(b"short", b"x").is_none());
        assert!(aes_decrypt(&k, b"not a block").is_none());
    }

    #[test]
    fn joined_values_sort_by_name() {
        assert_eq!(
            joined_values([("mac", "M"), ("account", "A"), ("deviceId", "web")]),
            "Awebm".replace('m', "M")
        );
        let obj: serde_json::Value = serde_json::from_str(
            r#"{"deviceId":"web","userId":10000001,"salt":1700000000000,"mac":"x","n":null}"#,
        )
        .unwrap();
        assert_eq!(
            joined_json_values(obj.as_object().unwrap()),
            "web170000000000010000001"
        );
    }
}

//! What a real Shiku client computes, written from the client side (QZ
//! `apiAuthUtils.js`/`encryptUtils.js`, Android `LoginSecureHelper` and
//! `util/secure/*`), directly on the RustCrypto crates: the tests do not use
//! the service's own `secure` module, so a mistake there cannot hide here.
#![allow(dead_code)]

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::EncodePublicKey;
use serde_json::Value;

/// QZ's `VUE_APP_API_KEY`; the test apps run with it as `API_KEY`.
pub const API_KEY: &str = "5e29f483c42231";

const IV: [u8; 16] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];

pub fn md5(b: &[u8]) -> [u8; 16] {
    Md5::digest(b).into()
}

pub fn b64(b: &[u8]) -> String {
    B64.encode(b)
}

pub fn unb64(s: &str) -> Vec<u8> {
    B64.decode(s).expect("base64")
}

pub fn hmac(key: &[u8], msg: &str) -> String {
    let mut m = Hmac::<Md5>::new_from_slice(key).unwrap();
    m.update(msg.as_bytes());
    b64(&m.finalize().into_bytes())
}

pub fn aes(key: &[u8], plain: &[u8]) -> String {
    b64(&cbc::Encryptor::<aes::Aes128>::new_from_slices(key, &IV)
        .unwrap()
        .encrypt_padded_vec_mut::<Pkcs7>(plain))
}

pub fn unaes(key: &[u8], sealed: &str) -> Vec<u8> {
    cbc::Decryptor::<aes::Aes128>::new_from_slices(key, &IV)
        .unwrap()
        .decrypt_padded_vec_mut::<Pkcs7>(&unb64(sealed))
        .expect("AES padding")
}

/// `LoginPassword.encodeMd5`: hex(md5(AES(md5(p), key md5(p)))).
pub fn login_password(plain: &str) -> String {
    let k = md5(plain.as_bytes());
    let sealed = cbc::Encryptor::<aes::Aes128>::new_from_slices(&k, &IV)
        .unwrap()
        .encrypt_padded_vec_mut::<Pkcs7>(&k);
    hex::encode(md5(&sealed))
}

pub fn md5_hex(s: &str) -> String {
    hex::encode(md5(s.as_bytes()))
}

pub fn salt() -> String {
    chrono::Utc::now().timestamp_millis().to_string()
}

/// Values ordered by name, concatenated (`paramKeySort`, `joinValues`).
pub fn joined(pairs: &[(&str, String)]) -> String {
    let mut v: Vec<&(&str, String)> = pairs.iter().collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v.into_iter().map(|(_, v)| v.as_str()).collect()
}

/// The before-login `secret` over every parameter but `salt` (the client
/// adds `access_token` only after signing).
pub fn sign_open(params: &mut Vec<(&'static str, String)>, salt: &str) {
    let secret = hmac(
        &md5(API_KEY.as_bytes()),
        &format!("{API_KEY}{}{salt}", joined(params)),
    );
    params.push(("salt", salt.to_string()));
    params.push(("secret", secret));
}

/// The after-login `secret` (`apiAuthoLoginCreateSecret`, `generateHttpParam`).
pub fn sign_user(
    params: &mut Vec<(&'static str, String)>,
    user_id: i64,
    token: &str,
    http_key: &str,
) {
    let salt = salt();
    let secret = hmac(
        &unb64(http_key),
        &format!("{API_KEY}{user_id}{token}{}{salt}", joined(params)),
    );
    params.push(("access_token", token.to_string()));
    params.push(("salt", salt));
    params.push(("secret", secret));
}

/// A client's RSA-1024 login key pair as it uploads it: the public key as
/// X.509 SubjectPublicKeyInfo DER, the private key as PKCS#1 DER AES-encrypted
/// with md5(password), both base64.
pub struct KeyPair {
    pub private: rsa::RsaPrivateKey,
    pub public_b64: String,
    pub private_sealed_b64: String,
}

pub fn key_pair(password: &str) -> KeyPair {
    let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 1024).unwrap();
    let public_b64 = b64(private
        .to_public_key()
        .to_public_key_der()
        .unwrap()
        .as_bytes());
    let pkcs1 = private.to_pkcs1_der().unwrap();
    let private_sealed_b64 = aes(&md5(password.as_bytes()), pkcs1.as_bytes());
    KeyPair {
        private,
        public_b64,
        private_sealed_b64,
    }
}

/// What the client does with `getLoginPrivateKey` and `getLoginCode`'s
/// `code`: decrypt the private key with md5(password), then the code with it.
pub fn open_code(private_sealed_b64: &str, password: &str, code_b64: &str) -> Vec<u8> {
    let der = unaes(&md5(password.as_bytes()), private_sealed_b64);
    let key = rsa::RsaPrivateKey::from_pkcs1_der(&der).unwrap();
    key.decrypt(rsa::Pkcs1v15Encrypt, &unb64(code_b64)).unwrap()
}

/// The login result inside `data.data`.
pub fn open_result(key: &[u8], body: &Value) -> Value {
    let sealed = body["data"]["data"].as_str().expect("data.data");
    serde_json::from_slice(&unaes(key, sealed)).expect("JSON login result")
}

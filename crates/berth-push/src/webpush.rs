//! Web Push: RFC 8291 message encryption (aes128gcm, RFC 8188) and RFC 8292 VAPID.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use rand_core::{OsRng, RngCore};
use serde_json::{Value, json};
use sha2_10::Sha256;

use crate::outcome::{retryable_status, transport_failure, unix_now};
use crate::{DeliveryOutcome, Error, PushClient, PushMessage, WebPushCredentials};

/// Push services must accept at least 4096 bytes of encrypted body (RFC 8030 §7.2).
pub const MAX_PLAINTEXT_BYTES: usize = 4096 - 16 - 4 - 1 - 65 - 16 - 1;
const RECORD_SIZE: u32 = 4096;
/// Push services keep undeliverable messages this long when the sender gives no TTL.
const DEFAULT_TTL_SECONDS: u64 = 4 * 7 * 24 * 3600;

pub(crate) struct VapidKey {
    signing_key: SigningKey,
    subject: String,
}

impl VapidKey {
    pub(crate) fn parse(credentials: &WebPushCredentials) -> Result<Self, Error> {
        let invalid = |what: String| Error::InvalidWebPushCredentials(what);
        let raw = URL_SAFE_NO_PAD
            .decode(credentials.vapid_private_key.trim().trim_end_matches('='))
            .map_err(|error| invalid(format!("vapid_private_key is not base64url: {error}")))?;
        if raw.len() != 32 {
            return Err(invalid(format!(
                "vapid_private_key must be 32 bytes (raw P-256 scalar), got {}",
                raw.len()
            )));
        }
        let signing_key = SigningKey::from_slice(&raw)
            .map_err(|_| invalid("vapid_private_key is not a valid P-256 private key".into()))?;
        let subject = credentials.subject.trim();
        if !(subject.starts_with("mailto:") || subject.starts_with("https://")) {
            return Err(invalid("subject must be a mailto: or https: URL".into()));
        }
        Ok(Self {
            signing_key,
            subject: subject.to_string(),
        })
    }

    pub(crate) fn public_key_bytes(&self) -> Vec<u8> {
        self.signing_key
            .verifying_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec()
    }

    pub(crate) fn public_key_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.public_key_bytes())
    }

    /// `vapid t=<jwt>, k=<public key>` for the endpoint's origin (RFC 8292 §3).
    fn authorization(&self, audience: &str) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = json!({ "aud": audience, "exp": unix_now() + 12 * 3600, "sub": self.subject });
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{claims}");
        let signature: Signature = self.signing_key.sign(signing_input.as_bytes());
        let jwt = format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        );
        format!("vapid t={jwt}, k={}", self.public_key_base64url())
    }
}

/// Encrypts `plaintext` for a subscription (RFC 8291 §3.4) as a single aes128gcm record.
pub fn encrypt(plaintext: &[u8], p256dh: &[u8], auth_secret: &[u8]) -> Result<Vec<u8>, String> {
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    encrypt_with(
        plaintext,
        p256dh,
        auth_secret,
        &SecretKey::random(&mut OsRng),
        &salt,
    )
}

/// [`encrypt`] with a given ephemeral key and salt (fixed only in the RFC 8291 test vector).
fn encrypt_with(
    plaintext: &[u8],
    p256dh: &[u8],
    auth_secret: &[u8],
    server_secret: &SecretKey,
    salt: &[u8; 16],
) -> Result<Vec<u8>, String> {
    let user_agent_public = PublicKey::from_sec1_bytes(p256dh)
        .map_err(|_| "p256dh is not an uncompressed P-256 public key".to_string())?;
    let server_public = server_secret.public_key().to_encoded_point(false);
    let shared = p256::ecdh::diffie_hellman(
        server_secret.to_nonzero_scalar(),
        user_agent_public.as_affine(),
    );
    let (content_key, nonce) = derive_keys(
        shared.raw_secret_bytes(),
        auth_secret,
        user_agent_public.to_encoded_point(false).as_bytes(),
        server_public.as_bytes(),
        salt,
    )?;
    let mut padded = Vec::with_capacity(plaintext.len() + 1);
    padded.extend_from_slice(plaintext);
    padded.push(2); // last-record delimiter (RFC 8188 §2)
    let cipher = Aes128Gcm::new_from_slice(&content_key).map_err(|error| error.to_string())?;
    let ciphertext = cipher
        .encrypt(&Nonce::from(nonce), padded.as_slice())
        .map_err(|_| "encryption failed".to_string())?;
    let mut body = Vec::with_capacity(16 + 4 + 1 + 65 + ciphertext.len());
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(server_public.as_bytes().len() as u8);
    body.extend_from_slice(server_public.as_bytes());
    body.extend_from_slice(&ciphertext);
    Ok(body)
}

/// Content-encryption key and nonce (RFC 8291 §3.3-3.4, RFC 8188 §2.2-2.3).
pub(crate) fn derive_keys(
    ecdh_secret: &[u8],
    auth_secret: &[u8],
    user_agent_public: &[u8],
    server_public: &[u8],
    salt: &[u8],
) -> Result<([u8; 16], [u8; 12]), String> {
    let mut key_info = Vec::with_capacity(14 + 65 + 65);
    key_info.extend_from_slice(b"WebPush: info\0");
    key_info.extend_from_slice(user_agent_public);
    key_info.extend_from_slice(server_public);
    let mut input_keying_material = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth_secret), ecdh_secret)
        .expand(&key_info, &mut input_keying_material)
        .map_err(|error| error.to_string())?;
    let content = Hkdf::<Sha256>::new(Some(salt), &input_keying_material);
    let mut content_key = [0u8; 16];
    let mut nonce = [0u8; 12];
    content
        .expand(b"Content-Encoding: aes128gcm\0", &mut content_key)
        .map_err(|error| error.to_string())?;
    content
        .expand(b"Content-Encoding: nonce\0", &mut nonce)
        .map_err(|error| error.to_string())?;
    Ok((content_key, nonce))
}

fn plaintext(message: &PushMessage) -> Value {
    let mut body = serde_json::Map::new();
    if let Some(title) = &message.title {
        body.insert("title".into(), json!(title));
    }
    if let Some(text) = &message.body {
        body.insert("body".into(), json!(text));
    }
    if let Some(badge) = message.badge {
        body.insert("badge".into(), json!(badge));
    }
    if let Some(sound) = &message.sound {
        body.insert("sound".into(), json!(sound));
    }
    if !message.data.is_empty() {
        body.insert("data".into(), Value::Object(message.data.clone()));
    }
    Value::Object(body)
}

pub(crate) async fn send(
    client: &PushClient,
    credentials: &WebPushCredentials,
    endpoint: &str,
    p256dh: &str,
    auth: &str,
    message: &PushMessage,
) -> DeliveryOutcome {
    let vapid = match VapidKey::parse(credentials) {
        Ok(vapid) => vapid,
        Err(error) => {
            return DeliveryOutcome::Rejected {
                reason: error.to_string(),
            };
        }
    };
    let endpoint_url = match url::Url::parse(endpoint) {
        Ok(url) if matches!(url.scheme(), "https" | "http") => url,
        _ => {
            return DeliveryOutcome::TokenInvalid {
                reason: "subscription endpoint is not an http(s) URL".into(),
            };
        }
    };
    let decode = |text: &str| URL_SAFE_NO_PAD.decode(text.trim().trim_end_matches('='));
    let (Ok(p256dh), Ok(auth)) = (decode(p256dh), decode(auth)) else {
        return DeliveryOutcome::TokenInvalid {
            reason: "subscription keys are not base64url".into(),
        };
    };
    if auth.len() != 16 {
        return DeliveryOutcome::TokenInvalid {
            reason: "subscription auth secret must be 16 bytes".into(),
        };
    }
    let plaintext = match serde_json::to_vec(&plaintext(message)) {
        Ok(bytes) => bytes,
        Err(error) => {
            return DeliveryOutcome::Rejected {
                reason: format!("payload: {error}"),
            };
        }
    };
    if plaintext.len() > MAX_PLAINTEXT_BYTES {
        return DeliveryOutcome::Rejected {
            reason: format!(
                "payload is {} bytes, Web Push carries at most {MAX_PLAINTEXT_BYTES}",
                plaintext.len()
            ),
        };
    }
    let body = match encrypt(&plaintext, &p256dh, &auth) {
        Ok(body) => body,
        Err(reason) => return DeliveryOutcome::TokenInvalid { reason },
    };
    let audience = endpoint_url.origin().ascii_serialization();
    let ttl = message
        .ttl
        .map(|ttl| ttl.as_secs())
        .unwrap_or(DEFAULT_TTL_SECONDS);
    let mut request = client
        .http
        .post(endpoint_url)
        .header("authorization", vapid.authorization(&audience))
        .header("content-encoding", "aes128gcm")
        .header("content-type", "application/octet-stream")
        .header("ttl", ttl.to_string())
        .header(
            "urgency",
            if message.high_priority {
                "high"
            } else {
                "normal"
            },
        )
        .body(body);
    if let Some(topic) = message
        .collapse_id
        .as_deref()
        .filter(|topic| is_valid_topic(topic))
    {
        request = request.header("topic", topic);
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) => return transport_failure(&error),
    };
    let status = response.status();
    let headers = response.headers().clone();
    if status.is_success() {
        let provider_id = headers
            .get("location")
            .and_then(|value| value.to_str().ok())
            .map(str::to_string);
        return DeliveryOutcome::Delivered { provider_id };
    }
    let text = response.text().await.unwrap_or_default();
    let reason = format!(
        "Web Push {}: {}",
        status.as_u16(),
        text.chars().take(300).collect::<String>()
    );
    if matches!(status.as_u16(), 404 | 410) {
        return DeliveryOutcome::TokenInvalid { reason };
    }
    if let Some(outcome) = retryable_status(status, &headers, reason.clone()) {
        return outcome;
    }
    DeliveryOutcome::Rejected { reason }
}

/// RFC 8030 §5.4: a topic is at most 32 characters of the base64url alphabet.
fn is_valid_topic(topic: &str) -> bool {
    !topic.is_empty()
        && topic.len() <= 32
        && topic
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(text: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD
            .decode(text)
            .expect("test vector is base64url")
    }

    /// RFC 8291 Appendix A: the complete encrypted message from fixed keys and salt.
    #[test]
    fn encryption_matches_the_rfc_8291_example() {
        let plaintext = b"When I grow up, I want to be a watermelon";
        let auth = b64("BTBZMqHH6r4Tts7J_aSIgg");
        let user_agent_public = b64(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
        );
        let server_secret =
            SecretKey::from_slice(&b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"))
                .expect("key");
        let salt: [u8; 16] = b64("DGv6ra1nlYgDCS1FRnbzlw").try_into().expect("16 bytes");

        let body = encrypt_with(plaintext, &user_agent_public, &auth, &server_secret, &salt)
            .expect("encrypts");

        // The RFC uses rs = 4096 too.
        assert_eq!(
            URL_SAFE_NO_PAD.encode(body),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
        );
    }
}

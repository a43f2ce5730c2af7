//! Access tokens: short-lived JWTs (RFC 9068 `at+jwt`) signed with Ed25519, and their
//! verification along RFC 8725: the algorithm is fixed by us, never read from the token; iss,
//! aud, sub, exp and iat are required; future iat/nbf, unknown `crit` and key-bearing headers
//! (`jku`, `x5u`, `jwk`, `x5c`) are refused.

use std::{collections::HashMap, path::Path, time::Duration};

use anyhow::Context;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ed25519_dalek::{
    SigningKey,
    pkcs8::{DecodePrivateKey, EncodePrivateKey, spki::der::pem::LineEnding},
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{Config, Environment, SigningKeySource};

/// Clock skew tolerated on exp, nbf and iat.
const LEEWAY_SECONDS: i64 = 30;
const TOKEN_TYPE: &str = "at+jwt";

/// The claims of a learnergraph access token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub jti: String,
    pub client_id: String,
    /// Space-separated scopes.
    pub scope: String,
    /// Org sourcedIds the token is limited to; absent means district-wide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orgs: Option<Vec<String>>,
    /// For a signed-in person: their user sourcedId (also `sub`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The refresh-token family the token was issued from, so revoking the family revokes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fam: Option<String>,
}

/// Who a token is issued to.
pub struct Subject<'a> {
    pub client_id: &'a str,
    /// A signed-in person's sourcedId; `None` for a client acting for itself.
    pub user: Option<&'a str>,
    pub scope: &'a str,
    pub orgs: Option<Vec<String>>,
    pub family: Option<&'a str>,
}

/// Why a presented token was refused. The text goes to the client in `WWW-Authenticate`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TokenError(pub String);

struct VerifyingKey {
    key: DecodingKey,
    jwk: serde_json::Value,
}

/// The signing key and every key that still verifies (the current one first).
pub struct Keys {
    kid: String,
    signing: EncodingKey,
    verifying: HashMap<String, VerifyingKey>,
    jwks_order: Vec<String>,
    issuer: String,
    audience: String,
    ttl: Duration,
}

impl Keys {
    /// Loads the configured key; in development, creates and persists one when missing.
    pub fn load(config: &Config) -> anyhow::Result<Self> {
        let pem = match &config.signing_key {
            SigningKeySource::Pem(pem) => pem.expose().to_owned(),
            SigningKeySource::File(path) => read_or_create(path, config.environment)?,
        };
        let mut keys = Keys::from_pem(&pem, &config.issuer, &config.audience, config.access_token_ttl)?;
        for x in &config.previous_public_keys {
            keys.add_verifying_key(x)?;
        }
        Ok(keys)
    }

    /// Keeps verifying tokens signed by a retired key (its JWK `x`: the base64url Ed25519
    /// public key) until they expire, so keys rotate without downtime.
    pub fn add_verifying_key(&mut self, x: &str) -> anyhow::Result<()> {
        let public = URL_SAFE_NO_PAD.decode(x).context("a previous public key is not base64url")?;
        anyhow::ensure!(public.len() == 32, "a previous public key is not an Ed25519 key");
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(&public)[..12]);
        if self.verifying.contains_key(&kid) {
            return Ok(());
        }
        let key = DecodingKey::from_ed_components(x).context("cannot use a previous public key")?;
        let jwk = serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"});
        self.verifying.insert(kid.clone(), VerifyingKey { key, jwk });
        self.jwks_order.push(kid);
        Ok(())
    }

    /// The JWK `x` (base64url public key) of the current signing key.
    pub fn current_public_key(&self) -> Option<String> {
        self.verifying.get(&self.kid).and_then(|k| k.jwk["x"].as_str().map(str::to_owned))
    }

    pub fn from_pem(pem: &str, issuer: &str, audience: &str, ttl: Duration) -> anyhow::Result<Self> {
        let signing_key = SigningKey::from_pkcs8_pem(pem).context("the signing key is not a PKCS#8 PEM Ed25519 key")?;
        let public = signing_key.verifying_key().to_bytes();
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(public)[..12]);
        let x = URL_SAFE_NO_PAD.encode(public);
        let signing = EncodingKey::from_ed_pem(pem.as_bytes()).context("cannot use the signing key")?;
        let key = DecodingKey::from_ed_components(&x).context("cannot derive the verifying key")?;
        let jwk = serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"});
        let verifying = HashMap::from([(kid.clone(), VerifyingKey { key, jwk })]);
        Ok(Keys {
            jwks_order: vec![kid.clone()],
            kid,
            signing,
            verifying,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            ttl,
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Signs an access token; returns it with its claims.
    pub fn issue(&self, to: Subject<'_>) -> anyhow::Result<(String, AccessClaims)> {
        let now = chrono::Utc::now().timestamp();
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            sub: to.user.unwrap_or(to.client_id).to_owned(),
            aud: self.audience.clone(),
            exp: now + i64::try_from(self.ttl.as_secs()).unwrap_or(900),
            iat: now,
            nbf: None,
            jti: uuid::Uuid::new_v4().to_string(),
            client_id: to.client_id.to_owned(),
            scope: to.scope.to_owned(),
            orgs: to.orgs,
            user: to.user.map(str::to_owned),
            fam: to.family.map(str::to_owned),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(TOKEN_TYPE.to_owned());
        header.kid = Some(self.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &self.signing).context("signing failed")?;
        Ok((token, claims))
    }

    /// Verifies signature, algorithm, type, issuer, audience and times.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let header = check_header(token)?;
        let kid = header.get("kid").and_then(|k| k.as_str()).ok_or_else(|| TokenError("token has no `kid`".into()))?;
        let key = self.verifying.get(kid).ok_or_else(|| TokenError("token signed with an unknown key".into()))?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS.unsigned_abs();
        let data = jsonwebtoken::decode::<AccessClaims>(token, &key.key, &validation)
            .map_err(|e| TokenError(format!("invalid token: {e}")))?;
        if data.claims.iat > chrono::Utc::now().timestamp() + LEEWAY_SECONDS {
            return Err(TokenError("token issued in the future".into()));
        }
        if data.claims.sub.is_empty() {
            return Err(TokenError("token has an empty `sub`".into()));
        }
        Ok(data.claims)
    }

    /// The public keys as a JWK Set (RFC 7517), for `/.well-known/jwks.json`.
    pub fn jwks(&self) -> serde_json::Value {
        let keys: Vec<_> =
            self.jwks_order.iter().filter_map(|kid| self.verifying.get(kid)).map(|k| k.jwk.clone()).collect();
        serde_json::json!({ "keys": keys })
    }
}

/// Checks the JOSE header before any signature work: the algorithm must be ours, the type
/// `at+jwt`, and nothing may point us at another key.
fn check_header(token: &str) -> Result<serde_json::Map<String, serde_json::Value>, TokenError> {
    let bad = |why: &str| TokenError(why.to_owned());
    let encoded = token.split('.').next().ok_or_else(|| bad("malformed token"))?;
    let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| bad("malformed token header"))?;
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&bytes).map_err(|_| bad("malformed token header"))?;
    if header.get("alg").and_then(|a| a.as_str()) != Some("EdDSA") {
        return Err(bad("token algorithm not accepted"));
    }
    let typ = header.get("typ").and_then(|t| t.as_str()).unwrap_or_default().to_ascii_lowercase();
    if typ != TOKEN_TYPE && typ != "application/at+jwt" {
        return Err(bad("token type must be at+jwt"));
    }
    if header.contains_key("crit") {
        return Err(bad("token has critical header parameters this server does not understand"));
    }
    for key_header in ["jku", "x5u", "jwk", "x5c"] {
        if header.contains_key(key_header) {
            return Err(bad("token headers naming keys are not accepted"));
        }
    }
    Ok(header)
}

/// A fresh Ed25519 private key as PKCS#8 PEM.
pub fn generate_pem() -> anyhow::Result<String> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no system randomness: {e}"))?;
    let key = SigningKey::from_bytes(&seed);
    Ok(key.to_pkcs8_pem(LineEnding::LF).context("cannot encode key")?.to_string())
}

fn read_or_create(path: &Path, env: Environment) -> anyhow::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(pem) => Ok(pem),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && env == Environment::Development => {
            let pem = generate_pem()?;
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            }
            write_private(path, &pem).with_context(|| format!("cannot write {}", path.display()))?;
            tracing::warn!(path = %path.display(), "generated a development signing key");
            Ok(pem)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read the signing key file {}", path.display())),
    }
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

/// A random URL-safe string with `bytes` bytes of entropy, for client ids and secrets.
pub fn random_token(bytes: usize) -> anyhow::Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| anyhow::anyhow!("no system randomness: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

//! Sign-in delegated to the district's identity provider over OpenID Connect: the
//! authorization code flow with PKCE, through the `oauth2` crate. The person is identified by
//! a claim from the provider's userinfo endpoint (fetched over TLS with the provider's own
//! access token), matched to a roster user.

use anyhow::Context;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope as OAuthScope, TokenResponse, TokenUrl, basic::BasicClient,
};
use serde::Deserialize;

use crate::config::UpstreamConfig;

/// Sign-in settings the endpoints need.
pub struct SignIn {
    pub dev_signin: bool,
    pub upstream: Option<UpstreamConfig>,
    /// Discovered on first use, so an identity-provider outage doesn't stop the API starting.
    pub discovered: tokio::sync::OnceCell<Upstream>,
}

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// A discovered identity provider.
pub struct Upstream {
    client: Client,
    userinfo: String,
    http: reqwest::Client,
    user_claim: String,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: String,
}

impl Upstream {
    /// Reads the provider's discovery document; `callback` is our `/oauth/callback` URL.
    pub async fn discover(config: &UpstreamConfig, callback: String) -> anyhow::Result<Self> {
        // Never follow redirects to somewhere the configuration did not name.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .context("cannot build the HTTP client")?;
        let url = format!("{}/.well-known/openid-configuration", config.issuer);
        let doc: Discovery =
            http.get(&url).send().await?.error_for_status()?.json().await.context("bad discovery document")?;
        anyhow::ensure!(
            doc.issuer.trim_end_matches('/') == config.issuer,
            "the identity provider names itself `{}`, not the configured issuer",
            doc.issuer
        );
        let client = BasicClient::new(ClientId::new(config.client_id.clone()))
            .set_client_secret(ClientSecret::new(config.client_secret.expose().to_owned()))
            .set_auth_uri(AuthUrl::new(doc.authorization_endpoint)?)
            .set_token_uri(TokenUrl::new(doc.token_endpoint)?)
            .set_redirect_uri(RedirectUrl::new(callback)?);
        Ok(Upstream { client, userinfo: doc.userinfo_endpoint, http, user_claim: config.user_claim.clone() })
    }

    /// Where to send the person, with our `state` and a fresh PKCE pair; returns the URL and the
    /// verifier to keep until the callback.
    pub fn authorize_url(&self, state: &str) -> (String, String) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = state.to_owned();
        let (url, _) = self
            .client
            .authorize_url(move || CsrfToken::new(state))
            .add_scope(OAuthScope::new("openid".into()))
            .add_scope(OAuthScope::new("email".into()))
            .add_scope(OAuthScope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        (url.to_string(), verifier.secret().to_owned())
    }

    /// Exchanges the provider's code and returns the value of the configured user claim.
    pub async fn identify(&self, code: &str, verifier: &str) -> anyhow::Result<(String, String)> {
        let token = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
            .request_async(&self.http)
            .await
            .context("the identity provider refused the code")?;
        let info: serde_json::Value = self
            .http
            .get(&self.userinfo)
            .bearer_auth(token.access_token().secret())
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
            .context("bad userinfo response")?;
        // Only an email the provider says it verified identifies anyone.
        let verified = matches!(info.get("email_verified"), Some(v) if v == true || v == "true");
        if self.user_claim == "email" && !verified {
            anyhow::bail!("the identity provider has not verified this email");
        }
        let value = info
            .get(&self.user_claim)
            .and_then(|v| v.as_str())
            .with_context(|| format!("userinfo has no `{}` claim", self.user_claim))?;
        Ok((self.user_claim.clone(), value.to_owned()))
    }
}

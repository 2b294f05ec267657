//! validate-jwt and validate-azure-ad-token with tokens minted by `skybridge_jose::LocalSigner`
//! and an in-process OpenID configuration.

use std::sync::atomic::Ordering;

use axum::body::Body;
use base64::Engine;
use serde_json::{Value, json};
use skybridge_jose::{Alg, Header, JwkSet, LocalSigner, b64, encode_sync};

use super::fixture::{Harness, T0, config, doc, harness, req};

const META: &str = "https://login.test/partner/v2.0/.well-known/openid-configuration";
const KEYS: &str = "https://login.test/partner/discovery/v2.0/keys";
const TID: &str = "partner-tid";

fn signer(alg: Alg) -> LocalSigner {
    LocalSigner::generate(alg, 2048).unwrap().0
}

fn publish(h: &Harness, keys: &[(&LocalSigner, &str)]) {
    let set = JwkSet {
        keys: keys
            .iter()
            .map(|(s, kid)| {
                let mut jwk = s.public_jwk();
                jwk.kid = Some((*kid).to_owned());
                jwk
            })
            .collect(),
    };
    let mut docs = h.fetcher.docs.lock().unwrap();
    docs.insert(
        META.into(),
        json!({"issuer": "https://login.test/{tenantid}/v2.0", "jwks_uri": KEYS}).to_string(),
    );
    docs.insert(KEYS.into(), serde_json::to_string(&set).unwrap());
}

fn mint(s: &LocalSigner, kid: &str, claims: Value) -> String {
    let mut header = Header::new(s.alg());
    header.typ = Some("JWT".into());
    header.kid = Some(kid.into());
    encode_sync(&header, &claims, s).unwrap()
}

fn claims(extra: Value) -> Value {
    let now = T0 / 1000;
    let mut c = json!({
        "iss": format!("https://login.test/{TID}/v2.0"), "tid": TID, "aud": "api://orders", "sub": "app-1",
        "azp": "client-1", "roles": ["Orders.Read"], "scp": "a b", "iat": now, "nbf": now, "exp": now + 3600,
    });
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

const ON_ERROR: &str = r#"<set-header name="X-Reason" exists-action="override"><value>@(context.LastError.Reason)</value></set-header>
    <set-header name="X-Message" exists-action="override"><value>@(context.LastError.Message)</value></set-header>"#;

fn jwt_gateway(attrs: &str, children: &str) -> Harness {
    let inbound = format!(
        r#"<validate-jwt header-name="Authorization" output-token-variable-name="jwt" {attrs}>
             <openid-config url="{META}"/>
             <audiences><audience>api://orders</audience></audiences>
             {children}
           </validate-jwt>
           <set-header name="X-Sub" exists-action="override"><value>@(((Jwt)context.Variables["jwt"]).Subject)</value></set-header>"#
    );
    harness(config(&doc(&inbound, "", ON_ERROR)))
}

async fn call(h: &Harness, auth: Option<String>) -> super::fixture::Resp {
    let mut b = req("GET", "/orders/1");
    if let Some(a) = auth {
        b = b.header("Authorization", a);
    }
    h.send(b.body(Body::empty()).unwrap()).await
}

fn invalid(r: &super::fixture::Resp, reason: &str) {
    let message = if reason == "TokenNotPresent" {
        "JWT not present."
    } else {
        "Invalid JWT."
    };
    let body = format!(r#"{{ "statusCode": 401, "message": "{message}" }}"#);
    assert_eq!(
        (r.status.as_u16(), r.body.as_str()),
        (401, body.as_str()),
        "{reason}"
    );
    assert_eq!(r.header("x-reason"), reason, "{}", r.header("x-message"));
}

#[tokio::test]
async fn valid_tokens_pass_and_failures_carry_apim_reasons() {
    let (rs, es) = (signer(Alg::RS256), signer(Alg::ES256));
    let h = jwt_gateway(
        r#"require-scheme="Bearer""#,
        r#"<required-claims><claim name="roles" match="any"><value>Orders.Read</value><value>Orders.Write</value></claim></required-claims>"#,
    );
    publish(&h, &[(&rs, "k-rsa"), (&es, "k-ec")]);

    for (s, kid) in [(&rs, "k-rsa"), (&es, "k-ec")] {
        let r = call(
            &h,
            Some(format!("Bearer {}", mint(s, kid, claims(json!({}))))),
        )
        .await;
        assert_eq!(r.status, 200, "{kid}: {}", r.header("x-message"));
        assert_eq!(h.client.last().headers.get("x-sub").unwrap(), "app-1");
    }

    let r = call(&h, None).await;
    assert_eq!(
        (r.status.as_u16(), r.body.as_str()),
        (
            401,
            r#"{ "statusCode": 401, "message": "JWT not present." }"#
        )
    );
    assert_eq!(r.header("x-reason"), "TokenNotPresent");
    let good = mint(&rs, "k-rsa", claims(json!({})));
    invalid(
        &call(&h, Some(format!("Basic {good}"))).await,
        "TokenNotPresent",
    );
    // The scheme matches in any case; the whitespace around the token is not part of it. The
    // second call is a verified-token cache hit on the same text.
    for _ in 0..2 {
        let r = call(&h, Some(format!("bearer \t {good} "))).await;
        assert_eq!(r.status, 200, "{}", r.header("x-message"));
    }
    // A value that is not ASCII text (obs-text) carries no token, as `HeaderValue::to_str` says.
    invalid(
        &call(&h, Some(format!("Bearer {good}\u{e9}"))).await,
        "TokenNotPresent",
    );
    invalid(
        &call(&h, Some("Bearer not.a.jwt".into())).await,
        "JwtInvalid",
    );
    invalid(
        &call(
            &h,
            Some(format!(
                "Bearer {}",
                mint(&rs, "k-rsa", claims(json!({"exp": T0 / 1000 - 1})))
            )),
        )
        .await,
        "TokenExpired",
    );
    invalid(
        &call(
            &h,
            Some(format!(
                "Bearer {}",
                mint(&rs, "k-rsa", claims(json!({"exp": null})))
            )),
        )
        .await,
        "JwtInvalid",
    );
    invalid(
        &call(
            &h,
            Some(format!(
                "Bearer {}",
                mint(&rs, "k-rsa", claims(json!({"nbf": T0 / 1000 + 60})))
            )),
        )
        .await,
        "JwtInvalid",
    );
    invalid(
        &call(
            &h,
            Some(format!(
                "Bearer {}",
                mint(&rs, "k-rsa", claims(json!({"aud": "api://other"})))
            )),
        )
        .await,
        "TokenAudienceNotAllowed",
    );
    invalid(
        &call(
            &h,
            Some(format!(
                "Bearer {}",
                mint(&rs, "k-rsa", claims(json!({"tid": "other"})))
            )),
        )
        .await,
        "TokenIssuerNotAllowed",
    );
    invalid(
        &call(
            &h,
            Some(format!(
                "Bearer {}",
                mint(&rs, "k-rsa", claims(json!({"roles": ["Nope"]})))
            )),
        )
        .await,
        "TokenClaimValueNotAllowed",
    );
    let r = call(
        &h,
        Some(format!(
            "Bearer {}",
            mint(&rs, "k-rsa", claims(json!({"roles": null})))
        )),
    )
    .await;
    invalid(&r, "TokenClaimNotFound");
    assert_eq!(
        r.header("x-message"),
        "JWT token is missing the following claims: roles. Access denied."
    );
    // Signed by a key the authority never published, under a known kid.
    let rogue = signer(Alg::RS256);
    invalid(
        &call(
            &h,
            Some(format!(
                "Bearer {}",
                mint(&rogue, "k-rsa", claims(json!({})))
            )),
        )
        .await,
        "TokenSignatureInvalid",
    );
}

#[tokio::test]
async fn rfc8725_no_none_and_no_hmac_with_public_keys() {
    let rs = signer(Alg::RS256);
    let h = jwt_gateway("", "");
    publish(&h, &[(&rs, "k1")]);
    let body = b64::url_encode(claims(json!({})).to_string().as_bytes());
    let none = format!(
        "{}.{body}.",
        b64::url_encode(br#"{"alg":"none","kid":"k1"}"#)
    );
    invalid(
        &call(&h, Some(format!("Bearer {none}"))).await,
        "JwtInvalid",
    );
    // HS256 "signed" with the RSA public key bytes (the classic key-confusion attack).
    let header = b64::url_encode(br#"{"alg":"HS256","kid":"k1"}"#);
    let input = format!("{header}.{body}");
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &rs.public_key_spki_der());
    let sig = b64::url_encode(aws_lc_rs::hmac::sign(&key, input.as_bytes()).as_ref());
    invalid(
        &call(&h, Some(format!("Bearer {input}.{sig}"))).await,
        "TokenSignatureInvalid",
    );
}

#[tokio::test]
async fn inline_keys_symmetric_and_rsa() {
    let secret = b"0123456789abcdef0123456789abcdef";
    let rs = signer(Alg::RS256);
    let jwk = rs.public_jwk();
    let children = format!(
        r#"<issuer-signing-keys><key id="hs">{}</key><key id="rsa" n="{}" e="{}"/></issuer-signing-keys><issuers><issuer>https://issuer.test</issuer></issuers>"#,
        base64::engine::general_purpose::STANDARD.encode(secret),
        jwk.n.unwrap(),
        jwk.e.unwrap()
    );
    let inbound = format!(
        r#"<validate-jwt header-name="X-Token" failed-validation-httpcode="403" failed-validation-error-message="Nope" clock-skew="120">{children}</validate-jwt>"#
    );
    let h = harness(config(&doc(&inbound, "", ON_ERROR)));
    let c = json!({"iss": "https://issuer.test", "exp": T0 / 1000 - 60});
    // HS256 by hand (jose never mints HMAC).
    let header = b64::url_encode(br#"{"alg":"HS256","kid":"hs"}"#);
    let input = format!("{header}.{}", b64::url_encode(c.to_string().as_bytes()));
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
    let hs = format!(
        "{input}.{}",
        b64::url_encode(aws_lc_rs::hmac::sign(&key, input.as_bytes()).as_ref())
    );
    let send = |t: String| {
        let h = &h;
        async move {
            h.send(
                req("GET", "/orders/1")
                    .header("X-Token", t)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
        }
    };
    assert_eq!(
        send(hs.clone()).await.status,
        200,
        "expired 60 s ago but within the 120 s clock skew"
    );
    assert_eq!(send(mint(&rs, "rsa", c.clone())).await.status, 200);
    let r = send(format!("{hs}x")).await;
    assert_eq!(
        (r.status.as_u16(), r.body.as_str()),
        (403, r#"{ "statusCode": 403, "message": "Nope" }"#)
    );
    h.clock.advance(61_000);
    assert_eq!(send(hs).await.header("x-reason"), "TokenExpired");
}

#[tokio::test]
async fn key_rotation_refetches_on_unknown_kid_at_most_every_five_minutes() {
    let (old, new) = (signer(Alg::ES256), signer(Alg::ES256));
    let h = jwt_gateway("", "");
    publish(&h, &[(&old, "old")]);
    assert_eq!(
        call(
            &h,
            Some(format!("Bearer {}", mint(&old, "old", claims(json!({})))))
        )
        .await
        .status,
        200
    );
    let fetches = h.fetcher.calls.load(Ordering::SeqCst);
    assert_eq!(fetches, 2);

    // The authority rotates; a token with the new kid arrives within 5 minutes of the last fetch.
    publish(&h, &[(&old, "old"), (&new, "new")]);
    let fresh = |s: &LocalSigner, kid: &str| {
        format!(
            "Bearer {}",
            mint(s, kid, claims(json!({"exp": T0 / 1000 + 7200})))
        )
    };
    invalid(
        &call(&h, Some(fresh(&new, "new"))).await,
        "TokenSignatureKeyNotFound",
    );
    assert_eq!(h.fetcher.calls.load(Ordering::SeqCst), fetches, "throttled");
    h.clock.advance(5 * 60 * 1000);
    assert_eq!(call(&h, Some(fresh(&new, "new"))).await.status, 200);
    assert_eq!(h.fetcher.calls.load(Ordering::SeqCst), fetches + 2);

    // The authority goes down: cached keys keep working past the hourly refresh.
    h.fetcher.down.store(true, Ordering::SeqCst);
    h.clock.advance(61 * 60 * 1000);
    assert_eq!(call(&h, Some(fresh(&old, "old"))).await.status, 200);
}

#[tokio::test]
async fn verified_token_cache_hits_and_is_dropped_when_the_keys_change() {
    let (old, new) = (signer(Alg::RS256), signer(Alg::RS256));
    let h = jwt_gateway("", "");
    publish(&h, &[(&old, "k")]);
    let token = format!(
        "Bearer {}",
        mint(&old, "k", claims(json!({"exp": T0 / 1000 + 7200})))
    );
    assert_eq!(call(&h, Some(token.clone())).await.status, 200);
    assert_eq!(h.gw.services().verified.len(), 1);
    assert_eq!(call(&h, Some(token.clone())).await.status, 200);
    assert_eq!(h.gw.services().verified.len(), 1, "a hit adds nothing");
    // The authority replaces the key under the same kid; after the hourly refresh the cached
    // verification no longer counts.
    publish(&h, &[(&new, "k")]);
    h.clock.advance(61 * 60 * 1000);
    invalid(&call(&h, Some(token)).await, "TokenSignatureInvalid");
}

#[tokio::test]
async fn cached_tokens_still_expire() {
    let key = signer(Alg::RS256);
    let h = jwt_gateway("", "");
    publish(&h, &[(&key, "k")]);
    let token = format!(
        "Bearer {}",
        mint(&key, "k", claims(json!({"exp": T0 / 1000 + 60})))
    );
    assert_eq!(call(&h, Some(token.clone())).await.status, 200);
    h.clock.advance(61 * 1000);
    invalid(&call(&h, Some(token)).await, "TokenExpired");
}

#[tokio::test]
async fn azure_ad_token_policy() {
    let rs = signer(Alg::RS256);
    let policy = doc(
        r#"<validate-azure-ad-token tenant-id="partner">
             <client-application-ids><application-id>client-1</application-id></client-application-ids>
             <backend-application-ids><application-id>orders</application-id></backend-application-ids>
             <required-claims><claim name="scp" separator=" "><value>b</value></claim></required-claims>
           </validate-azure-ad-token>"#,
        "",
        ON_ERROR,
    );
    let mut cfg = config(&policy);
    cfg["authority_url"] = json!("https://login.test");
    let h = harness(cfg);
    publish(&h, &[(&rs, "k")]);
    let ok = mint(&rs, "k", claims(json!({})));
    assert_eq!(call(&h, Some(format!("Bearer {ok}"))).await.status, 200);
    let other_app = mint(&rs, "k", claims(json!({"azp": "client-2"})));
    invalid(
        &call(&h, Some(format!("Bearer {other_app}"))).await,
        "TokenClaimValueNotAllowed",
    );
    let no_scope = mint(&rs, "k", claims(json!({"scp": "a c"})));
    invalid(
        &call(&h, Some(format!("Bearer {no_scope}"))).await,
        "TokenClaimValueNotAllowed",
    );
    // The default header demands the Bearer scheme.
    invalid(&call(&h, Some(ok)).await, "TokenNotPresent");
}

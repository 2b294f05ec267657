//! The managed-identity token service: picks the caller's identity, asks the authority of its
//! home tenant for a token, and caches it per (identity, resource) as Azure does, handing the
//! cached token back until it is close to expiry.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use skybridge_authority::{Authority, IssuedToken};
use skybridge_jose::Clock;
use skybridge_store::ManagedIdentityRecord;
use uuid::Uuid;

use crate::protocol::{Protocol, Selector, TokenRequest};
use crate::{IdentityError, IdentityRegistry, RegisteredResource};

/// A cached token is renewed once fewer than this many seconds remain (clients refresh at
/// five minutes before expiry; they must not be handed an older one).
const RENEW_MARGIN: i64 = 600;

/// Serves tokens to the resources of a registry.
pub struct ManagedIdentityService {
    authority: Arc<Authority>,
    registry: IdentityRegistry,
    clock: Arc<dyn Clock>,
    cache: RwLock<HashMap<(Uuid, String), IssuedToken>>,
}

impl ManagedIdentityService {
    /// A service for `registry`, issuing through `authority`.
    pub fn new(
        authority: Arc<Authority>,
        registry: IdentityRegistry,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            authority,
            registry,
            clock,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// The registry served.
    pub fn registry(&self) -> &IdentityRegistry {
        &self.registry
    }

    /// The current time (for response bodies).
    pub fn now(&self) -> i64 {
        self.clock.now_unix()
    }

    fn choose(
        &self,
        protocol: Protocol,
        resource: &RegisteredResource,
        selector: &Selector,
    ) -> Result<&ManagedIdentityRecord, IdentityError> {
        if let Some(identity) = self.registry.select(resource, selector) {
            return Ok(identity);
        }
        match selector {
            // IMDS hands out the only user-assigned identity of a resource without a system
            // one even when none was named (a quirk MSAL documents).
            Selector::System if protocol == Protocol::Imds => {
                match resource.record.user_identities.as_slice() {
                    [only] => self
                        .registry
                        .identity(*only)
                        .ok_or(IdentityError::NoIdentity),
                    _ => Err(IdentityError::NoIdentity),
                }
            }
            Selector::System => Err(IdentityError::NoIdentity),
            _ => Err(IdentityError::IdentityNotFound),
        }
    }

    /// A token for `request` on behalf of `resource`; returns it with the identity's client id.
    pub async fn token(
        &self,
        protocol: Protocol,
        resource: &RegisteredResource,
        request: &TokenRequest,
    ) -> Result<(IssuedToken, Uuid), IdentityError> {
        let identity = self.choose(protocol, resource, &request.selector)?;
        let key = (identity.client_id, request.resource.clone());
        let now = self.clock.now_unix();
        {
            let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
            if let Some(token) = cache
                .get(&key)
                .filter(|t| t.expires_on - now > RENEW_MARGIN)
            {
                return Ok((token.clone(), identity.client_id));
            }
        }
        let token = self
            .authority
            .issue_for_managed_identity(identity, &request.resource)
            .await?;
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        cache.retain(|_, t| t.expires_on - now > RENEW_MARGIN);
        cache.insert(key, token.clone());
        Ok((token, identity.client_id))
    }
}

//! The data-sharing agreement in GraphQL: every field of a student data type is answered as
//! the policy's [`Sharing::field`] decides, before its resolver runs, so no field can forget
//! it (deny by default). A field outside the agreement answers null with the error code
//! `NOT_SHARED`; a field answering a type outside it answers an empty list, or null (with
//! `NOT_SHARED` when the schema promises a value, as a connection does).
//!
//! The errors are gathered per request and added to the response when the operation ends:
//! an error returned from a field hook would drop the field from its object instead of
//! answering null.

use std::sync::{Arc, Mutex};

use async_graphql::{
    ErrorExtensionValues, PathSegment, Response, ServerError, ServerResult, Value,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute, NextResolve, ResolveInfo},
};

use crate::auth::{
    Principal,
    policy::sharing::{Field, Sharing},
};

/// The `extensions.code` of a field or type outside the caller's agreement.
pub const NOT_SHARED: &str = "NOT_SHARED";

/// Installs the per-request [`AgreementFields`] hook.
pub struct Agreements;

impl ExtensionFactory for Agreements {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AgreementFields::default())
    }
}

/// One request's hook, and the `NOT_SHARED` errors it has answered.
#[derive(Default)]
pub struct AgreementFields {
    errors: Mutex<Vec<ServerError>>,
}

/// The named type of a field's type (`[Mastery!]!` is `Mastery`; a connection or edge is of
/// its node), whether it is a list, and whether it may be null.
fn shape(return_type: &str) -> (&str, bool, bool) {
    let nullable = !return_type.ends_with('!');
    let list = return_type.starts_with('[');
    let named = return_type.trim_matches(|c| c == '[' || c == ']' || c == '!');
    let node = named.strip_suffix("Connection").or_else(|| named.strip_suffix("Edge")).unwrap_or(named);
    (node, list, nullable)
}

impl AgreementFields {
    fn refuse(&self, info: &ResolveInfo<'_>, message: String) {
        let mut err = ServerError::new(message, None);
        err.path = info
            .path_node
            .to_string_vec()
            .into_iter()
            .map(|s| s.parse().map_or(PathSegment::Field(s), PathSegment::Index))
            .collect();
        let mut ext = ErrorExtensionValues::default();
        ext.set("code", NOT_SHARED);
        err.extensions = Some(ext);
        self.errors.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(err);
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for AgreementFields {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        let errors = std::mem::take(&mut *self.errors.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        response.errors.extend(errors);
        response
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let sharing = match ctx.data_opt::<Principal>().map(|p| &p.sharing) {
            Some(s @ Sharing::Agreement(_)) if !info.is_for_introspection => s,
            _ => return next.run(ctx, info).await,
        };
        let (returns, list, nullable) = shape(info.return_type);
        match sharing.field(info.parent_type, info.name, returns) {
            Field::Shared => next.run(ctx, info).await,
            Field::Invisible if list => Ok(Some(Value::List(vec![]))),
            Field::Invisible if nullable => Ok(Some(Value::Null)),
            Field::Invisible => {
                self.refuse(
                    &info,
                    format!("`{returns}` records are not covered by the client's data-sharing agreement"),
                );
                Ok(Some(Value::Null))
            }
            Field::NotShared => {
                self.refuse(
                    &info,
                    format!(
                        "`{}.{}` is not covered by the client's data-sharing agreement",
                        info.parent_type, info.name
                    ),
                );
                Ok(Some(Value::Null))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::shape;

    #[test]
    fn shapes_name_the_node_type() {
        assert_eq!(shape("[Mastery!]!"), ("Mastery", true, false));
        assert_eq!(shape("LearnerProfile"), ("LearnerProfile", false, true));
        assert_eq!(shape("ResultConnection!"), ("Result", false, false));
        assert_eq!(shape("[LearnerEdge!]"), ("Learner", true, true));
        assert_eq!(shape("String"), ("String", false, true));
    }
}

//! The redesign rules of the policy.
